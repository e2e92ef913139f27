"""The chat pages and the send / retry actions (page, JSON or Server-Sent Events)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from sqlalchemy.exc import SQLAlchemyError

import catalog as model_catalog
import images
import observability
import session_store
import vehicles
from chat import ask, context, failures, intake, stream
from chat.failures import TurnError
from chat.turn import PENDING, PreparedTurn, TurnResult
from models import Attachment, Conversation, Message, clean_text, db, read_outside_a_transaction
from offload import run_off_loop
from rendering import StreamPreview
from security import chat_limits, rate_limited
from states import FailureKind, MessageStatus, Role
from views import (
    MOST_SHOWN,
    PAGE_MESSAGES,
    FieldRejected,
    conversations,
    error_body,
    fragments,
    shown_to_hold,
    wants_json,
    wants_stream,
)

bp = Blueprint("chat", __name__)


@bp.before_request
def _load_catalog() -> None:
    # Before any query: a catalog refresh may wait on OpenRouter, and no database
    # connection may be held while it does. Usually this is a memory lookup.
    model_catalog.get_catalog()


def _client():
    return current_app.extensions["openrouter"]


MAX_ID = 2**63 - 1


def shown_count() -> int:
    """How many of the newest messages the page shows: ``?show=N``, at least one page."""
    asked = request.args.get("show", type=int) or PAGE_MESSAGES
    return max(PAGE_MESSAGES, min(asked, MOST_SHOWN))


def render_chat(
    conversation: Conversation | None,
    *,
    draft: str = "",
    error: str | None = None,
    status: int = 200,
    editing: tuple[int, str, str] | None = None,
    switch_models: list[str] | None = None,
):
    """Render the chat page, optionally keeping a draft and showing an error.

    ``editing`` is ``(message id, text, error)``: a refused edit, shown open with its text
    kept and the error beside it, and focused (the page reaches back far enough to hold
    that question); the message box then shows no error of its own.
    """
    # The catalog before any query: a refresh may call OpenRouter.
    model, model_notice = model_catalog.resolve_model(
        session_store.chosen_model(), model_catalog.get_catalog()
    )
    owner = session_store.owner_id()
    draft = draft or session_store.take_draft()
    shown = shown_count()
    if conversation and editing:
        shown = max(shown, shown_to_hold(conversation, editing[0]) or 0)
    page = conversation.page(shown, context.pending_seconds()) if conversation else None
    rows = page.rows if page else []
    items = fragments.message_items(rows, editing=editing)
    page = render_template(
        "chat/index.html",
        conversation=conversation,
        messages=rows,
        message_items=fragments.slot(items),
        editing=editing,
        switch_models=switch_models,
        max_images=current_app.config["MAX_IMAGES"],
        max_image_bytes=current_app.config["MAX_IMAGE_BYTES"],
        image_types=images.ACCEPTED_TYPES,
        earlier=page.earlier if page else 0,
        page_size=PAGE_MESSAGES,
        side=conversations.sidebar(conversation),
        undo=conversations.undoable(request.args.get("deleted")) if conversation is None else None,
        undo_seconds=conversations.undo_seconds(),
        undo_left=conversations.undo_left,
        draft=draft,
        error=error,
        retry_target=page.retry_target if page else None,
        client_msg_id=uuid.uuid4().hex,
        max_length=current_app.config["MAX_MESSAGE_LENGTH"],
        model=model,
        model_notice=model_notice,
        totals=page.totals if page else None,
        key_source=session_store.resolve_api_key()[1],
        vehicle=vehicles.profile_for(owner),
    )
    return fragments.splice(page), status


def render_draft(error: str, status: int = 400):
    """Re-render the page a chat form came from, with its text kept in the box."""
    try:
        conversation = Conversation.owned(
            session_store.owner_id(), request.form.get("conversation_id")
        )
        return render_chat(
            conversation, draft=request.form.get("message", ""), error=error, status=status
        )
    except SQLAlchemyError:
        db.session.rollback()
        return render_template(
            "errors/error.html",
            status=400,
            title="Form expired",
            message=error,
            draft=request.form.get("message", ""),
            form=request.form,
        ), status


def _owned_or_404(conversation_id: str) -> Conversation:
    conversation = Conversation.owned(session_store.owner_id(), conversation_id)
    if conversation is None:
        abort(404)
    return conversation


@bp.get("/")
def index():
    """Show the chat page with a fresh conversation."""
    read_outside_a_transaction()
    return render_chat(None)


@bp.get("/c/<conversation_id>")
def conversation(conversation_id: str):
    """Show one of the visitor's conversations."""
    read_outside_a_transaction()
    return render_chat(_owned_or_404(conversation_id))


@bp.get("/c/<conversation_id>/earlier")
def earlier(conversation_id: str):
    """The page of messages before ``?before=<message id>``, as HTML list items (JSON)."""
    read_outside_a_transaction()
    conversation = _owned_or_404(conversation_id)
    before = request.args.get("before", type=int)
    # Ids are database integers (at most 2**63 - 1); a larger number is no message id.
    if before is None or not 1 <= before <= MAX_ID:
        return jsonify(error_body("bad_request", "before must be a message id.")), 400
    rows, remaining = conversation.rows_before(before, PAGE_MESSAGES)
    items = fragments.message_items(rows)
    page = render_template(
        "chat/_earlier.html",
        conversation=conversation,
        messages=rows,
        message_items=fragments.slot(items),
        earlier=remaining,
        # For the link's plain href: everything from the oldest of these to the newest.
        shown=conversation.message_count() - remaining,
        page_size=PAGE_MESSAGES,
    )
    html = fragments.splice(page).decode()
    return jsonify({"html": html, "count": len(rows), "remaining": remaining})


FIELDS = ("message", "conversation_id", "client_msg_id")


def _form_fields() -> dict[str, str | None]:
    if not request.is_json:
        return {name: request.form.get(name) for name in FIELDS}
    data = request.get_json(silent=False)
    if not isinstance(data, dict):
        raise FieldRejected("The JSON body must be an object.", kind="bad_json")
    fields: dict[str, str | None] = {}
    for name in FIELDS:
        value = data.get(name)
        if value is not None and not isinstance(value, str):
            raise FieldRejected(f"{name} must be a string.")
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise FieldRejected(f"{name} is not valid Unicode text.") from None
        fields[name] = value
    return fields


@bp.post("/chat")
@rate_limited(*chat_limits())
def send():
    """Send a message: form posts get a redirect, JSON and SSE callers get the reply."""
    fields = _form_fields()
    draft = fields.get("message") or ""
    conversation_id = (fields.get("conversation_id") or "").strip() or None
    conversation = _owned_or_404(conversation_id) if conversation_id else None
    try:
        pictures = _pictures()
        text = intake.validate_message(
            draft, current_app.config["MAX_MESSAGE_LENGTH"], with_pictures=bool(pictures)
        )
        client_msg_id = intake.validate_client_msg_id(fields.get("client_msg_id"))
    except intake.MessageRejected as rejected:
        return _rejected(rejected, conversation, draft)
    return _take_turn(text, draft, conversation, client_msg_id, pictures=pictures)


def _pictures() -> list[images.ProcessedImage]:
    """The pictures of a multipart send (field ``images``), checked and re-encoded.

    Raises MessageRejected: too many, too large, not a picture, or a model that cannot
    see them. Nothing is stored until every one of them passed.
    """
    config = current_app.config
    uploads = [f for f in request.files.getlist("images") if f and f.filename]
    if not uploads:
        return []
    if len(uploads) > config["MAX_IMAGES"]:
        raise intake.MessageRejected(
            "too_many_images",
            f"A message can carry up to {config['MAX_IMAGES']} pictures; you chose "
            f"{len(uploads)}. Remove some and send again.",
        )
    intake.ensure_model_sees_pictures(session_store.chosen_model(), model_catalog.get_catalog())
    pictures = []
    for upload in uploads:
        raw = upload.stream.read(config["MAX_IMAGE_BYTES"] + 1)
        try:
            pictures.append(
                run_off_loop(
                    images.process_image,
                    raw,
                    upload.filename or "",
                    max_bytes=config["MAX_IMAGE_BYTES"],
                    max_edge=config["IMAGE_MAX_EDGE"],
                    max_pixels=config["IMAGE_MAX_PIXELS"],
                )
            )
        except images.ImageRejected as rejected:
            raise intake.MessageRejected(rejected.kind, rejected.message, rejected.status) from None
    return pictures


def _rejected(
    rejected: intake.MessageRejected,
    conversation: Conversation | None,
    draft: str,
    editing: int | None = None,
):
    """A message refused before anything was stored: its text stays in the box."""
    models = getattr(rejected, "models", None)
    if wants_json():
        body = error_body(rejected.kind, rejected.message)
        if models is not None:
            body["error"]["models"] = models
        return jsonify(body), rejected.status
    return render_chat(
        conversation,
        draft="" if editing else draft,
        error=rejected.message,
        status=rejected.status,
        editing=(editing, draft, rejected.message) if editing else None,
        switch_models=models,
    )


def _take_turn(
    text: str,
    draft: str,
    conversation: Conversation | None,
    client_msg_id: str | None,
    edit_of: Message | None = None,
    pictures: list[images.ProcessedImage] | None = None,
):
    """Save the message, ask, and answer as the caller asked (page, JSON or stream)."""
    _need_a_key()
    observability.log_chat_received(len(text), session_store.chosen_model())
    owner = session_store.owner_id()
    try:
        saved = intake.save_user_message(
            owner, text, conversation, client_msg_id, edit_of, pictures or ()
        )
    except intake.DuplicateMismatch as mismatch:
        if wants_json():
            return jsonify(error_body("duplicate_client_msg_id", str(mismatch))), 409
        return render_chat(conversation, draft=draft, error=str(mismatch), status=409)
    if isinstance(saved, TurnResult):
        result = saved
        if result.status == PENDING and not wants_stream():
            # The first copy is still being answered: wait for its answer.
            *_, result = intake.await_reply(result, context.pending_seconds())
    elif wants_stream():
        return _event_stream(_turn_events(context.prepare(saved)))
    else:
        result = ask.answer(context.prepare(saved), _client())
    if wants_stream():
        return _event_stream(_replay(result))
    if wants_json():
        return _json_result(result)
    return redirect(_at_reply(result), 303)


def _need_a_key() -> None:
    """Refuse a turn while sessions are down and the only key would be the visitor's own.

    Their key is in the session that cannot be read; the offline answer would wrongly say
    no key is set. With a server key the turn goes on (the page says whose key it uses).
    """
    if session_store.unavailable() and session_store.resolve_api_key()[0] is None:
        raise session_store.SessionsUnavailable


@bp.post("/c/<conversation_id>/retry")
@rate_limited(*chat_limits())
def retry(conversation_id: str):
    """Ask again for the last message whose answer failed."""
    conversation = _owned_or_404(conversation_id)
    _need_a_key()
    try:
        turn = context.retry_target(conversation)
    except intake.MessageRejected as rejected:
        return _rejected(rejected, conversation, "")
    if turn is None:
        message = "There is no failed message to retry in this conversation."
        if wants_json():
            return jsonify(error_body("nothing_to_retry", message)), 409
        return render_chat(conversation, error=message, status=409)
    if wants_stream():
        return _event_stream(_turn_events(turn))
    result = ask.answer(turn, _client())
    if wants_json():
        return _json_result(result)
    return redirect(_at_reply(result), 303)


def _message_or_404(conversation: Conversation, message_id: int, role: Role) -> Message:
    """One of the conversation's messages, of the given role, on the branch on screen."""
    message = db.session.get(Message, message_id)
    if (
        message is None
        or message.conversation_id != conversation.id
        or message.role != role
        or not message.on_path
    ):
        abort(404)
    return message


@bp.post("/c/<conversation_id>/m/<int:message_id>/edit")
@rate_limited(*chat_limits())
def edit(conversation_id: str, message_id: int):
    """Send an edited question as a new version of it, and answer that.

    The earlier question and everything after it stay as the other branch.
    """
    conversation = _owned_or_404(conversation_id)
    original = _message_or_404(conversation, message_id, Role.USER)
    fields = _form_fields()
    draft = fields.get("message") or ""
    try:
        pictures = _pictures()
        kept = not pictures and bool(Attachment.of_messages([original.id]))
        if kept:
            # The edit keeps the question's pictures: the same rule as sending them.
            intake.ensure_model_sees_pictures(
                session_store.chosen_model(), model_catalog.get_catalog()
            )
        text = intake.validate_message(
            draft,
            current_app.config["MAX_MESSAGE_LENGTH"],
            with_pictures=bool(pictures) or kept,
        )
        client_msg_id = intake.validate_client_msg_id(fields.get("client_msg_id"))
    except intake.MessageRejected as rejected:
        return _rejected(rejected, conversation, draft, editing=original.id)
    return _take_turn(text, draft, conversation, client_msg_id, edit_of=original, pictures=pictures)


@bp.post("/c/<conversation_id>/m/<int:message_id>/regenerate")
@rate_limited(*chat_limits())
def regenerate(conversation_id: str, message_id: int):
    """Ask again for an answer; the one shown stays as an earlier version."""
    conversation = _owned_or_404(conversation_id)
    reply = _message_or_404(conversation, message_id, Role.ASSISTANT)
    question = db.session.get(Message, reply.parent_id) if reply.parent_id else None
    if question is None or question.role != Role.USER:
        abort(404)
    try:
        turn = context.answer_again(conversation, question)
    except intake.MessageRejected as rejected:
        return _rejected(rejected, conversation, "")
    if wants_stream():
        return _event_stream(_turn_events(turn))
    result = ask.answer(turn, _client())
    if wants_json():
        return _json_result(result)
    return redirect(_at_reply(result), 303)


def _at_reply(result: TurnResult) -> str:
    """The conversation's address, at the reply (the page opens there without JavaScript)."""
    url = url_for("chat.conversation", conversation_id=result.conversation_id)
    anchor = result.reply_id or result.message_id
    return f"{url}#m{anchor}" if anchor else url


# ---------------------------------------------------------------- responses


@bp.app_template_global()
def turn_failure(message: Message) -> TurnError | None:
    """The failure a stored reply records, for the page to word (None if it did not fail)."""
    if message.status != MessageStatus.ERROR:
        return None
    return TurnError(message.error_kind or FailureKind.UPSTREAM_ERROR, message.error_detail or {})


@bp.record_once
def _template_globals(state) -> None:
    # Globals, not context: macros imported from _macros.html do not see the context.
    fragments.init_app(state.app)
    state.app.jinja_env.globals.update(
        MessageStatus=MessageStatus,
        Role=Role,
        offline_notice=lambda: failures.offline_notice(_client().name),
        STOPPED_NOTICE=failures.STOPPED_NOTICE,
        CUT_OFF_NOTICE=failures.CUT_OFF_NOTICE,
        STOPPED_EMPTY=failures.STOPPED_EMPTY,
    )


def _reply_text(result: TurnResult) -> str | None:
    """The reply as a JSON caller reads it: the notice stands in when no text arrived."""
    if result.status == MessageStatus.OFFLINE:
        notice = failures.offline_notice(_client().name)
        return "\n\n".join(part for part in (result.reply, notice) if part)
    if result.error is not None and not result.reply:
        return result.error.message
    return result.reply


def _result_body(result: TurnResult) -> dict[str, Any]:
    body: dict[str, Any] = {
        "conversation_id": result.conversation_id,
        "message_id": result.message_id,
        "reply_id": result.reply_id,
        "reply": _reply_text(result),
        "status": result.status,
        "model": result.model,
        "duplicate": result.duplicate,
        "usage": {
            "prompt_tokens": result.prompt_tokens,
            "completion_tokens": result.completion_tokens,
            "cost": result.cost,
        },
        "context_dropped": result.context_dropped,
    }
    if result.error is not None:
        body.update(error_body(result.error.kind, result.error.message))
        body["retry_after"] = result.error.retry_after
    return body


def _json_result(result: TurnResult):
    response = jsonify(_result_body(result))
    if result.error is not None:
        response.status_code = result.error.status
        if result.error.retry_after is not None:
            response.headers["Retry-After"] = str(result.error.retry_after)
    return response


def _sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def _conversation_event(
    conversation_id: str, message_id: int, title: str | None, *, alone: bool = False
) -> str:
    """The opening event: where the message is stored, and how it looks with its fact cards.

    ``alone``: a new question with no versions and no pictures, neither is looked up.
    """
    message = db.session.get(Message, message_id)
    html = item = actions = None
    if message is not None:
        html = render_template(
            "chat/_message.html",
            message=message,
            versions={} if alone else Message.versions([message]),
            pictures={} if alone else Attachment.of_messages([message.id]),
        )
        if message.parent_id is None:
            # A conversation's first message: the sidebar gets its entry (menu and all) and
            # the header its Actions menu, as a reload would show them.
            item = render_template(
                "chat/_conversation_item.html",
                item=message.conversation,
                current=message.conversation,
            )
            actions = render_template(
                "chat/_conversation_actions.html", conversation=message.conversation
            )
    db.session.close()  # nothing is held while the model thinks
    return _sse(
        "conversation",
        {
            "conversation_id": conversation_id,
            "message_id": message_id,
            "url": url_for("chat.conversation", conversation_id=conversation_id),
            "title": title,
            "html": html,
            "sidebar_item": item,
            "actions": actions,
        },
    )


def _final_event(result: TurnResult, *, alone: bool = False) -> str:
    """The closing event: the stored message, rendered by the server, with usage.

    ``alone``: the first answer to a new question, which has no other versions.
    """
    body = _result_body(result)
    reply = result.message
    if reply is None or reply.id != result.reply_id or db.inspect(reply).expired_attributes:
        reply = db.session.get(Message, result.reply_id) if result.reply_id else None
    if reply is not None:
        body["html"] = render_template(
            "chat/_message.html",
            message=reply,
            versions={} if alone else Message.versions([reply]),
            show_retry=reply.may_retry,
            conversation_id=result.conversation_id,
        )
        body["totals"] = Message.totals(result.conversation_id)
    db.session.close()  # the client may read slowly; hold no connection meanwhile
    return _sse("error" if result.error else "done", body)


def _turn_events(turn: PreparedTurn) -> Iterator[str]:
    yield _conversation_event(
        turn.conversation_id, turn.message_id, turn.title, alone=turn.first_answer
    )
    events = stream.stream_answer(turn, _client(), current_app.config["STREAM_KEEPALIVE"])
    # Each delta carries its text; now and then also the Markdown so far, rendered and
    # sanitized as a stored message is, so the reply reads formatted while it arrives.
    preview = StreamPreview()
    try:
        for kind, payload in events:
            if kind == "delta":
                # What the database will keep (no NUL, no lone surrogate), and what the
                # preview's Markdown can encode.
                payload = clean_text(payload)
                html = preview.add(payload)
                yield _sse(
                    "delta", {"text": payload} if html is None else {"text": payload, "html": html}
                )
            elif kind == "reasoning":
                yield _sse("reasoning", {"text": payload})
            elif kind == "tools":
                yield _sse("tools", {"names": [entry["name"] for entry in payload]})
            elif kind == "heartbeat":
                yield ": keepalive\n\n"
            else:
                yield _final_event(payload, alone=turn.first_answer)
    finally:
        # Runs when the visitor stops or leaves: the domain saves the partial reply.
        events.close()


def _replay(result: TurnResult) -> Iterator[str]:
    conversation = db.session.get(Conversation, result.conversation_id)
    yield _conversation_event(
        result.conversation_id, result.message_id, conversation.title if conversation else None
    )
    if result.status == PENDING:
        # The first copy is still being answered: keep this stream alive until it is.
        for awaited in intake.await_reply(result, context.pending_seconds()):
            if awaited is None:
                yield ": keepalive\n\n"
            else:
                result = awaited
    if result.reply_id is not None:
        yield _final_event(result)
    else:
        yield _sse("pending", _result_body(result))


def _event_stream(events: Iterator[str]) -> Response:
    response = Response(stream_with_context(events), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"
    return response
