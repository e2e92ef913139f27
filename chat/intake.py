"""Step 1 of a turn: check the message, then commit it before anything is asked upstream.

``client_msg_id`` makes a send idempotent: the database's unique index on
(conversation, client_msg_id) decides, so a double submit answers the first request's
result instead of asking twice.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator, Sequence

from sqlalchemy.exc import IntegrityError

import catalog as model_catalog
from automotive import facts as grounding
from chat.failures import TurnError
from chat.lease import first_hold
from chat.turn import PENDING, SavedMessage, TurnResult
from images import ProcessedImage
from models import (
    TITLE_LENGTH,
    Attachment,
    Conversation,
    Message,
    Picture,
    clean_text,
    db,
    utcnow,
)
from states import FailureKind, MessageStatus, Role

CLIENT_MSG_ID_LENGTH = 64
log = logging.getLogger(__name__)


class DuplicateMismatch(ValueError):
    """A client_msg_id was reused for a different message or conversation."""


class MessageRejected(ValueError):
    """The message cannot be sent as it is; nothing was saved or called."""

    def __init__(self, kind: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status = status


def validate_message(text: str | None, max_length: int, with_pictures: bool = False) -> str:
    """Return the message to send, or raise MessageRejected with the reason.

    A message may be empty only when it carries pictures.
    """
    text = clean_text(text or "").replace("\r\n", "\n")
    if not text.strip() and not with_pictures:
        raise MessageRejected("empty_message", "Type a message before sending.")
    if len(text) > max_length:
        raise MessageRejected(
            "message_too_long",
            f"The message is {len(text):,} characters long; the limit is "
            f"{max_length:,}. Shorten it and send again.",
        )
    return text.strip()


class PicturesUnseen(MessageRejected):
    """The model chosen cannot see pictures (or is not the one chosen): nothing is sent.

    ``models`` lists ids of catalog models that can, for one-click switching.
    """

    def __init__(self, message: str, models: list[str]) -> None:
        super().__init__("model_cannot_see_images", message, 400)
        self.models = models


def ensure_model_sees_pictures(chosen: str | None, catalog: model_catalog.Catalog) -> None:
    """Refuse pictures for a model whose catalog entry does not list image input.

    A model the catalog does not describe (a local server's list) is trusted with them.
    The model used must be the one chosen: a fallback is never sent someone's photo
    silently. Raises PicturesUnseen naming models that can see pictures.
    """
    model, notice = model_catalog.resolve_model(chosen, catalog)
    info = catalog.get(model)
    sees = info.sees_images if info is not None else None
    if notice is None and sees is not False:
        return
    seeing = model_catalog.vision_models(catalog)
    names = ", ".join(m.id for m in seeing)
    reason = (
        f"{chosen} is not available, and pictures go only to the model you chose."
        if notice is not None
        else f"{model} cannot see pictures."
    )
    advice = (
        f" Choose a model that can (for example {names}) in the Model menu and send again."
        if seeing
        else " None of the models offered here can see pictures; send the text alone."
    )
    raise PicturesUnseen(reason + advice, [m.id for m in seeing])


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


def decoded_facts(text: str) -> list[grounding.Fact]:
    """The message's fact cards; a decoder that fails costs its cards, never the message."""
    try:
        return grounding.facts_for(text)
    except Exception:
        # A bug in one decoder (a VIN, a code, a tire size) must not stop the message
        # being saved and answered: the model still reads the text itself.
        log.exception("fact decoding failed; the message is saved without cards")
        return []


def save_user_message(
    owner_id: str,
    text: str,
    conversation: Conversation | None,
    client_msg_id: str | None,
    edit_of: Message | None = None,
    pictures: Sequence[ProcessedImage] = (),
) -> SavedMessage | TurnResult:
    """Commit the user's message (before any upstream call); a repeat returns its result.

    The message goes at the end of the branch on screen, or, for an edit (``edit_of``, a
    question of ``conversation``), beside the question it rewrites as a new version: the
    old one and the answers below it stay, one "‹ ›" away. ``pictures`` (already checked
    and re-encoded by ``images.process_image``) are stored with it, in the same commit.
    """
    if client_msg_id:
        existing = Message.sent_with_id(owner_id, client_msg_id)
        if existing is not None:
            return _replay(existing, text, conversation)
    first = conversation is None
    if conversation is None:
        title = make_title(text) if text else picture_title(pictures)
        conversation = Conversation(owner_id=owner_id, title=title, client_msg_id=client_msg_id)
        db.session.add(conversation)
    conversation.updated_at = utcnow()
    # Decoded before the commit, so the cards are stored with the message they explain.
    facts = decoded_facts(text)
    message = Message(
        conversation=conversation,
        role=Role.USER,
        content=text,
        client_msg_id=client_msg_id,
        facts=[fact.to_dict() for fact in facts] or None,
        **first_hold(),
    )
    if edit_of is not None:
        message.parent_id = edit_of.parent_id
    elif not first:
        # The end of the branch on screen, read inside the INSERT (no extra round trip).
        message.parent_id = Message.tip_id_query(conversation.id)
    message.attachments = [
        Attachment(
            position=position,
            filename=picture.filename,
            content_type=picture.content_type,
            width=picture.width,
            height=picture.height,
            byte_size=len(picture.data),
            data=picture.data,
            thumbnail_type=picture.thumbnail_type,
            thumbnail=picture.thumbnail,
        )
        for position, picture in enumerate(pictures)
    ]
    db.session.add(message)
    kept: tuple[Picture, ...] = ()
    try:
        if edit_of is not None:
            db.session.flush()
            Message.make_current(message)
            if not pictures:
                # An edited question keeps the pictures it was asked with.
                Attachment.copy_to(edit_of.id, message.id)
                kept = tuple(Attachment.pictures_of(message.id))
        db.session.commit()
    except IntegrityError:
        # The same message arrived twice at once (a double submit): the unique indexes
        # let one in, and the other answers with its result.
        db.session.rollback()
        existing = Message.sent_with_id(owner_id, client_msg_id) if client_msg_id else None
        if existing is None:
            raise
        return _replay(existing, text, None)
    sent = kept or tuple(
        Picture(p.content_type, p.data, p.width, p.height, p.filename) for p in pictures
    )
    return SavedMessage(
        conversation.id,
        message.id,
        text,
        conversation.title,
        first,
        facts,
        sent,
        alone=edit_of is None and not sent,
    )


def picture_title(pictures: Sequence[ProcessedImage]) -> str:
    """Title a conversation opened by pictures alone after their names."""
    names = ", ".join(picture.filename for picture in pictures)
    return make_title(f"Photo: {names}" if names else "Photo")


POLL_SECONDS = 0.25


def await_reply(pending: TurnResult, seconds: float) -> Iterator[TurnResult | None]:
    """Wait for the first request's answer to a repeated message.

    Yields None at each poll (a stream sends a keepalive then), and finally the result:
    the reply once it is stored, or the pending result after ``seconds``. No database
    connection is held between polls.
    """
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        db.session.close()
        time.sleep(POLL_SECONDS)
        message = db.session.get(Message, pending.message_id)
        reply = message.latest_reply() if message is not None else None
        if reply is None and message is not None and message.lease_lapsed():
            # The first copy's worker died: its answer is interrupted, not awaited longer.
            reply = Message.settle_interrupted(message)
        if reply is not None:
            yield _result_of_reply(message, reply)
            return
        yield None
    db.session.close()
    yield pending


def _replay(existing: Message, text: str, conversation: Conversation | None) -> TurnResult:
    if existing.content != text or (
        conversation is not None and conversation.id != existing.conversation_id
    ):
        raise DuplicateMismatch(
            "This client_msg_id was already used for a different message; "
            "send a new id with each new message."
        )
    reply = existing.latest_reply()
    if reply is None:
        return TurnResult(
            existing.conversation_id, existing.id, None, None, PENDING, duplicate=True
        )
    return _result_of_reply(existing, reply)


def _result_of_reply(existing: Message, reply: Message) -> TurnResult:
    error = None
    if reply.status == MessageStatus.ERROR:
        error = TurnError(reply.error_kind or FailureKind.UPSTREAM_ERROR, reply.error_detail or {})
    return TurnResult.of(existing.conversation_id, existing.id, reply, error, duplicate=True)
