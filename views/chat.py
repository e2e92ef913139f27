"""The chat pages and the send / retry actions."""

from __future__ import annotations

import uuid

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.exceptions import BadRequest

import conversations
import session_store
from models import Conversation
from views import error_body, wants_json

bp = Blueprint("chat", __name__)


def _client():
    return current_app.extensions["openrouter"]


def render_chat(
    conversation: Conversation | None,
    *,
    draft: str = "",
    error: str | None = None,
    status: int = 200,
):
    """Render the chat page, optionally keeping a draft and showing an error."""
    owner = session_store.owner_id()
    retry_target = conversations.retryable_message(conversation) if conversation else None
    body = render_template(
        "chat/index.html",
        conversation=conversation,
        conversations=conversations.conversations_for(owner),
        draft=draft,
        error=error,
        retry_target=retry_target,
        client_msg_id=uuid.uuid4().hex,
        max_length=current_app.config["MAX_MESSAGE_LENGTH"],
        model=session_store.chosen_model(),
        key_source=session_store.resolve_api_key()[1],
    )
    return body, status


def render_draft(error: str):
    """Re-render the page a chat form came from, with its text kept in the box."""
    conversation = conversations.owned_conversation(
        session_store.owner_id(), request.form.get("conversation_id")
    )
    return render_chat(conversation, draft=request.form.get("message", ""), error=error, status=400)


def _owned_or_404(conversation_id: str) -> Conversation:
    conversation = conversations.owned_conversation(session_store.owner_id(), conversation_id)
    if conversation is None:
        abort(404)
    return conversation


@bp.get("/")
def index():
    """Show the chat page with a fresh conversation."""
    return render_chat(None)


@bp.get("/c/<conversation_id>")
def conversation(conversation_id: str):
    """Show one of the visitor's conversations."""
    return render_chat(_owned_or_404(conversation_id))


def _form_fields() -> dict:
    if request.is_json:
        data = request.get_json(silent=False)
        if not isinstance(data, dict):
            raise BadRequest("The JSON body must be an object.")
        return {k: v if isinstance(v, str) else None for k, v in data.items()}
    return request.form.to_dict()


@bp.post("/chat")
def send():
    """Send a message: form posts get a redirect, JSON callers get the reply."""
    fields = _form_fields()
    draft = fields.get("message") or ""
    conversation_id = (fields.get("conversation_id") or "").strip() or None
    conversation = _owned_or_404(conversation_id) if conversation_id else None
    try:
        text = conversations.validate_message(draft, current_app.config["MAX_MESSAGE_LENGTH"])
        client_msg_id = conversations.validate_client_msg_id(fields.get("client_msg_id"))
    except conversations.MessageRejected as rejected:
        if wants_json():
            return jsonify(error_body(rejected.kind, rejected.message)), rejected.status
        return render_chat(
            conversation, draft=draft, error=rejected.message, status=rejected.status
        )

    current_app.logger.info(
        "chat request received: length=%d model=%s",
        len(text),
        session_store.chosen_model(),
    )
    result = conversations.send_message(
        session_store.owner_id(), text, conversation, client_msg_id, _client()
    )
    if wants_json():
        return _json_result(result)
    return redirect(url_for("chat.conversation", conversation_id=result.conversation_id), 303)


@bp.post("/c/<conversation_id>/retry")
def retry(conversation_id: str):
    """Ask again for the last message whose answer failed."""
    conversation = _owned_or_404(conversation_id)
    result = conversations.retry(conversation, _client())
    if result is None:
        message = "There is no failed message to retry in this conversation."
        if wants_json():
            return jsonify(error_body("nothing_to_retry", message)), 409
        return render_chat(conversation, error=message, status=409)
    if wants_json():
        return _json_result(result)
    return redirect(url_for("chat.conversation", conversation_id=conversation_id), 303)


def _json_result(result: conversations.TurnResult):
    body = {
        "conversation_id": result.conversation_id,
        "message_id": result.message_id,
        "reply_id": result.reply_id,
        "reply": result.reply,
        "status": result.status,
        "model": result.model,
        "duplicate": result.duplicate,
    }
    if result.error is None:
        return jsonify(body), 200
    body.update(error_body(result.error.kind, result.error.message))
    response = jsonify(body)
    response.status_code = result.error.status
    if result.error.retry_after is not None:
        response.headers["Retry-After"] = str(result.error.retry_after)
    return response
