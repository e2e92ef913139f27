"""Database models: conversations and their messages, kept per owner."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import JSON, DateTime, ForeignKey, Index, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Stable constraint names keep migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

TITLE_LENGTH = 120


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Objects stay readable after commit: a request commits the user's message and then
# keeps using it, and reloading every attribute would cost a query each time.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})


def utcnow() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def new_public_id() -> str:
    """Return an unguessable id for URLs."""
    return uuid.uuid4().hex


class Conversation(db.Model):
    __tablename__ = "conversation"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_public_id)
    owner_id: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(String(TITLE_LENGTH))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    messages: Mapped[list[Message]] = relationship(
        back_populates="conversation",
        order_by="Message.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    __table_args__ = (Index("ix_conversation_owner_updated", "owner_id", "updated_at"),)


class Message(db.Model):
    """One turn: a user message or the assistant's answer to it.

    ``status`` is ``ok`` for a delivered text, ``error`` for an upstream failure
    (``error_kind`` says which; ``notice`` holds the explanation when partial text
    arrived first), ``offline`` for the no-key notice, ``stopped`` for a reply the
    visitor stopped (``content`` is what had arrived). ``context_dropped`` counts the
    earlier messages left out of the model's context for this reply.
    """

    __tablename__ = "message"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversation.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="ok")
    error_kind: Mapped[str | None] = mapped_column(String(32))
    model: Mapped[str | None] = mapped_column(String(200))
    client_msg_id: Mapped[str | None] = mapped_column(String(64))
    reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("message.id", ondelete="SET NULL"))
    notice: Mapped[str | None] = mapped_column(Text)
    prompt_tokens: Mapped[int | None]
    completion_tokens: Mapped[int | None]
    cost: Mapped[float | None]
    context_dropped: Mapped[int | None]
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
    )

    @property
    def is_failure(self) -> bool:
        """Tell whether this assistant message records a failed upstream call."""
        return self.role == "assistant" and self.status == "error"


class Vehicle(db.Model):
    """The owner's vehicle ("My vehicle"), one per owner, sent with every question."""

    __tablename__ = "vehicle"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(64), unique=True)
    year: Mapped[int | None]
    make: Mapped[str | None] = mapped_column(String(60))
    model: Mapped[str | None] = mapped_column(String(60))
    engine: Mapped[str | None] = mapped_column(String(60))
    mileage: Mapped[int | None]
    mileage_unit: Mapped[str] = mapped_column(String(2), default="mi")
    vin: Mapped[str | None] = mapped_column(String(17))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
