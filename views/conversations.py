"""Managing conversations: rename, pin, delete (with Undo), delete all, the sidebar's pages,
and which version of an edited question or regenerated answer is on screen.

Every route is owner-scoped (another visitor's conversation is a 404) and CSRF-protected
like every POST. Plain forms redirect after POST; ``Accept: application/json`` answers JSON.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta, tzinfo
from datetime import time as dt_time
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy.exc import SQLAlchemyError

import session_store
from models import (
    Conversation,
    Message,
    Record,
    as_utc,
    clean_title,
    db,
    read_outside_a_transaction,
    utcnow,
)
from views import error_body, fragments, local_path, shown_to_hold, wants_json

bp = Blueprint("conversations", __name__)

# The sidebar shows this many conversations at a time (pinned ones come on top of the
# first page); "Show older conversations" fetches the next page.
SIDEBAR_PAGE = 50
TZ_COOKIE = "tz"
PIN_VALUES = {"1": True, "true": True, "0": False, "false": False}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CURSOR_ID = re.compile(r"[0-9a-f]{32}")


def _owned_or_404(conversation_id: str) -> Conversation:
    conversation = Conversation.owned(session_store.owner_id(), conversation_id)
    if conversation is None:
        abort(404)
    return conversation


def _back(conversation: Conversation | None = None) -> str:
    """Where a plain form returns: its ``next`` field if it is on this site."""
    fallback = (
        url_for("chat.conversation", conversation_id=conversation.id) if conversation else None
    )
    target = request.form.get("next")
    if not target and fallback:
        return fallback
    return local_path(target)


def _refuse(kind: str, message: str, status: int, conversation: Conversation | None = None):
    """A refused action: JSON callers get the error; a page shows it where the form was."""
    if wants_json():
        return jsonify(error_body(kind, message)), status
    flash(message, "error")
    return redirect(_back(conversation), 303)


# ---------------------------------------------------------------- rename and pin


def validate_title(value: Any) -> str:
    """Return a conversation name as stored: one line, trimmed, 1-120 characters.

    Raises ValueError with the sentence the visitor reads.
    """
    return clean_title(value)


@bp.post("/c/<conversation_id>/rename")
def rename(conversation_id: str):
    """Rename a conversation (field ``title``); an empty name is refused, the old one kept."""
    conversation = _owned_or_404(conversation_id)
    value = (request.get_json(silent=True) or {}) if request.is_json else request.form
    try:
        title = validate_title(value.get("title"))
    except ValueError as problem:
        return _refuse("bad_title", str(problem), 400, conversation)
    conversation.title = title
    db.session.commit()
    if wants_json():
        return jsonify({"id": conversation.id, "title": conversation.title})
    flash("Conversation renamed.", "success")
    return redirect(_back(conversation), 303)


@bp.post("/c/<conversation_id>/pin")
def pin(conversation_id: str):
    """Pin a conversation to the top of the sidebar (``pinned=1``) or unpin it (``pinned=0``)."""
    conversation = _owned_or_404(conversation_id)
    value = (request.get_json(silent=True) or {}) if request.is_json else request.form
    given = str(value.get("pinned", "")).lower()
    if given not in PIN_VALUES:
        return _refuse("bad_pinned", "pinned must be 1 (pin) or 0 (unpin).", 400, conversation)
    wanted = PIN_VALUES[given]
    conversation.pinned_at = (conversation.pinned_at or utcnow()) if wanted else None
    db.session.commit()
    if wants_json():
        return jsonify({"id": conversation.id, "pinned": conversation.pinned_at is not None})
    return redirect(_back(conversation), 303)


# ---------------------------------------------------------------- delete and undo


def undo_seconds() -> int:
    """How long a deleted conversation can be brought back (``DELETE_UNDO_SECONDS``)."""
    return current_app.config["DELETE_UNDO_SECONDS"]


@bp.get("/c/<conversation_id>/delete")
def confirm_delete(conversation_id: str):
    """Ask before deleting (the page a Delete link opens without JavaScript)."""
    conversation = _owned_or_404(conversation_id)
    return render_template(
        "conversations/delete.html",
        conversation=conversation,
        count=conversation.message_count(),
        undo_seconds=undo_seconds(),
    )


@bp.post("/c/<conversation_id>/delete")
def delete(conversation_id: str):
    """Delete a conversation: out of sight now, gone with its messages once Undo is over."""
    conversation = _owned_or_404(conversation_id)
    conversation.deleted_at = utcnow()
    db.session.commit()
    if wants_json():
        return jsonify(
            {
                "deleted": conversation.id,
                "title": conversation.title,
                "undo_seconds": undo_seconds(),
                "undo_url": url_for("conversations.restore", conversation_id=conversation.id),
            }
        )
    return redirect(url_for("chat.index", deleted=conversation.id), 303)


def undoable(conversation_id: str | None) -> Conversation | None:
    """The visitor's conversation deleted moments ago that Undo can still bring back."""
    if not conversation_id:
        return None
    conversation = Conversation.owned_even_deleted(session_store.owner_id(), conversation_id)
    if conversation is None or conversation.deleted_at is None:
        return None
    if undo_left(conversation) <= 0:
        return None
    return conversation


def undo_left(conversation: Conversation) -> int:
    """Whole seconds left to undo this conversation's deletion (0 when over)."""
    if conversation.deleted_at is None:
        return 0
    gone_at = as_utc(conversation.deleted_at) + timedelta(seconds=undo_seconds())
    return max(0, int((gone_at - utcnow()).total_seconds()))


@bp.post("/c/<conversation_id>/restore")
def restore(conversation_id: str):
    """Undo a delete within its few seconds; after that the conversation is gone (410).

    A purged conversation, an unknown id and another visitor's id answer the same 410,
    so ids cannot be probed.
    """
    owner = session_store.owner_id()
    conversation = undoable(conversation_id)
    if conversation is None:
        if Conversation.owned(owner, conversation_id) is not None:
            return _refuse("not_deleted", "This conversation is not deleted.", 409)
        message = "Too late to undo: the conversation has been deleted for good."
        if wants_json():
            return jsonify(error_body("undo_expired", message)), 410
        return render_template(
            "errors/error.html", status=410, title="Deleted for good", message=message
        ), 410
    conversation.deleted_at = None
    db.session.commit()
    if wants_json():
        return jsonify({"restored": conversation.id, "title": conversation.title})
    flash("Conversation restored.", "success")
    return redirect(url_for("chat.conversation", conversation_id=conversation.id) + "#end", 303)


@bp.post("/conversations/delete-all")
def delete_all():
    """Delete every conversation of the visitor at once (field ``confirm=yes`` required)."""
    value = (request.get_json(silent=True) or {}) if request.is_json else request.form
    if value.get("confirm") != "yes":
        message = "Tick the box to confirm: every conversation will be deleted for good."
        if wants_json():
            return jsonify(error_body("not_confirmed", message)), 400
        flash(message, "error")
        return redirect(url_for("settings.index") + "#delete-all", 303)
    count = Conversation.delete_all_of(session_store.owner_id())
    db.session.commit()
    if wants_json():
        return jsonify({"deleted": count})
    flash(
        f"Deleted {count:,} conversation{'s' if count != 1 else ''} and their messages."
        if count
        else "There were no conversations to delete.",
        "success",
    )
    return redirect(url_for("settings.index"), 303)


_last_purge = 0.0


@bp.before_app_request
def _purge_expired_deletions() -> None:
    # At most every few seconds per process, not per request: one indexed DELETE of
    # conversations whose Undo is over (``flask purge-deleted`` does the same on a timer).
    global _last_purge
    now = time.monotonic()
    if now - _last_purge < current_app.config["DELETE_PURGE_INTERVAL"]:
        return
    _last_purge = now
    if request.endpoint in (None, "static", "ops.health", "ops.live", "metrics"):
        return  # files and probes need no database work of ours
    try:
        Conversation.purge_deleted(utcnow() - timedelta(seconds=undo_seconds()))
        db.session.commit()
    except SQLAlchemyError:
        # The database is away: this request says so where it needs it; the purge waits.
        db.session.rollback()


# ---------------------------------------------------------------- versions


@bp.post("/c/<conversation_id>/versions")
def version(conversation_id: str):
    """Show another version of a question or answer (field ``message_id``)."""
    conversation = _owned_or_404(conversation_id)
    value = (request.get_json(silent=True) or {}) if request.is_json else request.form
    try:
        message_id = int(value.get("message_id", ""))
    except (TypeError, ValueError):
        message_id = 0
    message = db.session.get(Message, message_id) if 0 < message_id < 2**63 else None
    if message is None or message.conversation_id != conversation.id:
        return _refuse("bad_message", "That version is not part of this conversation.", 404)
    Message.show_version(message)
    db.session.commit()
    if wants_json():
        return jsonify({"conversation_id": conversation.id, "message_id": message.id})
    # The version shown may be older than the newest page: ask for enough to hold it.
    shown = shown_to_hold(conversation, message.id)
    return redirect(
        url_for(
            "chat.conversation",
            conversation_id=conversation.id,
            show=shown,
            _anchor=f"m{message.id}",
        ),
        303,
    )


# ---------------------------------------------------------------- the sidebar


def visitor_zone() -> tzinfo:
    """The visitor's time zone (the ``tz`` cookie app.js sets), else UTC."""
    name = request.cookies.get(TZ_COOKIE, "")
    if name and len(name) <= 64 and all(c.isalnum() or c in "/_+-" for c in name):
        try:
            return ZoneInfo(name)
        except (ValueError, OSError, KeyError):
            pass
    return ZoneInfo("UTC")


def group_by_day(
    conversations: list[Record], now: datetime, zone: tzinfo
) -> list[tuple[str, list[Record]]]:
    """Group the sidebar's rows (``Conversation.sidebar_columns``): Pinned, Today,
    Yesterday, Last 7 days, Older (local days).

    Returns ``[(label, conversations)]`` in that order, empty groups left out.
    """
    # The local midnights that start today, yesterday and the sixth day before today,
    # as UTC instants: a row's group is then two or three comparisons, not a conversion
    # to local time each (fifty a page view). On a day whose midnight a clock change
    # skips, fold 0 names the instant of the change, where that day starts.
    today = now.astimezone(zone).date()
    today_starts, yesterday_starts, week_starts = (
        datetime.combine(today - timedelta(days=back), dt_time(), tzinfo=zone).astimezone(UTC)
        for back in (0, 1, 6)
    )
    groups: dict[str, list[Record]] = {}
    for conversation in conversations:
        if conversation.pinned_at is not None:
            label = "Pinned"
        else:
            moment = as_utc(conversation.updated_at)
            label = (
                "Today"
                if moment >= today_starts
                else "Yesterday"
                if moment >= yesterday_starts
                else "Last 7 days"
                if moment >= week_starts
                else "Older"
            )
        groups.setdefault(label, []).append(conversation)
    order = ("Pinned", "Today", "Yesterday", "Last 7 days", "Older")
    return [(label, groups[label]) for label in order if label in groups]


def encode_cursor(cursor: tuple[datetime, str] | None) -> str | None:
    """The sidebar's next-page cursor as a URL-safe value: ``<microseconds since 1970>-<id>``."""
    if cursor is None:
        return None
    moment = as_utc(cursor[0])
    micros = (moment - EPOCH) // timedelta(microseconds=1)
    return f"{micros}-{cursor[1]}"


def decode_cursor(value: str | None) -> tuple[datetime, str] | None:
    """Read a cursor made by ``encode_cursor``; raise ValueError when it is not one."""
    if not value:
        return None
    micros, _, last_id = value.partition("-")
    if len(value) > 60 or not CURSOR_ID.fullmatch(last_id) or not micros.isdigit():
        raise ValueError("not a cursor")
    try:
        return EPOCH + timedelta(microseconds=int(micros)), last_id
    except OverflowError:
        raise ValueError("not a cursor") from None


def sidebar(current: Conversation | None = None) -> dict[str, Any]:
    """What the sidebar template needs: the first page, grouped, and the next cursor."""
    conversations, cursor = Conversation.page_for_owner(session_store.owner_id(), SIDEBAR_PAGE)
    return {
        "groups": group_by_day(conversations, utcnow(), visitor_zone()),
        "next": encode_cursor(cursor),
        "current": current,
    }


@bp.get("/conversations")
def index():
    """All the visitor's conversations, a page at a time (``?after=<cursor>``).

    JSON (``Accept: application/json``): ``{"html": sidebar groups, "next": cursor|null}``
    for the sidebar's "Show older conversations".
    """
    read_outside_a_transaction()
    try:
        after = decode_cursor(request.args.get("after"))
    except ValueError:
        if wants_json():
            return jsonify(error_body("bad_cursor", "after must be a cursor from this list.")), 400
        abort(400)
    conversations, cursor = Conversation.page_for_owner(
        session_store.owner_id(), SIDEBAR_PAGE, after
    )
    groups = group_by_day(conversations, utcnow(), visitor_zone())
    nxt = encode_cursor(cursor)
    if wants_json():
        html = fragments.splice(
            render_template("chat/_conversation_groups.html", groups=groups, current=None)
        ).decode()
        return jsonify(
            {
                "html": html,
                "next": nxt,
                "next_url": url_for("conversations.index", after=nxt) if nxt else None,
                "count": len(conversations),
            }
        )
    return fragments.splice(
        render_template(
            "conversations/index.html", groups=groups, next=nxt, after=request.args.get("after")
        )
    )


@bp.cli.command("purge-deleted")
def purge_deleted_command() -> None:
    """Delete for good the conversations whose Undo is over (for a timer or cron)."""
    count = Conversation.purge_deleted(utcnow() - timedelta(seconds=undo_seconds()))
    db.session.commit()
    print(f"purged {count} deleted conversation(s)")
