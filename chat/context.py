"""Step 2 of a turn: what the model is sent — history window, context budget, brief and facts.

Everything is read inside the request, then the database connection goes back to the
pool before the model starts thinking.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import current_app

import catalog as model_catalog
import session_store
import vehicles
from automotive import facts as grounding
from automotive.prompts import system_message
from automotive.tools import TOOL_SCHEMAS
from automotive.vehicle import VehicleProfile
from chat import intake
from chat.tool_rounds import TOOL_RESERVE_TOKENS
from chat.turn import PreparedTurn, SavedMessage
from images import image_tokens
from models import Attachment, Conversation, Message, db


def system_for(vehicle: VehicleProfile | None, facts: list[grounding.Fact]) -> dict[str, str]:
    """Build the system message: the mechanic's brief, the visitor's vehicle, the facts."""
    message = system_message()
    parts = [message["content"]]
    if vehicle is not None and not vehicle.is_empty:
        parts.append(vehicle.prompt_text())
    if facts:
        parts.append(grounding.grounding_text(facts))
    return {**message, "content": "\n\n".join(parts)}


def history_for(conversation_id: str, message_id: int, last_id: int | None) -> list[dict[str, Any]]:
    """Return the turns before this message: the session's window, else the database's.

    ``last_id`` is the newest message before it (the window is current only if it ends there).
    """
    history = session_store.cached_history(conversation_id, last_id)
    if history is None:
        history = Message.answered_turns_before(
            conversation_id, message_id, current_app.config["HISTORY_WINDOW"]
        )
    return history


def prepare(saved: SavedMessage) -> PreparedTurn:
    """Gather key, model, history and budget, then hand the connection back to the pool."""
    config = current_app.config
    # The catalog first: a refresh may call the upstream, and no connection may wait on it.
    db.session.close()
    catalog = model_catalog.get_catalog()
    if saved.first:  # a new conversation has no history to read
        window, available = [], 0
    else:
        last_id, available = Message.context_before(saved.conversation_id, saved.message_id)
        window = history_for(saved.conversation_id, saved.message_id, last_id)
    model, _why = model_catalog.resolve_model(session_store.chosen_model(), catalog)
    info = catalog.get(model)
    context_length = model_catalog.context_length_for(info, model, config["DEFAULT_CONTEXT_LENGTH"])
    vehicle = vehicles.profile_for(session_store.owner_id())
    calls_tools = model_catalog.takes_tools(info, model)
    api_key, _source = session_store.resolve_api_key()
    provider = current_app.extensions["openrouter"]
    # Hand the connection back to the pool before the model starts thinking.
    db.session.close()
    pictures = saved.pictures if sees_images(info) is not False else ()
    return PreparedTurn(
        pictures=pictures,
        picture_tokens=sum(image_tokens(p.width, p.height) for p in pictures),
        conversation_id=saved.conversation_id,
        message_id=saved.message_id,
        text=saved.text,
        title=saved.title,
        api_key=api_key,
        model=model,
        model_info=info,
        window=window,
        # Every model is handed the facts already decoded: one that could call the
        # tools may not, and would then answer from memory.
        system=system_for(vehicle, saved.facts),
        facts=saved.facts,
        available=available,
        context_length=context_length,
        max_reply_tokens=config["MAX_REPLY_TOKENS"],
        read_timeout=config["OPENROUTER_READ_TIMEOUT"],
        upstream_name=provider.name,
        vehicle=vehicle,
        tools=TOOL_SCHEMAS if calls_tools else None,
        reserve_tokens=TOOL_RESERVE_TOKENS,
        leased=saved.held,
        alone=saved.alone,
    )


def retry_target(conversation: Conversation) -> PreparedTurn | None:
    """Prepare a new answer to the last unanswered message; None if there is none."""
    message = conversation.retryable_message(pending_seconds())
    if message is None:
        return None
    return answer_again(conversation, message)


def answer_again(conversation: Conversation, message: Message) -> PreparedTurn:
    """Prepare a new version of the answer to one of the conversation's questions.

    The history is the branch on screen above the question; the new answer takes the
    place of the one shown, which stays as an earlier version.
    """
    facts = [grounding.Fact.from_dict(fact) for fact in message.facts or []]
    saved = SavedMessage(
        conversation.id, message.id, message.content, conversation.title, False, facts, held=False
    )
    pictures = tuple(Attachment.pictures_of(message.id))
    if pictures:
        # The same rule as a new message: never a model that cannot see them.
        intake.ensure_model_sees_pictures(session_store.chosen_model(), model_catalog.get_catalog())
        saved = replace(saved, pictures=pictures)
    turn = prepare(saved)
    turn.regenerate = True
    return turn


def sees_images(info: Any) -> bool | None:
    """Whether a catalog entry takes pictures (None: the server does not say)."""
    return None if info is None else info.sees_images


def pending_seconds() -> float:
    """How long a message without a reply may still be answering (the longest upstream call)."""
    return current_app.config["OPENROUTER_READ_TIMEOUT"] + 30
