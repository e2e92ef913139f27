"""The chat turn: save the user's message, ask the model, record what came back.

The user's message is committed before the upstream call and no database
connection is held while the model is thinking.
"""

from __future__ import annotations

import json
import logging
import math
import queue
import re
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from flask import current_app, url_for
from sqlalchemy.exc import IntegrityError

import catalog as model_catalog
import session_store
import vehicles
from automotive import facts as grounding
from automotive.prompts import system_message
from automotive.tools import TOOL_SCHEMAS, result_content, run_tool
from automotive.vehicle import VehicleProfile
from context_window import estimate_tokens, fit_history, reply_budget
from models import TITLE_LENGTH, Conversation, Message, db, utcnow
from observability import record_reply
from openrouter import (
    APITimeoutError,
    ChatResult,
    Delta,
    InvalidResponseError,
    ModelInfo,
    OpenRouterClient,
    OpenRouterError,
    ToolCall,
    ToolLoopError,
    Usage,
)

CLIENT_MSG_ID_LENGTH = 64
RETRYABLE_STATUSES = ("error", "offline", "stopped")  # replies that may be asked again
# Rounds of tool calls before the model must answer in words; each round is one
# upstream call, so this also bounds what a runaway model can cost.
MAX_TOOL_ROUNDS = 4
MAX_CALLS_PER_ROUND = 8
# All tool results of one reply together; the context budget keeps room for them.
MAX_TOOL_OUTPUT_CHARS = 12_000
TOOL_RESERVE_TOKENS = estimate_tokens(json.dumps(TOOL_SCHEMAS)) + estimate_tokens(
    "x" * MAX_TOOL_OUTPUT_CHARS
)


class DuplicateMismatch(ValueError):
    """A client_msg_id was reused for a different message or conversation."""


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
    status: str  # ok | error | offline | stopped | pending
    error: TurnError | None = None
    model: str | None = None
    duplicate: bool = False
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cost: float | None = None
    context_dropped: int = 0


@dataclass
class PreparedTurn:
    """Everything the upstream call needs, gathered before the connection is released."""

    conversation_id: str
    message_id: int
    text: str
    title: str
    api_key: str | None
    model: str
    model_info: ModelInfo | None
    window: list[dict[str, Any]]  # the session's history window
    upstream: list[dict[str, Any]]  # what is sent: system, kept history, the message
    context_dropped: int
    max_tokens: int
    facts: list[grounding.Fact]
    vehicle: VehicleProfile | None = None
    tools: list[dict[str, Any]] | None = None  # function schemas, for models that call tools

    def result(self, reply: Message, error: TurnError | None = None) -> TurnResult:
        """Describe the recorded reply."""
        return result_of(self.conversation_id, self.message_id, reply, error)


def result_of(
    conversation_id: str,
    message_id: int,
    reply: Message,
    error: TurnError | None = None,
    *,
    duplicate: bool = False,
) -> TurnResult:
    """Describe a stored reply to a message."""
    return TurnResult(
        conversation_id,
        message_id,
        reply.id,
        reply.content,
        reply.status,
        error,
        reply.model,
        duplicate=duplicate,
        prompt_tokens=reply.prompt_tokens,
        completion_tokens=reply.completion_tokens,
        cost=reply.cost,
        context_dropped=reply.context_dropped or 0,
    )


# ---------------------------------------------------------------- input


def clean_text(text: str) -> str:
    """Drop NUL characters, which no database column accepts."""
    return text.replace("\x00", "")


def validate_message(text: str | None, max_length: int) -> str:
    """Return the message to send, or raise MessageRejected with the reason."""
    text = clean_text(text or "").replace("\r\n", "\n")
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


CONVERSATION_ID = re.compile(r"[0-9a-f]{32}")


def owned_conversation(owner_id: str, conversation_id: str | None) -> Conversation | None:
    """Return the conversation if this owner has it, else None (never another's)."""
    if not isinstance(conversation_id, str) or not CONVERSATION_ID.fullmatch(conversation_id):
        return None
    conversation = db.session.get(Conversation, conversation_id)
    if conversation is None or conversation.owner_id != owner_id:
        return None
    return conversation


def totals(conversation_id: str) -> dict[str, Any]:
    """Add up the tokens and cost of a conversation's replies."""
    row = db.session.execute(
        db.select(
            db.func.coalesce(db.func.sum(Message.prompt_tokens), 0),
            db.func.coalesce(db.func.sum(Message.completion_tokens), 0),
            db.func.coalesce(db.func.sum(Message.cost), 0.0),
        ).where(Message.conversation_id == conversation_id, Message.role == "assistant")
    ).one()
    return {"tokens": int(row[0]) + int(row[1]), "cost": float(row[2])}


def retryable_message(conversation: Conversation) -> Message | None:
    """Return the last user message if its turn ended without a delivered reply.

    A user message with no reply at all may still be in flight; it only counts as
    abandoned once the longest possible upstream call is over.
    """
    messages = conversation.messages
    if not messages:
        return None
    last = messages[-1]
    if last.role == "user":
        created = last.created_at
        if created.tzinfo is None:  # SQLite hands back naive UTC
            created = created.replace(tzinfo=UTC)
        limit = current_app.config["OPENROUTER_READ_TIMEOUT"] + 30
        return last if (utcnow() - created).total_seconds() > limit else None
    if last.status in RETRYABLE_STATUSES and last.reply_to_id:
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

# The status a JSON caller gets for each failure kind (and again on a replay);
# anything else the upstream did wrong is a 502.
KIND_STATUS = {
    "invalid_key": 401,
    "insufficient_credits": 402,
    "moderation": 403,
    "not_found": 404,
    "rate_limited": 429,
    "bad_request": 400,
    "timeout": 504,
    "upstream_timeout": 504,
}


def kind_status(kind: str, upstream_status: int | None = None) -> int:
    """Return the HTTP status that reports a failure kind to a JSON caller."""
    if kind == "provider_unavailable" and upstream_status == 503:
        return 503
    return KIND_STATUS.get(kind, 502)


def describe_error(exc: OpenRouterError, model: str) -> TurnError:
    """Turn an upstream failure into one specific, actionable sentence."""
    kind = exc.kind
    wait = None
    if kind == "rate_limited" and exc.retry_after is not None:
        wait = math.ceil(exc.retry_after)
    text = _error_sentence(exc, model, wait)
    retry_after = (wait if wait is not None else 10) if kind == "rate_limited" else None
    return TurnError(kind, text, kind_status(kind, exc.status_code), retry_after=retry_after)


def _error_sentence(exc: OpenRouterError, model: str, wait: int | None) -> str:
    settings = url_for("settings.index")
    reason = exc.reason.strip() if exc.reason else ""
    via = f" ({exc.provider})" if exc.provider else ""
    detail = f": {reason}" if reason else ""
    kind = exc.kind
    if kind == "invalid_key":
        return (
            f"OpenRouter rejected the API key (401{detail}). Check it or paste a "
            f"new one in [Settings]({settings}), then retry."
        )
    if kind == "insufficient_credits":
        return (
            f"The OpenRouter account behind this key is out of credits (402{detail}). "
            f"Add credits at openrouter.ai, or pick a free model (ending in `:free`) "
            f"in [Settings]({settings}), then retry."
        )
    if kind == "moderation":
        return (
            f"The request was blocked by moderation{via} (403{detail}). "
            "Rephrase the message and send it again."
        )
    if kind == "not_found":
        return (
            f"The model `{model}` is not available (404{detail}). Pick another "
            f"model in [Settings]({settings}), then retry."
        )
    if kind == "rate_limited":
        when = f"Retry in {wait} s." if wait is not None else "Wait a little, then retry."
        return f"OpenRouter is rate limiting requests{via} (429{detail}). {when}"
    if kind == "bad_request":
        return f"OpenRouter refused the request (400{detail})."
    if kind in ("timeout", "upstream_timeout"):
        limit = f" ({reason})" if reason else ""
        return (
            f"The model did not answer in time{limit}. The provider may be busy: "
            "try again in a moment."
        )
    if kind == "provider_unavailable":
        code = exc.status_code
        status = f"{code}{detail}" if code else reason or "unavailable"
        return (
            f"The model provider{via} is unavailable right now ({status}). Try again "
            f"in a moment, or pick another model in [Settings]({settings})."
        )
    if kind == "connection_error":
        return (
            "Could not reach OpenRouter"
            + (f" ({reason})" if reason else "")
            + ". Check the server's network connection, then try again."
        )
    if kind == "empty_reply":
        return "The model returned an empty reply. Try again, or pick another model."
    if kind == "tool_loop":
        return (
            "The model kept calling tools without answering, so it was stopped. Try again, "
            f"or pick another model in [Settings]({settings})."
        )
    return f"OpenRouter sent an answer that could not be used{detail}. Try again."


def offline_notice() -> str:
    """Explain that no key is set and where to add one."""
    return (
        "**The assistant is offline:** no OpenRouter API key is set, so your message "
        "was saved but not sent to a model. Add your key in "
        f"[Settings]({url_for('settings.index')}), then press Retry."
    )


# ---------------------------------------------------------------- the turn


@dataclass(frozen=True)
class SavedMessage:
    conversation_id: str
    message_id: int
    text: str
    title: str
    first: bool  # it opened a new conversation
    facts: list[grounding.Fact]

    def prepare(self) -> PreparedTurn:
        """Gather what the upstream call needs for this message."""
        return prepare(
            self.conversation_id,
            self.message_id,
            self.text,
            self.title,
            first=self.first,
            facts=self.facts,
        )


def save_user_message(
    owner_id: str,
    text: str,
    conversation: Conversation | None,
    client_msg_id: str | None,
) -> SavedMessage | TurnResult:
    """Commit the user's message (before any upstream call); a repeat returns its result."""
    if client_msg_id:
        existing = _find_duplicate(owner_id, client_msg_id)
        if existing is not None:
            return _replay(existing, text, conversation)
    first = conversation is None
    if conversation is None:
        conversation = Conversation(owner_id=owner_id, title=make_title(text))
        db.session.add(conversation)
    conversation.updated_at = utcnow()
    # Decoded before the commit, so the cards are stored with the message they explain.
    facts = grounding.facts_for(text)
    message = Message(
        conversation=conversation,
        role="user",
        content=text,
        client_msg_id=client_msg_id,
        facts=[fact.to_dict() for fact in facts] or None,
    )
    db.session.add(message)
    try:
        db.session.commit()
    except IntegrityError:
        # The same message arrived twice at once (a double submit): answer the first.
        db.session.rollback()
        existing = _find_duplicate(owner_id, client_msg_id) if client_msg_id else None
        if existing is None:
            raise
        return _replay(existing, text, None)
    return SavedMessage(conversation.id, message.id, text, conversation.title, first, facts)


def _replay(existing: Message, text: str, conversation: Conversation | None) -> TurnResult:
    if existing.content != text or (
        conversation is not None and conversation.id != existing.conversation_id
    ):
        raise DuplicateMismatch(
            "This client_msg_id was already used for a different message; "
            "send a new id with each new message."
        )
    return _result_for_existing(existing)


def retry_target(conversation: Conversation) -> PreparedTurn | None:
    """Prepare a new answer to the last unanswered message; None if there is none."""
    message = retryable_message(conversation)
    if message is None:
        return None
    facts = [grounding.Fact.from_dict(fact) for fact in message.facts or []]
    return prepare(conversation.id, message.id, message.content, conversation.title, facts=facts)


def _result_for_existing(message: Message) -> TurnResult:
    reply = _reply_to(message)
    if reply is None:
        return TurnResult(
            message.conversation_id, message.id, None, None, "pending", duplicate=True
        )
    error = None
    if reply.status == "error":
        kind = reply.error_kind or "upstream_error"
        error = TurnError(kind, reply.notice or reply.content, kind_status(kind))
    return result_of(message.conversation_id, message.id, reply, error, duplicate=True)


def _history_for(conversation_id: str, message_id: int) -> list[dict[str, Any]]:
    """Return the turns before this message: the session's window, else the database's."""
    last_id = _latest_message_id(conversation_id, message_id)
    history = session_store.cached_history(conversation_id, last_id)
    if history is None:
        history = _history_from_db(
            conversation_id, message_id, current_app.config["HISTORY_WINDOW"]
        )
    return history


def _answered_before(conversation_id: str, before_id: int) -> int:
    """Count the messages (questions and answers) that could serve as context."""
    answers = db.session.scalar(
        db.select(db.func.count())
        .select_from(Message)
        .where(
            Message.conversation_id == conversation_id,
            Message.id < before_id,
            Message.role == "assistant",
            Message.status == "ok",
        )
    )
    return 2 * (answers or 0)


def system_for(vehicle: VehicleProfile | None, facts: list[grounding.Fact]) -> dict[str, str]:
    """Build the system message: the mechanic's brief, the visitor's vehicle, the facts."""
    message = system_message()
    parts = [message["content"]]
    if vehicle is not None and not vehicle.is_empty:
        parts.append(vehicle.prompt_text())
    if facts:
        parts.append(grounding.grounding_text(facts))
    return {**message, "content": "\n\n".join(parts)}


def prepare(
    conversation_id: str,
    message_id: int,
    text: str,
    title: str,
    *,
    first: bool = False,
    facts: list[grounding.Fact] | None = None,
) -> PreparedTurn:
    """Gather key, model, history and budget, then hand the connection back to the pool.

    ``first`` says the message opened a new conversation: there is no history to read.
    """
    config = current_app.config
    # The catalog first: a refresh may call OpenRouter, and no connection may wait on it.
    db.session.close()
    catalog = model_catalog.get_catalog()
    if first:
        window, available = [], 0
    else:
        window = _history_for(conversation_id, message_id)
        available = _answered_before(conversation_id, message_id)
    model, _why = model_catalog.resolve_model(session_store.chosen_model(), catalog)
    info = catalog.get(model)
    context_length = (info.context_length if info else None) or config["DEFAULT_CONTEXT_LENGTH"]
    vehicle = vehicles.profile_for(session_store.owner_id())
    if facts is None:
        facts = grounding.facts_for(text)
    calls_tools = bool(info and "tools" in info.supported_parameters)
    # Every model is handed the facts already decoded: one that could call the tools
    # may not, and would then answer from memory.
    system = system_for(vehicle, facts)
    new = {"role": "user", "content": text}
    kept, _trimmed = fit_history(
        system,
        window,
        new,
        context_length,
        config["MAX_REPLY_TOKENS"],
        reserve_tokens=TOOL_RESERVE_TOKENS if calls_tools else 0,
    )
    api_key, _source = session_store.resolve_api_key()
    # Hand the connection back to the pool before the model starts thinking.
    db.session.close()
    return PreparedTurn(
        conversation_id=conversation_id,
        message_id=message_id,
        text=text,
        title=title,
        api_key=api_key,
        model=model,
        model_info=info,
        window=window,
        upstream=[system, *kept, new],
        context_dropped=max(0, available - len(kept)),
        max_tokens=reply_budget(context_length, config["MAX_REPLY_TOKENS"]),
        facts=facts,
        vehicle=vehicle,
        tools=TOOL_SCHEMAS if calls_tools else None,
    )


def _remember(turn: PreparedTurn, reply: Message) -> None:
    """Update the session's history window after a turn."""
    window = turn.window
    if reply.status == "ok":
        window = [
            *window,
            {"role": "user", "content": turn.text},
            {"role": "assistant", "content": reply.content},
        ]
    session_store.store_history(turn.conversation_id, window, reply.id)


def _failure(
    turn: PreparedTurn,
    exc: OpenRouterError,
    partial: str = "",
    *,
    rounds: ToolRounds | None = None,
) -> tuple[Message, TurnError]:
    error = describe_error(exc, turn.model)
    current_app.logger.info("upstream call failed: kind=%s status=%s", exc.kind, exc.status_code)
    # Rounds that finished before the failure were answered, and paid for.
    extra: dict[str, Any] = {}
    if rounds is not None:
        extra = {"tool_calls": rounds.log or None, **rounds.usage()}
    if partial:
        # Keep what arrived; the error is shown under it.
        reply = _record(turn, partial, "error", error.kind, notice=error.message, **extra)
    else:
        reply = _record(turn, error.message, "error", error.kind, **extra)
    return reply, error


def offline_reply(turn: PreparedTurn) -> Message:
    """Record the no-key answer: the built-in tools' facts when there are any, else the notice."""
    if turn.facts:
        content = grounding.offline_answer(turn.facts) + "\n\n" + offline_notice()
    else:
        content = offline_notice()
    reply = _record(turn, content, "offline")
    _remember(turn, reply)
    return reply


class ToolRounds:
    """The exchange with a tool-calling model: its calls, our results, the running usage."""

    def __init__(self, turn: PreparedTurn) -> None:
        self.turn = turn
        self.messages: list[dict[str, Any]] = list(turn.upstream)
        self.log: list[dict[str, Any]] = []  # what the conversation shows
        self.texts: list[str] = []  # what the model wrote in each round
        self.rounds = 0
        self.output_chars = 0
        self.prompt_tokens: int | None = None
        self.completion_tokens: int | None = None
        self.cost: float | None = None
        # All rounds share one read timeout, as retries do: a reply that waits for its
        # whole body (a form post, JSON) then ends before any proxy in front gives up.
        self.deadline = time.monotonic() + current_app.config["OPENROUTER_READ_TIMEOUT"]

    def request(self) -> dict[str, Any]:
        """Return the tool arguments and time budget for the next upstream call."""
        if not self.turn.tools:
            return {}
        remaining = self.deadline - time.monotonic()
        if remaining < 1:
            limit = current_app.config["OPENROUTER_READ_TIMEOUT"]
            raise APITimeoutError(f"{self.rounds} rounds of tool calls took over {limit:g} s")
        # The last round still describes the tools (the history holds calls to them)
        # but forbids new calls, so the model has to answer in words.
        choice = "none" if self.rounds >= MAX_TOOL_ROUNDS else None
        return {"tools": self.turn.tools, "tool_choice": choice, "budget": remaining}

    def add_usage(self, usage: Usage) -> None:
        """Count one round's tokens and cost (estimated from the catalog when not sent)."""

        def plus(total: Any, value: Any) -> Any:
            if value is None:
                return total
            return value if total is None else total + value

        cost = usage.cost
        if cost is None:
            cost = model_catalog.cost_of(
                self.turn.model_info, usage.prompt_tokens, usage.completion_tokens
            )
        self.prompt_tokens = plus(self.prompt_tokens, usage.prompt_tokens)
        self.completion_tokens = plus(self.completion_tokens, usage.completion_tokens)
        self.cost = plus(self.cost, cost)

    def follow(self, result: ChatResult) -> list[dict[str, Any]]:
        """Run the tools a reply asked for; return the new log entries ([] when it answered)."""
        if result.content.strip():
            self.texts.append(result.content)
        calls = result.tool_calls if self.turn.tools else ()
        if not calls:
            return []
        if self.rounds >= MAX_TOOL_ROUNDS:
            if self.texts:
                return []  # it answered after all; the stray calls are ignored
            raise ToolLoopError(f"still calling tools after {MAX_TOOL_ROUNDS} rounds")
        self.rounds += 1
        assistant: dict[str, Any] = {
            "role": "assistant",
            "content": result.content or None,
            "tool_calls": [call.as_message_part() for call in calls],
        }
        if result.reasoning_details:
            assistant["reasoning_details"] = list(result.reasoning_details)
        self.messages.append(assistant)
        entries = [self._run(call, n < MAX_CALLS_PER_ROUND) for n, call in enumerate(calls)]
        self.log.extend(entries)
        return entries

    @property
    def reply(self) -> str:
        """The reply as the visitor reads it: each round's words, in order."""
        if len(self.texts) == 1:
            return self.texts[0]  # exactly as the model wrote it
        return "\n\n".join(text.strip() for text in self.texts)

    def _run(self, call: ToolCall, allowed: bool) -> dict[str, Any]:
        if not allowed:
            output = {"error": f"At most {MAX_CALLS_PER_ROUND} tool calls per reply."}
        elif self.output_chars >= MAX_TOOL_OUTPUT_CHARS:
            output = {"error": "The tool budget for this reply is used up: answer now."}
        else:
            output = run_tool(call.name, call.arguments, self.turn.vehicle)
        content = result_content(output)
        self.output_chars += len(content)
        # Every call gets an answer, or the upstream rejects the next request.
        self.messages.append(
            {"role": "tool", "tool_call_id": call.id, "name": call.name, "content": content}
        )
        return {"name": call.name, "arguments": call.arguments[:1000], "result": output}

    def usage(self) -> dict[str, Any]:
        """Return the totals to store with the reply."""
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cost": self.cost,
        }


def answer(turn: PreparedTurn, client: OpenRouterClient) -> TurnResult:
    """Ask the model and wait for the whole reply, running its tool calls on the way."""
    if not turn.api_key:
        return turn.result(offline_reply(turn))
    rounds = ToolRounds(turn)
    try:
        while True:
            result = client.chat(
                turn.api_key,
                turn.model,
                rounds.messages,
                max_tokens=turn.max_tokens,
                **rounds.request(),
            )
            rounds.add_usage(result.usage)
            if not rounds.follow(result):
                break
    except OpenRouterError as exc:
        reply, error = _failure(turn, exc, rounds.reply, rounds=rounds)
        _remember(turn, reply)
        return turn.result(reply, error)
    reply = _record_success(turn, rounds, result.model)
    _remember(turn, reply)
    return turn.result(reply)


_END = object()


@dataclass(frozen=True)
class ToolsUsed:
    """The tools one round called, for the page to show while the reply continues."""

    entries: list[dict[str, Any]]


def _pump(
    client: OpenRouterClient, turn: PreparedTurn, rounds: ToolRounds, out: queue.Queue, holder: dict
) -> None:
    """Read the upstream stream(s) into a queue (runs beside the request)."""
    try:
        while not holder.get("cancelled"):  # a Stop between rounds sends nothing more
            stream = client.stream(
                turn.api_key,
                turn.model,
                rounds.messages,
                max_tokens=turn.max_tokens,
                **rounds.request(),
            )
            holder["stream"] = stream
            if holder.get("cancelled"):
                stream.close()
                return
            for event in stream:
                out.put(event)
            result = stream.result
            rounds.add_usage(result.usage)
            entries = rounds.follow(result)
            if not entries:
                holder["model"] = result.model
                out.put(_END)
                return
            out.put(ToolsUsed(entries))
    except OpenRouterError as exc:
        out.put(exc)
    except Exception:
        logging.getLogger(__name__).exception("stream reader failed")
        out.put(InvalidResponseError("the stream could not be read"))


def stream_answer(turn: PreparedTurn, client: OpenRouterClient) -> Iterator[tuple[str, Any]]:
    """Yield deltas, tool uses and heartbeats, then ("done" or "error", the TurnResult).

    The upstream is read beside the request, so during a silence the request still
    sends a heartbeat every STREAM_KEEPALIVE seconds: that is how a closed tab is
    noticed even before the first token. Closing the generator early (Stop, or the
    tab went away) closes the upstream request and saves the partial reply, marked
    as stopped.
    """
    if not turn.api_key:
        yield "done", turn.result(offline_reply(turn))
        return
    keepalive = current_app.config["STREAM_KEEPALIVE"]
    events: queue.Queue = queue.Queue()
    holder: dict[str, Any] = {}
    rounds = ToolRounds(turn)
    reader = threading.Thread(
        target=_pump,
        args=(client, turn, rounds, events, holder),
        name="upstream-stream",
        daemon=True,
    )
    reader.start()
    text = ""
    pending_break = False  # a tool round ended after some text: the next words start a paragraph
    try:
        while True:
            try:
                item = events.get(timeout=keepalive)
            except queue.Empty:
                yield "heartbeat", None
                continue
            if item is _END:
                break
            if isinstance(item, OpenRouterError):
                reply, error = _failure(turn, item, text, rounds=rounds)
                _remember(turn, reply)
                yield "error", turn.result(reply, error)
                return
            if isinstance(item, Delta):
                piece = item.text
                if pending_break and piece.strip():
                    piece, pending_break = "\n\n" + piece.lstrip(), False
                elif pending_break:
                    continue  # whitespace between rounds is dropped, as the JSON reply drops it
                text += piece
                yield "delta", piece
            elif isinstance(item, ToolsUsed):
                text = text.rstrip()
                pending_break = bool(text)
                yield "tools", item.entries
            else:
                yield "heartbeat", None
    except GeneratorExit:
        holder["cancelled"] = True
        if "stream" in holder:
            holder["stream"].close()
        _record(
            turn,
            text,
            "stopped",
            notice="Stopped before the reply was finished.",
            tool_calls=rounds.log or None,
            **rounds.usage(),
        )
        current_app.logger.info("reply stopped by the visitor after %d characters", len(text))
        raise
    reply = _record_success(turn, rounds, holder.get("model"))
    _remember(turn, reply)
    yield "done", turn.result(reply)


def _record_success(turn: PreparedTurn, rounds: ToolRounds, model: str | None) -> Message:
    return _record(
        turn, rounds.reply, "ok", model=model, tool_calls=rounds.log or None, **rounds.usage()
    )


def _record(
    turn: PreparedTurn,
    content: str,
    status: str,
    error_kind: str | None = None,
    *,
    notice: str | None = None,
    model: str | None = None,
    **usage: Any,
) -> Message:
    if not isinstance(model, str) or not model:
        model = turn.model
    reply = Message(
        conversation_id=turn.conversation_id,
        role="assistant",
        content=clean_text(content),
        status=status,
        error_kind=error_kind,
        notice=notice,
        model=model[:200],
        reply_to_id=turn.message_id,
        context_dropped=turn.context_dropped or None,
        **usage,
    )
    record_reply(status, error_kind, usage.get("prompt_tokens"), usage.get("completion_tokens"))
    db.session.add(reply)
    db.session.execute(
        db.update(Conversation)
        .where(Conversation.id == turn.conversation_id)
        .values(updated_at=utcnow())
    )
    db.session.commit()
    return reply
