"""The chat turn: save the user's message, ask the model, record what came back.

The user's message is committed before the upstream call and no database
connection is held while the model is thinking.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app, url_for

import session_store
from automotive.prompts import system_message
from models import TITLE_LENGTH, Conversation, Message, db, utcnow
from openrouter import OpenRouterClient, OpenRouterError

CLIENT_MSG_ID_LENGTH = 64


class MessageRejected(ValueError):
    """The message cannot be sent as it is; nothing was saved or called."""

    def __init__(self, kind: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status = status


@dataclass(frozen=True)
class TurnError:
    kind: str
    message: str
    status: int
    retry_after: int | None = None


@dataclass(frozen=True)
class TurnResult:
    conversation_id: str
    message_id: int
    reply_id: int | None
    reply: str | None
    status: str  # ok | error | offline | pending
    error: TurnError | None = None
    model: str | None = None
    duplicate: bool = False


# ---------------------------------------------------------------- input


def validate_message(text: str | None, max_length: int) -> str:
    """Return the message to send, or raise MessageRejected with the reason."""
    text = (text or "").replace("\r\n", "\n")
    if not text.strip():
        raise MessageRejected("empty_message", "Type a message before sending.")
    if len(text) > max_length:
        raise MessageRejected(
            "message_too_long",
            f"The message is {len(text):,} characters long; the limit is "
            f"{max_length:,}. Shorten it and send again.",
        )
    return text.strip()


def validate_client_msg_id(value: str | None) -> str | None:
    """Return the idempotency key, or raise MessageRejected if it is unusable."""
    value = (value or "").strip()
    if not value:
        return None
    if len(value) > CLIENT_MSG_ID_LENGTH or not re.fullmatch(r"[\w.:-]+", value):
        raise MessageRejected(
            "bad_client_msg_id",
            f"client_msg_id must be 1-{CLIENT_MSG_ID_LENGTH} letters, digits or -_.:",
        )
    return value


def make_title(text: str) -> str:
    """Title a conversation after its first message."""
    line = " ".join(text.split())
    limit = min(80, TITLE_LENGTH)
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


# ---------------------------------------------------------------- queries


def conversations_for(owner_id: str, limit: int = 100) -> Sequence[Conversation]:
    """List an owner's conversations, most recently active first."""
    return db.session.scalars(
        db.select(Conversation)
        .where(Conversation.owner_id == owner_id)
        .order_by(Conversation.updated_at.desc(), Conversation.created_at.desc())
        .limit(limit)
    ).all()


def owned_conversation(owner_id: str, conversation_id: str | None) -> Conversation | None:
    """Return the conversation if this owner has it, else None (never another's)."""
    if not conversation_id or len(conversation_id) > 32:
        return None
    conversation = db.session.get(Conversation, conversation_id)
    if conversation is None or conversation.owner_id != owner_id:
        return None
    return conversation


def retryable_message(conversation: Conversation) -> Message | None:
    """Return the last user message if its turn ended without a delivered reply."""
    messages = conversation.messages
    if not messages:
        return None
    last = messages[-1]
    if last.role == "user":
        return last
    if last.status in ("error", "offline") and last.reply_to_id:
        return db.session.get(Message, last.reply_to_id)
    return None


def _history_from_db(conversation_id: str, before_id: int, size: int) -> list[dict]:
    rows = list(
        db.session.scalars(
            db.select(Message)
            .where(Message.conversation_id == conversation_id, Message.id < before_id)
            .order_by(Message.id.desc())
            .limit(size * 3)
        )
    )
    rows.reverse()
    answered = {m.reply_to_id for m in rows if m.role == "assistant" and m.status == "ok"}
    turns = [
        {"role": m.role, "content": m.content}
        for m in rows
        if (m.role == "user" and m.id in answered) or (m.role == "assistant" and m.status == "ok")
    ][-size:]
    while turns and turns[0]["role"] != "user":
        turns.pop(0)
    return turns


def _latest_message_id(conversation_id: str, before_id: int) -> int | None:
    return db.session.scalar(
        db.select(db.func.max(Message.id)).where(
            Message.conversation_id == conversation_id, Message.id < before_id
        )
    )


def _find_duplicate(owner_id: str, client_msg_id: str) -> Message | None:
    return db.session.scalar(
        db.select(Message)
        .join(Conversation)
        .where(
            Conversation.owner_id == owner_id,
            Message.client_msg_id == client_msg_id,
            Message.role == "user",
        )
        .limit(1)
    )


def _reply_to(message: Message) -> Message | None:
    return db.session.scalar(
        db.select(Message)
        .where(Message.reply_to_id == message.id)
        .order_by(Message.id.desc())
        .limit(1)
    )


# ---------------------------------------------------------------- errors


def describe_error(exc: OpenRouterError, model: str) -> TurnError:
    """Turn an upstream failure into one specific, actionable sentence."""
    settings = url_for("settings.index")
    reason = exc.reason.strip() if exc.reason else ""
    via = f" ({exc.provider})" if exc.provider else ""
    detail = f": {reason}" if reason else ""
    code = exc.status_code
    kind = exc.kind
    if kind == "invalid_key":
        text = (
            f"OpenRouter rejected the API key (401{detail}). Check it or paste a "
            f"new one in [Settings]({settings}), then retry."
        )
        return TurnError(kind, text, 401)
    if kind == "insufficient_credits":
        text = (
            f"The OpenRouter account behind this key is out of credits (402{detail}). "
            f"Add credits at openrouter.ai, or pick a free model (ending in `:free`) "
            f"in [Settings]({settings}), then retry."
        )
        return TurnError(kind, text, 402)
    if kind == "moderation":
        text = (
            f"The request was blocked by moderation{via} (403{detail}). "
            "Rephrase the message and send it again."
        )
        return TurnError(kind, text, 403)
    if kind == "not_found":
        text = (
            f"The model `{model}` is not available (404{detail}). Pick another "
            f"model in [Settings]({settings}), then retry."
        )
        return TurnError(kind, text, 404)
    if kind == "rate_limited":
        wait = math.ceil(exc.retry_after) if exc.retry_after is not None else None
        when = f"Retry in {wait} s." if wait is not None else "Wait a little, then retry."
        text = f"OpenRouter is rate limiting requests{via} (429{detail}). {when}"
        return TurnError(kind, text, 429, retry_after=wait if wait is not None else 10)
    if kind == "bad_request":
        text = f"OpenRouter refused the request (400{detail})."
        return TurnError(kind, text, 400)
    if kind in ("timeout", "upstream_timeout"):
        limit = f" ({reason})" if reason else ""
        text = (
            f"The model did not answer in time{limit}. The provider may be busy: "
            "try again in a moment."
        )
        return TurnError(kind, text, 504)
    if kind == "provider_unavailable":
        status = f"{code}{detail}" if code else reason or "unavailable"
        text = (
            f"The model provider{via} is unavailable right now ({status}). Try again "
            f"in a moment, or pick another model in [Settings]({settings})."
        )
        return TurnError(kind, text, 503 if code == 503 else 502)
    if kind == "connection_error":
        text = (
            "Could not reach OpenRouter"
            + (f" ({reason})" if reason else "")
            + ". Check the server's network connection, then try again."
        )
        return TurnError(kind, text, 502)
    if kind == "empty_reply":
        text = "The model returned an empty reply. Try again, or pick another model."
        return TurnError(kind, text, 502)
    text = f"OpenRouter sent an answer that could not be used{detail}. Try again."
    return TurnError(kind, text, 502)


def offline_notice() -> str:
    """Explain that no key is set and where to add one."""
    return (
        "**The assistant is offline:** no OpenRouter API key is set, so your message "
        "was saved but not sent to a model. Add your key in "
        f"[Settings]({url_for('settings.index')}), then press Retry."
    )


# ---------------------------------------------------------------- the turn


def send_message(
    owner_id: str,
    text: str,
    conversation: Conversation | None,
    client_msg_id: str | None,
    client: OpenRouterClient,
) -> TurnResult:
    """Save the user's message, then answer it (or record why it could not be)."""
    if client_msg_id:
        existing = _find_duplicate(owner_id, client_msg_id)
        if existing is not None:
            return _result_for_existing(existing)

    if conversation is None:
        conversation = Conversation(owner_id=owner_id, title=make_title(text))
        db.session.add(conversation)
    conversation.updated_at = utcnow()
    user_message = Message(
        conversation=conversation,
        role="user",
        content=text,
        client_msg_id=client_msg_id,
    )
    db.session.add(user_message)
    db.session.commit()
    return _answer(conversation.id, user_message.id, text, client)


def retry(conversation: Conversation, client: OpenRouterClient) -> TurnResult | None:
    """Ask again for the last message whose turn failed; None if nothing to retry."""
    message = retryable_message(conversation)
    if message is None:
        return None
    return _answer(conversation.id, message.id, message.content, client)


def _result_for_existing(message: Message) -> TurnResult:
    reply = _reply_to(message)
    if reply is None:
        return TurnResult(
            message.conversation_id, message.id, None, None, "pending", duplicate=True
        )
    return TurnResult(
        message.conversation_id,
        message.id,
        reply.id,
        reply.content,
        reply.status,
        model=reply.model,
        duplicate=True,
    )


def _history_for(conversation_id: str, message_id: int) -> list[dict[str, Any]]:
    """Return the turns before this message: the session's window, else the database's."""
    last_id = _latest_message_id(conversation_id, message_id)
    history = session_store.cached_history(conversation_id, last_id)
    if history is None:
        history = _history_from_db(
            conversation_id, message_id, current_app.config["HISTORY_WINDOW"]
        )
    return history


def _answer(
    conversation_id: str, message_id: int, text: str, client: OpenRouterClient
) -> TurnResult:
    history = _history_for(conversation_id, message_id)
    api_key, _source = session_store.resolve_api_key()
    model = session_store.chosen_model()
    # Hand the connection back to the pool before the model starts thinking.
    db.session.close()

    if not api_key:
        reply = _record(conversation_id, message_id, offline_notice(), "offline", model)
        session_store.store_history(conversation_id, history, reply.id)
        return TurnResult(conversation_id, message_id, reply.id, reply.content, "offline")

    upstream = [system_message(), *history, {"role": "user", "content": text}]
    try:
        result = client.chat(
            api_key,
            model,
            upstream,
            max_tokens=current_app.config["MAX_REPLY_TOKENS"],
        )
    except OpenRouterError as exc:
        error = describe_error(exc, model)
        current_app.logger.info(
            "upstream call failed: kind=%s status=%s", exc.kind, exc.status_code
        )
        reply = _record(conversation_id, message_id, error.message, "error", model, error.kind)
        session_store.store_history(conversation_id, history, reply.id)
        return TurnResult(
            conversation_id, message_id, reply.id, error.message, "error", error, model
        )

    reply = _record(
        conversation_id,
        message_id,
        result.content,
        "ok",
        result.model or model,
        prompt_tokens=result.usage.prompt_tokens,
        completion_tokens=result.usage.completion_tokens,
    )
    turns = [
        *history,
        {"role": "user", "content": text},
        {"role": "assistant", "content": result.content},
    ]
    session_store.store_history(conversation_id, turns, reply.id)
    return TurnResult(
        conversation_id, message_id, reply.id, result.content, "ok", model=reply.model
    )


def _record(
    conversation_id: str,
    reply_to_id: int,
    content: str,
    status: str,
    model: str | None,
    error_kind: str | None = None,
    **usage: int | None,
) -> Message:
    reply = Message(
        conversation_id=conversation_id,
        role="assistant",
        content=content,
        status=status,
        error_kind=error_kind,
        model=model,
        reply_to_id=reply_to_id,
        **usage,
    )
    db.session.add(reply)
    conversation = db.session.get(Conversation, conversation_id)
    if conversation is not None:
        conversation.updated_at = utcnow()
    db.session.commit()
    return reply
