"""Database models and the queries that belong to them: conversations, messages, vehicles.

Every query scoped to an owner lives here, on its model, so "is this yours?" is
answered in one place.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    MetaData,
    String,
    Text,
    TypeDecorator,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates

from states import MessageStatus, Role

# Stable constraint names keep migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

TITLE_LENGTH = 120
CONVERSATION_ID = re.compile(r"[0-9a-f]{32}")


def clean_text(value: str) -> str:
    """Return text every database accepts: no NUL, no lone UTF-16 surrogates.

    PostgreSQL refuses NUL in text columns and psycopg2 cannot encode a lone
    surrogate; both arrive in pasted text and in upstream replies.
    """
    value = value.replace("\x00", "")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "replace").decode("utf-8")
    return value


class CleanText(TypeDecorator):
    """Text (or a bounded string) that is cleaned on its way in, whoever writes it."""

    impl = Text
    cache_ok = True

    def __init__(self, length: int | None = None) -> None:
        super().__init__()
        self.impl = String(length) if length else Text()

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        return clean_text(value) if isinstance(value, str) else value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Objects stay readable after commit: a request commits the user's message and then
# keeps using it, and reloading every attribute would cost a query each time.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})


def utcnow() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """Return a stored time as aware UTC (SQLite hands back naive UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def new_public_id() -> str:
    """Return an unguessable id for URLs."""
    return uuid.uuid4().hex


def _one_of(column: str, values: type) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


class Conversation(db.Model):
    __tablename__ = "conversation"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_public_id)
    owner_id: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(CleanText(TITLE_LENGTH))
    # The idempotency key of the message that opened it: unique per owner, so two
    # copies of a first message cannot open two conversations.
    client_msg_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Pinned conversations head the sidebar, most recently pinned first.
    pinned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    messages: Mapped[list[Message]] = relationship(
        back_populates="conversation",
        order_by="Message.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    __table_args__ = (
        Index("ix_conversation_owner_updated", "owner_id", "updated_at"),
        Index("uq_conversation_owner_client_msg", "owner_id", "client_msg_id", unique=True),
    )

    @classmethod
    def owned(cls, owner_id: str, conversation_id: Any) -> Conversation | None:
        """Return the conversation if this owner has it, else None (never another's)."""
        if not isinstance(conversation_id, str) or not CONVERSATION_ID.fullmatch(conversation_id):
            return None
        conversation = db.session.get(cls, conversation_id)
        if conversation is None or conversation.owner_id != owner_id:
            return None
        return conversation

    @classmethod
    def for_owner(cls, owner_id: str, limit: int = 100) -> Sequence[Conversation]:
        """List an owner's conversations, most recently active first."""
        return db.session.scalars(
            db.select(cls)
            .where(cls.owner_id == owner_id)
            .order_by(cls.updated_at.desc(), cls.created_at.desc())
            .limit(limit)
        ).all()

    @classmethod
    def touch(cls, conversation_id: str) -> None:
        """Mark a conversation active now (it moves to the top of the list)."""
        db.session.execute(
            db.update(cls).where(cls.id == conversation_id).values(updated_at=utcnow())
        )

    def totals(self) -> dict[str, Any]:
        """Add up the tokens and cost of this conversation's replies."""
        return Message.totals(self.id)

    def recent_messages(self, limit: int) -> tuple[list[Message], int]:
        """Return the newest ``limit`` messages, oldest first, and how many came before.

        A long conversation's page renders only these; the rest are a "show earlier"
        link away (``limit`` rows are read, never the whole conversation).
        """
        newest = list(
            db.session.scalars(
                db.select(Message)
                .where(Message.conversation_id == self.id)
                .order_by(Message.id.desc())
                .limit(limit)
            )
        )
        newest.reverse()
        if not newest or len(newest) < limit:
            return newest, 0
        return newest, Message.count_before(self.id, newest[0].id)

    def messages_before(self, before_id: int, limit: int) -> tuple[list[Message], int]:
        """Return the ``limit`` messages before ``before_id``, oldest first, and how many remain."""
        older = list(
            db.session.scalars(
                db.select(Message)
                .where(Message.conversation_id == self.id, Message.id < before_id)
                .order_by(Message.id.desc())
                .limit(limit)
            )
        )
        older.reverse()
        if not older:
            return older, 0
        return older, Message.count_before(self.id, older[0].id)

    def message_count(self) -> int:
        """Count the conversation's messages (questions and replies)."""
        return (
            db.session.scalar(
                db.select(db.func.count())
                .select_from(Message)
                .where(Message.conversation_id == self.id)
            )
            or 0
        )

    def last_message(self) -> Message | None:
        """Return the conversation's newest message, if any."""
        return db.session.scalar(
            db.select(Message)
            .where(Message.conversation_id == self.id)
            .order_by(Message.id.desc())
            .limit(1)
        )

    def retryable_message(self, pending_seconds: float) -> Message | None:
        """Return the last user message if its turn ended without a delivered reply.

        A user message with no reply at all may still be in flight; it only counts as
        abandoned once ``pending_seconds`` (the longest possible upstream call) are over.
        """
        last = self.last_message()
        if last is None:
            return None
        if last.role == Role.USER:
            age = (utcnow() - as_utc(last.created_at)).total_seconds()
            return last if age > pending_seconds else None
        if (MessageStatus(last.status).retryable or last.cut_off) and last.reply_to_id:
            return db.session.get(Message, last.reply_to_id)
        return None


class Message(db.Model):
    """One turn: a user message or the assistant's answer to it.

    ``status`` (a ``MessageStatus``) says how a reply ended: ``ok``, ``error``
    (``error_kind`` says which failure and ``error_detail`` holds what the upstream
    said: reason, status code, provider, wait), ``offline`` (no key: ``content`` is the
    built-in tools' answer, possibly empty) or ``stopped`` (``content`` is what had
    arrived). The page words each of these; rows keep facts, never sentences.
    ``context_dropped`` counts the earlier messages left out of the model's context.
    """

    __tablename__ = "message"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversation.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(CleanText())
    status: Mapped[str] = mapped_column(String(16), default=MessageStatus.OK)
    error_kind: Mapped[str | None] = mapped_column(String(32))
    error_detail: Mapped[dict | None] = mapped_column(JSON)
    model: Mapped[str | None] = mapped_column(CleanText(200))
    client_msg_id: Mapped[str | None] = mapped_column(String(64))
    reply_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("message.id", ondelete="SET NULL"), index=True
    )
    # Messages form a tree: an edit is a sibling of the question it rewrites, a
    # regeneration a sibling of the reply it redoes. ``chosen`` marks the version shown
    # among siblings (remembered when the branch above changes); ``on_path`` marks the
    # messages of the branch on screen, which is also the history sent upstream.
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("message.id", ondelete="SET NULL"), index=True
    )
    chosen: Mapped[bool] = mapped_column(default=True, server_default=true())
    on_path: Mapped[bool] = mapped_column(default=True, server_default=true())
    prompt_tokens: Mapped[int | None]
    completion_tokens: Mapped[int | None]
    cost: Mapped[float | None]
    context_dropped: Mapped[int | None]
    # Assistant replies: what a reasoning model thought (shown collapsed, never the answer)
    # and why the reply ended ("length": cut off at the reply budget).
    reasoning: Mapped[str | None] = mapped_column(CleanText())
    finish_reason: Mapped[str | None] = mapped_column(String(32))
    # User messages: the fact cards decoded from the text (VINs, codes, tire sizes).
    facts: Mapped[list | None] = mapped_column(JSON)
    # Assistant replies: the tool calls made on the way, each with its result.
    tool_calls: Mapped[list | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    conversation: Mapped[Conversation] = relationship(back_populates="messages")

    __table_args__ = (
        Index(
            "uq_message_conversation_client_msg",
            "conversation_id",
            "client_msg_id",
            unique=True,
        ),
        Index("ix_message_conversation_path", "conversation_id", "on_path", "id"),
        CheckConstraint(_one_of("status", MessageStatus), name="status"),
        CheckConstraint(_one_of("role", Role), name="role"),
    )

    @property
    def cut_off(self) -> bool:
        """Tell whether the reply stopped at the length limit (its text is incomplete)."""
        return self.finish_reason == "length"

    @property
    def may_retry(self) -> bool:
        """Tell whether the page offers Retry under this reply."""
        return self.role == Role.ASSISTANT and (
            MessageStatus(self.status).retryable or self.cut_off
        )

    @validates("content", "model", "reasoning")
    def _clean(self, _key: str, value: Any) -> Any:
        # The object says what the row holds: a reply shown from memory matches the page.
        return clean_text(value) if isinstance(value, str) else value

    @classmethod
    def sent_with_id(cls, owner_id: str, client_msg_id: str) -> Message | None:
        """Return the owner's user message that carried this idempotency key."""
        return db.session.scalar(
            db.select(cls)
            .join(Conversation)
            .where(
                Conversation.owner_id == owner_id,
                cls.client_msg_id == client_msg_id,
                cls.role == Role.USER,
            )
            .limit(1)
        )

    def latest_reply(self) -> Message | None:
        """Return the newest reply to this message, if any."""
        return db.session.scalar(
            db.select(Message)
            .where(Message.reply_to_id == self.id)
            .order_by(Message.id.desc())
            .limit(1)
        )

    @classmethod
    def totals(cls, conversation_id: str) -> dict[str, Any]:
        """Add up the tokens and cost of a conversation's replies."""
        row = db.session.execute(
            db.select(
                db.func.coalesce(db.func.sum(cls.prompt_tokens), 0),
                db.func.coalesce(db.func.sum(cls.completion_tokens), 0),
                db.func.coalesce(db.func.sum(cls.cost), 0.0),
            ).where(cls.conversation_id == conversation_id, cls.role == Role.ASSISTANT)
        ).one()
        return {"tokens": int(row[0]) + int(row[1]), "cost": float(row[2])}

    @classmethod
    def count_before(cls, conversation_id: str, before_id: int) -> int:
        """Count a conversation's messages older than ``before_id``."""
        return (
            db.session.scalar(
                db.select(db.func.count())
                .select_from(cls)
                .where(cls.conversation_id == conversation_id, cls.id < before_id)
            )
            or 0
        )

    @classmethod
    def supersede_failures(cls, reply_to_id: int, keep_id: int) -> int:
        """Delete the failed replies to a message that a newer reply (``keep_id``) replaces.

        A failure holds no text, only why it failed (already logged and counted), so a
        retry's answer takes its place on the page and in the database. Returns how many
        rows went.
        """
        result = db.session.execute(
            db.delete(cls).where(
                cls.reply_to_id == reply_to_id,
                cls.id != keep_id,
                cls.role == Role.ASSISTANT,
                cls.status == MessageStatus.ERROR,
            )
        )
        return result.rowcount or 0

    @classmethod
    def latest_id_before(cls, conversation_id: str, before_id: int) -> int | None:
        """Return the id of the newest message before ``before_id`` in a conversation."""
        return db.session.scalar(
            db.select(db.func.max(cls.id)).where(
                cls.conversation_id == conversation_id, cls.id < before_id
            )
        )

    @classmethod
    def answered_turns_before(
        cls, conversation_id: str, before_id: int, size: int
    ) -> list[dict[str, str]]:
        """Return up to ``size`` messages of answered turns before ``before_id``, oldest first.

        Shaped as chat messages (``{"role", "content"}``): a question without a delivered
        answer is left out with its failure, and the window starts on a question.
        """
        rows = list(
            db.session.scalars(
                db.select(cls)
                .where(cls.conversation_id == conversation_id, cls.id < before_id)
                .order_by(cls.id.desc())
                .limit(size * 3)
            )
        )
        rows.reverse()
        answered = {
            m.reply_to_id for m in rows if m.role == Role.ASSISTANT and m.status == MessageStatus.OK
        }
        turns = [
            {"role": m.role, "content": m.content}
            for m in rows
            if (m.role == Role.USER and m.id in answered)
            or (m.role == Role.ASSISTANT and m.status == MessageStatus.OK)
        ][-size:]
        while turns and turns[0]["role"] != Role.USER:
            turns.pop(0)
        return turns

    @classmethod
    def count_answered_before(cls, conversation_id: str, before_id: int) -> int:
        """Count the messages (questions and answers) that could serve as context."""
        answers = db.session.scalar(
            db.select(db.func.count())
            .select_from(cls)
            .where(
                cls.conversation_id == conversation_id,
                cls.id < before_id,
                cls.role == Role.ASSISTANT,
                cls.status == MessageStatus.OK,
            )
        )
        return 2 * (answers or 0)


class Vehicle(db.Model):
    """The owner's vehicle ("My vehicle"), one per owner, sent with every question."""

    __tablename__ = "vehicle"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(64), unique=True)
    year: Mapped[int | None]
    make: Mapped[str | None] = mapped_column(CleanText(60))
    model: Mapped[str | None] = mapped_column(CleanText(60))
    engine: Mapped[str | None] = mapped_column(CleanText(60))
    mileage: Mapped[int | None]
    mileage_unit: Mapped[str] = mapped_column(String(2), default="mi")
    vin: Mapped[str | None] = mapped_column(String(17))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    @classmethod
    def of_owner(cls, owner_id: str) -> Vehicle | None:
        """Return the owner's saved vehicle row, if any."""
        return db.session.scalar(db.select(cls).where(cls.owner_id == owner_id))
