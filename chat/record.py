"""The last step of a turn: store the reply, the failure or the partial text, and remember it.

Rows keep facts (status, failure kind and the upstream's detail, usage); the page
words them. The session's history window is updated after each turn.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.exc import IntegrityError

import catalog as model_catalog
import session_store
from automotive import facts as grounding
from chat.failures import TurnError, error_of
from chat.tool_rounds import ToolRounds
from chat.turn import PreparedTurn
from models import Conversation, Message, db, with_picture_note, worker_id
from observability import record_reply
from openrouter import ChatResult, OpenRouterError
from states import MessageStatus, Role

log = logging.getLogger(__name__)


# Columns a reply leaves empty, given as None: the stored object is then whole, and the
# page fragment drawn from it after the commit reads nothing back.
_UNSET_ON_A_REPLY: dict[str, Any] = {
    "client_msg_id": None,
    "facts": None,
    "tool_calls": None,
    "prompt_tokens": None,
    "completion_tokens": None,
    "cost": None,
    "answering_until": None,
    "answered_by": None,
}


def record(
    turn: PreparedTurn,
    content: str,
    status: MessageStatus,
    *,
    error: TurnError | None = None,
    model: str | None = None,
    reasoning: str = "",
    finish_reason: str | None = None,
    **usage: Any,
) -> Message:
    """Store one reply to the turn's message and mark the conversation active.

    What a refusal taught during the turn (a smaller window, no tools) is remembered
    for the model here, inside the request. Earlier failed replies to the same message
    are deleted: this reply replaces them.
    """
    if not isinstance(model, str) or not model:
        model = turn.model
    reply = Message(
        conversation_id=turn.conversation_id,
        role=Role.ASSISTANT,
        content=content,
        status=status,
        error_kind=error.kind if error else None,
        error_detail=error.detail if error else None,
        model=model[:200],
        reply_to_id=turn.message_id,
        parent_id=turn.message_id,
        context_dropped=turn.context_dropped or None,
        reasoning=reasoning or None,
        finish_reason=finish_reason[:32] if isinstance(finish_reason, str) else None,
        **{**_UNSET_ON_A_REPLY, **usage},
    )
    model_catalog.learn(turn.model, turn.learned)
    kind = error.kind if error else None
    record_reply(status, kind, usage.get("prompt_tokens"), usage.get("completion_tokens"))
    held = Message.release_turn(turn.message_id, worker_id())
    # This worker stalled past its lease and another answered meanwhile (a Retry): this
    # answer is kept as a version behind the one shown, never a second one beside it.
    late = not held and Message.has_answer_shown(turn.message_id)
    if late:
        reply.chosen = False
        reply.on_path = False
    db.session.add(reply)
    try:
        db.session.flush()
        if turn.regenerate and not late:
            # The earlier answer becomes a version behind this one ("‹ 1 / 2 ›").
            Message.make_current(reply)
        if not late and (not turn.first_answer or not held):
            # A retry's outcome takes the place of the failures before it (one card on the
            # page), as does a stalled worker's answer the "interrupted" card. A new
            # question's first answer, still held, has none to replace.
            Message.supersede_failures(turn.message_id, reply.id)
        Conversation.touch(turn.conversation_id)
        _commit_keeping_loaded()
    except IntegrityError:
        # The visitor deleted the conversation while it was answering, and it is gone for
        # good: there is nothing left to attach the reply to. It is shown, not stored.
        db.session.rollback()  # which also takes the unsaved reply out of the session
        log.info("reply not stored: its conversation was deleted while it was answering")
        reply.id = None
    return reply


def _commit_keeping_loaded() -> None:
    """Commit without expiring what the session holds: the page fragment of the reply
    just stored is drawn from the object in hand (``TurnResult.message``), not read back."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def record_success(
    turn: PreparedTurn, rounds: ToolRounds, result: ChatResult, reasoning: str | None = None
) -> Message:
    """Store a delivered reply with its tool calls, usage, reasoning and finish reason.

    A reply cut off at the length limit (``finish_reason == "length"``) is delivered,
    and the page says it was cut off.
    """
    reply = record(
        turn,
        rounds.reply,
        MessageStatus.OK,
        model=result.model,
        reasoning=rounds.reasoning if reasoning is None else reasoning,
        finish_reason=result.finish_reason,
        tool_calls=rounds.log or None,
        **rounds.usage(),
    )
    remember(turn, reply)
    return reply


def record_failure(
    turn: PreparedTurn,
    exc: OpenRouterError,
    partial: str,
    rounds: ToolRounds,
    reasoning: str | None = None,
) -> tuple[Message, TurnError]:
    """Store a failed reply: the kind, the upstream's detail and any text that arrived."""
    error = error_of(exc, turn.model, turn.upstream_name)
    log.info("upstream call failed: kind=%s status=%s", exc.kind, exc.status_code)
    if reasoning is None:
        reasoning = rounds.reasoning
    # Rounds that finished before the failure were answered, and paid for; what the
    # model thought in the failed one is kept too (a whole answer carries it on the error).
    thought = exc.reasoning.strip() if isinstance(exc.reasoning, str) else ""
    if thought and thought not in reasoning:
        reasoning = "\n\n".join(part for part in (reasoning, thought) if part)
    reply = record(
        turn,
        partial,
        MessageStatus.ERROR,
        error=error,
        reasoning=reasoning,
        tool_calls=rounds.log or None,
        **rounds.usage(),
    )
    remember(turn, reply)
    return reply, error


def record_stopped(
    turn: PreparedTurn, partial: str, rounds: ToolRounds, reasoning: str = ""
) -> Message:
    """Store what had arrived when the visitor stopped the reply."""
    reply = record(
        turn,
        partial,
        MessageStatus.STOPPED,
        reasoning=reasoning,
        tool_calls=rounds.log or None,
        **rounds.usage(),
    )
    log.info("reply stopped by the visitor after %d characters", len(partial))
    return reply


def record_offline(turn: PreparedTurn) -> Message:
    """Record the no-key answer: the built-in tools' facts (the page adds the notice)."""
    content = grounding.offline_answer(turn.facts) if turn.facts else ""
    reply = record(turn, content, MessageStatus.OFFLINE)
    remember(turn, reply)
    return reply


def remember(turn: PreparedTurn, reply: Message) -> None:
    """Update the session's history window after a turn (not for a reply kept off screen)."""
    if reply.on_path is False:
        return
    window = turn.window
    if reply.status == MessageStatus.OK:
        window = [
            *window,
            {"role": Role.USER.value, "content": with_picture_note(turn.text, turn.pictures)},
            {"role": Role.ASSISTANT.value, "content": reply.content},
        ]
    session_store.store_history(turn.conversation_id, window, reply.id)
