"""Share links (read-only snapshots of a conversation) and pairing another browser.

Share: ``POST /c/<id>/share`` makes a link, ``GET /s/<token>`` shows the snapshot to
anyone holding it (its pictures at ``/s/<token>/pictures/<n>`` and ``.../thumbnail``,
copies made with the link), ``POST /shares/<id>/revoke`` ends it. Pairing: ``POST /devices/pair``
makes a one-time link (10 minutes), ``GET /pair/<code>`` asks the other browser to confirm,
``POST /pair/<code>`` attaches it, ``POST /devices/<id>/signout`` detaches it again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy.exc import SQLAlchemyError

import session_store
from models import (
    Conversation,
    PairedBrowser,
    PairingCode,
    Share,
    SharePicture,
    as_utc,
    db,
    move_owner,
    owner_holdings,
)
from security import limiter, rate_limited
from share_links import browser_label, qr_data_uri
from views import wants_json
from views.attachments import IMAGE_CSP

bp = Blueprint("sharing", __name__)

PAIRING_LIFETIME = timedelta(minutes=10)
# The share link just made (its id and the token, encrypted), so the page after the
# redirect can show the address in a field with a Copy button; only its digest is stored.
_SHARE_FIELD = "share_link"
# The session remembers the pairing link just made (encrypted), so Settings can show it
# and its QR code after the redirect; the database holds only the code's digest.
_PAIRING_FIELD = "pairing_link"


def pair_limits() -> list:
    """Limit making and opening pairing links per client IP (one shared count)."""
    return [limiter.shared_limit(lambda: current_app.config["RATE_LIMIT_PAIR"], "pair")]


def _done(message: str, target: str, body: dict[str, Any], status: int = 200):
    """Answer a finished action: JSON for data callers, else a flash and a 303."""
    if wants_json():
        return jsonify(body), status
    flash(message, "success")
    return redirect(target, 303)


# ---------------------------------------------------------------- share links


@bp.post("/c/<conversation_id>/share")
def create_share(conversation_id: str):
    """Publish a snapshot of the conversation's branch on screen.

    JSON: ``{"url", "id"}`` (201). Form: 303 to ``/shares/<id>``, which shows the address
    in a read-only field with a Copy button (only its digest is stored; this session
    keeps the address, encrypted, until another link is made).
    """
    conversation = Conversation.owned(session_store.owner_id(), conversation_id)
    if conversation is None:
        abort(404)
    share, token = Share.publish(conversation)
    db.session.flush()
    SharePicture.copy_for(share)  # the pictures, copied like the text: a snapshot
    db.session.commit()
    url = url_for("sharing.shared", token=token, _external=True)
    if wants_json():
        return jsonify({"url": url, "id": share.id}), 201
    session[_SHARE_FIELD] = {
        "id": share.id,
        "token": current_app.extensions["key_cipher"].encrypt(token),
    }
    return redirect(url_for("sharing.share_made", share_id=share.id), 303)


@bp.get("/shares/<int:share_id>")
def share_made(share_id: int):
    """The link just made: its address in a read-only field with a Copy button (static/
    js/share.js; without JavaScript the field selects itself for the system's Copy).

    Only the session that made it sees the address, and only until it makes another
    link; afterwards (or for a revoked link) the page says so. Owner only (404 else).
    """
    share = Share.owned(session_store.owner_id(), share_id)
    if share is None:
        abort(404)
    made = session.get(_SHARE_FIELD) or {}
    token = None
    if made.get("id") == share.id and made.get("token"):
        token = current_app.extensions["key_cipher"].decrypt(made["token"])
    url = url_for("sharing.shared", token=token, _external=True) if token else None
    response = make_response(render_template("share/made.html", share=share, url=url))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _shown_messages(share: Share) -> list[dict[str, Any]]:
    """The snapshot's messages with their times as datetimes (for the page's time tags)."""
    return [
        {**item, "created_at": datetime.fromisoformat(item["created_at"])}
        for item in share.messages or []
    ]


def _no_trace(response: Response) -> Response:
    """Not in search engines, no address of it sent on to sites its links lead to, and no
    copy kept by a cache after the link is revoked."""
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


def _picture_facts(token: str, pictures: list[SharePicture]) -> list[dict[str, Any]]:
    return [
        {
            "url": url_for("sharing.shared_picture", token=token, number=p.number),
            "thumbnail_url": url_for("sharing.shared_thumbnail", token=token, number=p.number),
            "filename": p.filename,
            "width": p.width,
            "height": p.height,
        }
        for p in pictures
    ]


def live_share(token: str) -> Share | None:
    """The share for a token while it opens: None when unknown, revoked, or its
    conversation is deleted (within the Undo window too: Undo brings the link back)."""
    share = Share.by_token(token)
    if share is None:
        return None
    deleted = db.session.scalar(
        db.select(Conversation.deleted_at).where(Conversation.id == share.conversation_id)
    )
    return None if deleted is not None else share


def _share_gone() -> Response:
    """404 for a link that opens nothing, worded for whoever holds it (a stranger too)."""
    reason = (
        "This link does not open a conversation: whoever shared it has revoked it or "
        "deleted the conversation, or the address was not copied whole."
    )
    advice = "Ask the person who sent it for a new link."
    if wants_json():
        response = jsonify({"error": {"kind": "not_found", "message": f"{reason} {advice}"}})
    else:
        response = make_response(
            render_template(
                "share/pair_gone.html",
                title="This shared link does not open",
                reason=reason,
                advice=advice,
            )
        )
    response.status_code = 404
    response.vary.add("Accept")
    return _no_trace(response)


@bp.get("/s/<token>")
def shared(token: str):
    """Show a shared snapshot to anyone with the link: no controls, no owner, not indexed."""
    share = live_share(token)
    if share is None:
        return _share_gone()
    pictures = SharePicture.of_share(share.id)
    if wants_json():
        messages = [
            {**item, "pictures": _picture_facts(token, pictures[n])} if n in pictures else item
            for n, item in enumerate(share.messages or [])
        ]
        response = jsonify(
            {
                "title": share.title,
                "created_at": as_utc(share.created_at).isoformat(),
                "messages": messages,
            }
        )
    else:
        response = make_response(
            render_template(
                "share/page.html",
                share=share,
                messages=_shown_messages(share),
                pictures={n: _picture_facts(token, shown) for n, shown in pictures.items()},
            )
        )
    response.vary.add("Accept")
    return _no_trace(response)


def _shared_image(token: str, number: int, *, thumbnail: bool) -> Response:
    """A picture of a live share, with an image's strict headers and the share's
    no-store: once the link is revoked, no cache still holds it."""
    share = live_share(token)
    picture = SharePicture.find(share.id, number, thumbnail=thumbnail) if share else None
    if picture is None:
        abort(404)
    if thumbnail:
        response = Response(picture.thumbnail, mimetype=picture.thumbnail_type)
    else:
        response = Response(picture.data, mimetype=picture.content_type)
    headers = response.headers
    headers["Content-Security-Policy"] = IMAGE_CSP
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Cross-Origin-Resource-Policy"] = "same-origin"
    ascii_name = picture.filename.encode("ascii", "replace").decode("ascii").replace('"', "")
    headers["Content-Disposition"] = (
        f"inline; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(picture.filename)}"
    )
    return _no_trace(response)


@bp.get("/s/<token>/pictures/<int:number>")
def shared_picture(token: str, number: int):
    """A picture of the snapshot (JPEG or PNG, the copy made with the link)."""
    return _shared_image(token, number, thumbnail=False)


@bp.get("/s/<token>/pictures/<int:number>/thumbnail")
def shared_thumbnail(token: str, number: int):
    """The picture's thumbnail (long edge at most 320 px)."""
    return _shared_image(token, number, thumbnail=True)


@bp.post("/shares/<int:share_id>/revoke")
def revoke_share(share_id: int):
    """End a link: its address answers 404 from now on, and its copy is deleted."""
    share = Share.owned(session_store.owner_id(), share_id)
    if share is None:
        abort(404)
    title = share.title
    db.session.delete(share)
    db.session.commit()
    if (session.get(_SHARE_FIELD) or {}).get("id") == share_id:
        session.pop(_SHARE_FIELD, None)
    return _done(
        f"The link to “{title}” is revoked: it no longer opens.",
        url_for("settings.index") + "#shares",
        {"revoked": share_id},
    )


def _listed(query: Callable[[], Any]) -> Any:
    """Run one of Settings' listings; None when the database is away (Settings still
    serves the key and the model, which live in the session store)."""
    try:
        return query()
    except SQLAlchemyError:
        db.session.rollback()
        return None


@bp.app_template_global()
def owner_shares() -> list[Share] | None:
    """The visitor's live share links, newest first (Settings lists them); None: unknown."""
    return _listed(lambda: list(Share.of_owner(session_store.owner_id())))


# ---------------------------------------------------------------- pairing


@bp.post("/devices/pair")
@rate_limited(*pair_limits())
def make_pairing_link():
    """Make a one-time link that attaches another browser to this owner for 10 minutes.

    JSON: ``{"url", "expires_at", "qr"}`` (``qr``: an SVG data: URI) with 201. Form:
    303 to Settings, which shows the link and its QR code.
    """
    row, code = PairingCode.issue(session_store.owner_id(), PAIRING_LIFETIME)
    db.session.commit()
    url = url_for("sharing.pair_confirm", code=code, _external=True)
    session[_PAIRING_FIELD] = current_app.extensions["key_cipher"].encrypt(code)
    if wants_json():
        return jsonify(
            {"url": url, "expires_at": row.expires_at.isoformat(), "qr": qr_data_uri(url)}
        ), 201
    return redirect(url_for("settings.index") + "#devices", 303)


@bp.app_template_global()
def pairing_link() -> dict[str, Any] | None:
    """The pairing link this session made, while it still opens: url, qr, expires_at."""
    sealed = session.get(_PAIRING_FIELD)
    code = current_app.extensions["key_cipher"].decrypt(sealed) if sealed else None
    row = _listed(lambda: PairingCode.find(code)) if code else None
    if row is None or not row.usable:
        return None
    url = url_for("sharing.pair_confirm", code=code, _external=True)
    return {"url": url, "qr": qr_data_uri(url), "expires_at": row.expires_at}


@bp.app_template_global()
def paired_browsers() -> list[PairedBrowser] | None:
    """The browsers paired to the visitor's owner id, newest first; None: unknown."""
    return _listed(lambda: list(PairedBrowser.of_owner(session_store.owner_id())))


@bp.app_template_global()
def this_browser_id() -> str | None:
    """This browser's PairedBrowser id, if a pairing link attached it."""
    return session_store.paired_browser_id()


def _code_gone(row: PairingCode | None) -> Response:
    """The page for a code that opens nothing: 404 unknown, 410 used or expired."""
    if row is None:
        status, title = 404, "This pairing link does not exist"
        reason = "The address is not a pairing link (check that it was copied whole)."
    elif row.used_at is not None:
        status, title = 410, "This pairing link was already used"
        reason = "A pairing link attaches one browser, once."
    else:
        status, title = 410, "This pairing link has expired"
        reason = "A pairing link works for 10 minutes."
    advice = (
        "On the browser that has your conversations, open Settings → Open on another "
        "device and make a new link, then open it here."
    )
    if wants_json():
        return jsonify(
            {"error": {"kind": "pairing_link_gone", "message": f"{reason} {advice}"}}
        ), status
    return make_response(
        render_template("share/pair_gone.html", title=title, reason=reason, advice=advice),
        status,
    )


def _what_moves(owner: str, target: str) -> dict[str, Any]:
    """What pairing does to this browser's own conversations (see ``_attach``)."""
    paired_here = session_store.paired_browser_id() is not None
    keep = paired_here or PairedBrowser.count_of(owner) > 0
    return {
        "same": owner == target,
        "count": owner_holdings(owner),
        # A browser that is itself paired, or that others are paired to, shares its
        # conversations: moving them would take them from those other browsers.
        "moves": not keep,
    }


@bp.get("/pair/<code>")
@rate_limited(*pair_limits())
def pair_confirm(code: str):
    """Ask this browser to confirm before it is attached (a GET changes nothing)."""
    row = PairingCode.find(code)
    if row is None or not row.usable:
        return _code_gone(row)
    owner = session_store.owner_id()
    return render_template(
        "share/pair.html", code=code, expires_at=row.expires_at, **_what_moves(owner, row.owner_id)
    )


@bp.post("/pair/<code>")
@rate_limited(*pair_limits())
def pair(code: str):
    """Spend the code and attach this browser to its owner.

    This browser's own conversations (and vehicle, when the other has none) move along,
    unless other browsers share them (then they stay where they are). JSON: ``{"paired":
    true, "moved": n}``; form: 303 to the chat page. A used, expired or unknown code gets
    410 / 404 and changes nothing.
    """
    previous = session_store.owner_id()
    row = PairingCode.find(code)
    if row is not None and row.usable and row.owner_id == previous:
        # Opened on the browser that made it: nothing to attach, and the code stays good.
        return _done(
            "This browser already shows these conversations: open the link on the other one.",
            url_for("settings.index") + "#devices",
            {"paired": False, "moved": 0},
        )
    target = PairingCode.consume(code)
    if target is None:
        db.session.rollback()
        return _code_gone(PairingCode.find(code))
    plan = _what_moves(previous, target)
    moved = move_owner(previous, target) if plan["moves"] else 0
    old_browser = session_store.paired_browser_id()
    if old_browser:
        # It leaves the owner it was paired to: that owner's list no longer shows it.
        db.session.execute(db.delete(PairedBrowser).where(PairedBrowser.id == old_browser))
    browser = PairedBrowser.attach(target, browser_label(request.headers.get("User-Agent")))
    db.session.flush()
    session_store.attach_browser(target, browser.id)
    db.session.commit()
    message = (
        "This browser now shows the same conversations and vehicle as the one that made the link."
    )
    if moved:
        message += f" Its own {moved} conversation{'s' if moved != 1 else ''} moved along."
    return _done(message, url_for("chat.index"), {"paired": True, "moved": moved})


@bp.post("/devices/<browser_id>/signout")
def sign_out(browser_id: str):
    """Detach a paired browser: its next request starts as a fresh, empty visitor."""
    browser = PairedBrowser.owned(session_store.owner_id(), browser_id)
    if browser is None:
        abort(404)
    label = browser.label
    db.session.delete(browser)
    db.session.commit()
    return _done(
        f"{label} is signed out: it no longer sees your conversations.",
        url_for("settings.index") + "#devices",
        {"signed_out": browser_id},
    )
