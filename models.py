"""Database models and the queries that belong to them: conversations, messages, vehicles.

Every query scoped to an owner lives here, on its model, so "is this yours?" is
answered in one place.
"""

from __future__ import annotations

import collections
import functools
import hashlib
import os
import re
import secrets
import socket
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask_sqlalchemy import SQLAlchemy
from markupsafe import Markup
from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    MetaData,
    Select,
    String,
    Text,
    TypeDecorator,
    Update,
    event,
    or_,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates
from sqlalchemy.orm.attributes import set_committed_value

import rendering
import search
from states import FailureKind, MessageStatus, Role

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


def clean_title(value: Any) -> str:
    """Return a conversation name as stored: one line, trimmed, 1-120 characters.

    Control and format characters go (a zero-width joiner inside an emoji stays); the
    name must keep at least one visible letter, digit, symbol or punctuation mark. Raises
    ValueError with the sentence the visitor reads.
    """
    text = clean_text(value if isinstance(value, str) else "")
    kept = []
    for index, char in enumerate(text):
        category = unicodedata.category(char)
        if category == "Cc" and char not in "\t\n\r":
            continue
        if category == "Cf" and not (char == "\u200d" and 0 < index < len(text) - 1):
            continue
        kept.append(char)
    title = " ".join("".join(kept).split())
    if not any(unicodedata.category(char)[0] in "LNSP" for char in title):
        raise ValueError("A conversation needs a name: type at least one letter or digit.")
    if len(title) > TITLE_LENGTH:
        raise ValueError(
            f"The name is {len(title):,} characters long; the limit is {TITLE_LENGTH}."
        )
    return title


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


# ---------------------------------------------------------------- reads before writes

_READS_FIRST = "reads_outside_a_transaction"
_NO_TRANSACTION = "no_transaction_on"


def read_outside_a_transaction() -> None:
    """Let this request's session read without a transaction until its first write.

    On PostgreSQL, psycopg2 opens a transaction with BEGIN before the first statement and
    the pool ends it with ROLLBACK when the connection goes back. In READ COMMITTED (the
    server's default and ours) each statement reads its own snapshot, in a transaction
    or not, so for reads those are two round trips that buy nothing. The session's first
    write, a flush or an INSERT, UPDATE or DELETE through it, turns the transaction back on
    before it runs: what a request writes still commits or rolls back as one. Reads that
    need a lock (``FOR UPDATE``) are not sent outside one either. SQLite is left as it is.
    """
    db.session.info[_READS_FIRST] = True


@event.listens_for(db.session, "after_begin")
def _begin_without_a_transaction(session: Any, _transaction: Any, connection: Any) -> None:
    if not session.info.get(_READS_FIRST) or connection.dialect.name != "postgresql":
        return
    dbapi_connection = connection.connection.dbapi_connection
    # The idle ping (app._ping_when_idle) may have begun one already: keep it then.
    if dbapi_connection.get_transaction_status() == 0:  # psycopg2's TRANSACTION_STATUS_IDLE
        dbapi_connection.autocommit = True
        session.info[_NO_TRANSACTION] = dbapi_connection


def _in_a_transaction(session: Any) -> None:
    """From here on, the session's statements run in a transaction (its next one BEGINs)."""
    dbapi_connection = session.info.pop(_NO_TRANSACTION, None)
    if dbapi_connection is not None:
        dbapi_connection.autocommit = False


@event.listens_for(db.session, "before_flush")
def _flush_in_a_transaction(session: Any, _context: Any, _instances: Any) -> None:
    _in_a_transaction(session)


@event.listens_for(db.session, "do_orm_execute")
def _write_in_a_transaction(state: Any) -> None:
    if not state.is_select or getattr(state.statement, "_for_update_arg", None) is not None:
        _in_a_transaction(state.session)


def utcnow() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def worker_id() -> str:
    """This process as a turn's holder: "host:pid" (a worker's own, after the fork)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}"


def worker_alive(holder: str | None) -> bool:
    """Whether the worker named by ``worker_id()`` may still be running.

    Only a process on this host can be looked at; one elsewhere is taken as alive (its
    lease says when it is not).
    """
    host, _, pid = (holder or "").rpartition(":")
    if host != socket.gethostname()[:60] or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it exists, as another user
        return True
    return True


def lease_lapsed(
    answering_until: datetime | None, answered_by: str | None, now: datetime | None = None
) -> bool:
    """Whether a turn's lease (``Message.answering_until``, ``answered_by``) is held by a
    worker that is gone: it ran out, or its process on this host no longer exists."""
    if answering_until is None:
        return False
    if as_utc(answering_until) < (now or utcnow()):
        return True
    return not worker_alive(answered_by)


def as_utc(moment: datetime) -> datetime:
    """Return a stored time as aware UTC (SQLite hands back naive UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def new_public_id() -> str:
    """Return an unguessable id for URLs."""
    return uuid.uuid4().hex


def _one_of(column: str, values: type) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


@dataclass(frozen=True)
class ConversationPage:
    """What ``Conversation.page`` read: the page rows (oldest first), how many messages
    came before them, the totals (``{"tokens", "cost"}``) and Retry's message (or None)."""

    rows: list[Record]
    earlier: int
    totals: dict[str, Any]
    retry_target: Message | None


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
    # Set by Delete: the conversation is out of sight at once and gone from the database
    # (messages and all) once the few seconds of Undo are over (``purge_deleted``).
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)

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
        """Return the conversation if this owner has it (and has not deleted it), else None."""
        conversation = cls.owned_even_deleted(owner_id, conversation_id)
        if conversation is None or conversation.deleted_at is not None:
            return None
        return conversation

    @classmethod
    def owned_even_deleted(cls, owner_id: str, conversation_id: Any) -> Conversation | None:
        """Return the owner's conversation even inside its Undo window (never another's)."""
        if not isinstance(conversation_id, str) or not CONVERSATION_ID.fullmatch(conversation_id):
            return None
        if db.inspect(cls).identity_key_from_primary_key((conversation_id,)) in (
            db.session.identity_map
        ):
            conversation = db.session.get(cls, conversation_id)  # already here: no query
        else:
            conversation = db.session.scalar(_conversation_statement(), {"id": conversation_id})
        if conversation is None or conversation.owner_id != owner_id:
            return None
        return conversation

    @classmethod
    def page_for_owner(
        cls, owner_id: str, limit: int, after: tuple[datetime, str] | None = None
    ) -> tuple[list[Record], tuple[datetime, str] | None]:
        """One page of the owner's sidebar: ``(rows, cursor of the next page)``, each row
        the ``sidebar_columns`` of a conversation.

        The first page (``after`` None) starts with every pinned conversation (at most
        ``limit`` of them), then the unpinned ones newest first; later pages continue the
        unpinned ones after the cursor ``(updated_at, id)``. Keyset paging: a page costs
        the same however many conversations come before it.
        """
        pinned: list[Record] = []
        if after is None:
            # One statement as a rule: the pinned first, then enough unpinned for a page
            # and its cursor. Only an owner with more than ``limit`` pinned needs a second.
            first = column_rows(_sidebar_statement(), owner_id=owner_id, limit=2 * limit + 1)
            pinned = [row for row in first if row.pinned_at is not None]
            if len(pinned) <= limit:
                rows, cursor = cls._next_page(first[len(pinned) :], limit)
                return pinned + rows, cursor
            pinned = pinned[:limit]
        query = cls._visible(owner_id).where(cls.pinned_at.is_(None))
        if after is not None:
            moment, last_id = after
            query = query.where(
                db.or_(
                    cls.updated_at < moment,
                    db.and_(cls.updated_at == moment, cls.id < last_id),
                )
            )
        rows, cursor = cls._next_page(
            column_rows(query.order_by(cls.updated_at.desc(), cls.id.desc()).limit(limit + 1)),
            limit,
        )
        return pinned + rows, cursor

    @classmethod
    def sidebar_columns(cls) -> tuple[Any, ...]:
        """What a sidebar entry shows of a conversation (read without loading objects).

        The entry is kept under the whole row (``views.fragments.sidebar_entries``), so
        whatever it can show is in its key: an entry reads nothing but these columns."""
        return (cls.id, cls.title, cls.pinned_at, cls.updated_at)

    @classmethod
    def _visible(cls, owner_id: Any) -> Select:
        """The owner's conversations outside their Undo window, as sidebar rows."""
        return db.select(*cls.sidebar_columns()).where(
            cls.owner_id == owner_id, cls.deleted_at.is_(None)
        )

    @staticmethod
    def _next_page(
        unpinned: list[Record], limit: int
    ) -> tuple[list[Record], tuple[datetime, str] | None]:
        """Up to ``limit`` of the unpinned rows read (newest first), and the cursor after
        them when more were read."""
        if len(unpinned) <= limit:
            return unpinned, None
        unpinned = unpinned[:limit]
        return unpinned, (unpinned[-1].updated_at, unpinned[-1].id)

    @classmethod
    def touch(cls, conversation_id: str) -> None:
        """Mark a conversation active now (it moves to the top of the list)."""
        db.session.execute(
            db.update(cls).where(cls.id == conversation_id).values(updated_at=utcnow())
        )

    @classmethod
    def purge_deleted(cls, older_than: datetime) -> int:
        """Delete for good the conversations deleted before ``older_than`` (Undo is over).

        Their messages go with them (the foreign keys cascade). Returns how many went.
        """
        result = db.session.execute(
            db.delete(cls)
            .where(cls.deleted_at.is_not(None), cls.deleted_at < older_than)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount or 0

    @classmethod
    def delete_all_of(cls, owner_id: str) -> int:
        """Delete every conversation of an owner at once, messages included; return how many."""
        result = db.session.execute(
            db.delete(cls)
            .where(cls.owner_id == owner_id)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount or 0

    def page(self, limit: int, pending_seconds: float) -> ConversationPage:
        """What the conversation page shows of its messages, in one statement as a rule.

        The newest ``limit`` messages as page rows (``Message.page_columns``), oldest
        first, with how many came before, the conversation's token and cost totals and the
        message Retry would answer again (``retryable_message``). The count and totals
        ride along (index-only subqueries), so a view issues the same statements for 5
        messages as for 5,000; rows are read, never the whole conversation. A turn whose
        worker is gone is recorded as interrupted first, and the rows read again.
        """
        rows, earlier, totals = self._recent_rows(limit)
        retry = self.retryable_message(pending_seconds, last=rows[-1] if rows else None)
        if rows and rows[-1].answering_until is not None and retry is not None:
            rows, earlier, totals = self._recent_rows(limit)  # with the interrupted reply
        return ConversationPage(rows, earlier, totals, retry)

    def _recent_rows(self, limit: int) -> tuple[list[Record], int, dict[str, Any]]:
        rows = column_rows(_recent_rows_statement(), conversation_id=self.id, limit=limit)
        if not rows:
            return [], 0, {"tokens": 0, "cost": 0.0}
        totals = {"tokens": int(rows[0].tokens), "cost": float(rows[0].cost)}
        return rows[::-1], rows[0].total - len(rows), totals

    def rows_before(self, before_id: int, limit: int) -> tuple[list[Record], int]:
        """The ``limit`` messages before ``before_id`` as page rows, oldest first, and how
        many remain before them."""
        older = column_rows(
            _rows_before_statement(), conversation_id=self.id, before_id=before_id, limit=limit
        )[::-1]
        if not older:
            return older, 0
        return older, self._count_on_branch(Message.id < older[0].id)

    def _count_on_branch(self, *where: Any) -> int:
        """Count the messages of the branch shown that meet ``where`` (an index-only count)."""
        return (
            db.session.scalar(
                db.select(db.func.count())
                .select_from(Message)
                .where(Message.conversation_id == self.id, Message.on_path, *where)
            )
            or 0
        )

    def message_count(self) -> int:
        """Count the conversation's messages (questions and replies)."""
        return self._count_on_branch()

    def count_from(self, message_id: int) -> int:
        """Count the branch's messages from ``message_id`` on, itself included: how many of
        the newest a page must show for that message to be on it."""
        return self._count_on_branch(Message.id >= message_id)

    def last_message(self) -> Message | None:
        """Return the conversation's newest message, if any."""
        return db.session.scalar(
            db.select(Message)
            .where(Message.conversation_id == self.id, Message.on_path)
            .order_by(Message.id.desc())
            .limit(1)
        )

    def retryable_message(
        self, pending_seconds: float, last: Message | Record | None = None
    ) -> Message | None:
        """Return the last user message if its turn ended without a delivered reply.

        A user message with no reply at all may still be in flight; it only counts as
        abandoned once ``pending_seconds`` (the longest possible upstream call) are over.
        ``last``: the newest message on the branch, or its page row, when already read.
        """
        if last is None:
            last = self.last_message()
            if last is None:
                return None
        if last.role == Role.USER:
            if last.answering_until is not None:
                # A turn in flight, held by its worker: retryable once that worker is gone.
                if not lease_lapsed(last.answering_until, last.answered_by):
                    return None
                question = last if isinstance(last, Message) else db.session.get(Message, last.id)
                Message.settle_interrupted(question)
                return question
            age = (utcnow() - as_utc(last.created_at)).total_seconds()
            if age <= pending_seconds:
                return None
            return last if isinstance(last, Message) else db.session.get(Message, last.id)
        retryable = MessageStatus(last.status).retryable or last.finish_reason == "length"
        if retryable and last.reply_to_id:
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
    # Questions being answered: until when the worker answering holds the turn (it renews
    # the lease while it works), which worker ("host:pid") and the reply's text so far.
    # A lapsed lease with no reply is a turn whose worker died: see ``settle_interrupted``.
    answering_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    answered_by: Mapped[str | None] = mapped_column(String(80))
    answer_so_far: Mapped[str | None] = mapped_column(CleanText(), deferred=True)
    # Replies: the content and reasoning as the page shows them (sanitized HTML), kept so
    # a view does not render the Markdown again; shown only while ``html_version`` is
    # rendering.html_version(content, reasoning). Deferred: only the page reads them.
    content_html: Mapped[str | None] = mapped_column(Text, deferred=True, deferred_group="html")
    reasoning_html: Mapped[str | None] = mapped_column(Text, deferred=True, deferred_group="html")
    html_version: Mapped[int | None] = mapped_column(deferred=True, deferred_group="html")
    # Changes whenever the message changes as the page shows it; set by the database on
    # every INSERT and UPDATE but those of the stored HTML and the lease (migration 0014),
    # so no writer can forget it. The page keeps each message's HTML under it.
    revision: Mapped[int] = mapped_column(BigInteger, server_default=text("0"), deferred=True)

    conversation: Mapped[Conversation] = relationship(back_populates="messages")
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="message",
        order_by="Attachment.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="raise",  # read through Attachment.of_messages, in one query per page
    )

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
    def page_columns(cls) -> tuple[Any, ...]:
        """What a page reads of each message before knowing which it must render: ``id``,
        ``conversation_id``, ``parent_id``, ``role``, ``status``, ``has_content`` (the
        text is not empty), ``revision`` and what Retry needs of the newest (its time,
        finish reason, question and lease). ``has_versions`` and ``has_pictures`` say
        whether ``versions`` and ``Attachment.of_messages`` have anything to find for it,
        so a conversation without edits or pictures skips those statements. The rest
        comes from ``for_page``, only for messages whose kept HTML is missing or out of
        date (views/fragments.py)."""
        other = db.aliased(cls)
        return (
            cls.id,
            cls.conversation_id,
            cls.parent_id,
            cls.role,
            cls.status,
            (cls.content != "").label("has_content"),
            cls.revision,
            # For Retry (``Conversation.retryable_message``): the newest row's turn.
            cls.created_at,
            cls.finish_reason,
            cls.reply_to_id,
            cls.answering_until,
            cls.answered_by,
            db.case(
                # Versions are siblings: the other messages under the same parent (for the
                # first question, the conversation's other first questions).
                (
                    cls.parent_id.is_(None),
                    db.exists().where(
                        other.conversation_id == cls.conversation_id,
                        other.parent_id.is_(None),
                        other.id != cls.id,
                    ),
                ),
                else_=db.exists().where(other.parent_id == cls.parent_id, other.id != cls.id),
            ).label("has_versions"),
            db.exists().where(Attachment.message_id == cls.id).label("has_pictures"),
        )

    @classmethod
    def for_page(cls, ids: Sequence[int]) -> list[Message]:
        """The messages with these ids, whole and with their stored HTML, oldest first."""
        if not ids:
            return []
        return list(
            db.session.scalars(
                db.select(cls)
                .options(db.undefer_group("html"))
                .where(cls.id.in_(list(ids)))
                .order_by(cls.id)
            )
        )

    # ---------------------------------------------------------------- stored HTML

    def _html_is_current(self) -> bool:
        # Not loaded (a row read without the "html" group, as the turn reads its reply):
        # render rather than issue a query per message.
        if "html_version" in db.inspect(self).unloaded:
            return False
        return self.html_version == rendering.html_version(self.content, self.reasoning)

    @property
    def content_markup(self) -> Markup:
        """The reply's content as sanitized HTML: the stored copy when it is current."""
        if self._html_is_current() and self.content_html is not None:
            return rendering.stored_html(self.content_html)
        return rendering.render_markdown(self.content)

    @property
    def reasoning_markup(self) -> Markup:
        """The reply's reasoning as sanitized HTML: the stored copy when it is current."""
        if self._html_is_current() and self.reasoning_html is not None:
            return rendering.stored_html(self.reasoning_html)
        return rendering.render_markdown(self.reasoning or "")

    @classmethod
    def render_html(cls, messages: Sequence[Message]) -> list[dict[str, Any]]:
        """Render the replies among ``messages`` whose stored HTML is missing or stale.

        The objects get the new HTML at once (not marked changed, so no flush writes
        it); the return value is what ``store_html`` writes: ``[{"id", "content_html",
        "reasoning_html", "html_version"}]``. The messages must have been read with the
        "html" group loaded (``for_page``).
        """
        stale = []
        for message in messages:
            if message.role != Role.ASSISTANT:
                continue  # a question is shown as plain text
            version = rendering.html_version(message.content, message.reasoning)
            loaded = "html_version" not in db.inspect(message).unloaded
            if loaded and message.html_version == version:
                continue
            row = {
                "id": message.id,
                "content_html": str(rendering.render_markdown(message.content)),
                "reasoning_html": (
                    str(rendering.render_markdown(message.reasoning))
                    if message.reasoning is not None
                    else None
                ),
                "html_version": version,
            }
            for key in ("content_html", "reasoning_html", "html_version"):
                set_committed_value(message, key, row[key])
            stale.append(row)
        return stale

    # Bind parameters per statement stay far below SQLite's and PostgreSQL's limits.
    STORE_BATCH = 500

    @classmethod
    def store_html(cls, rows: Sequence[dict[str, Any]]) -> None:
        """Write rendered HTML (``render_html``'s rows) in one UPDATE per 500 rows."""
        for start in range(0, len(rows), cls.STORE_BATCH):
            batch = rows[start : start + cls.STORE_BATCH]

            def by_id(key: str, batch=batch):
                return db.case({row["id"]: row[key] for row in batch}, value=cls.id)

            db.session.execute(
                db.update(cls)
                .where(cls.id.in_([row["id"] for row in batch]))
                .values(
                    content_html=by_id("content_html"),
                    reasoning_html=by_id("reasoning_html"),
                    html_version=by_id("html_version"),
                )
                .execution_options(synchronize_session=False)
            )

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
    def totals_columns(cls) -> tuple[Any, Any]:
        """Tokens (prompt + completion) and cost summed over replies, as two SQL columns
        (to select where ``role`` is assistant)."""
        return (
            db.func.coalesce(db.func.sum(cls.prompt_tokens), 0)
            + db.func.coalesce(db.func.sum(cls.completion_tokens), 0),
            db.func.coalesce(db.func.sum(cls.cost), 0.0),
        )

    @classmethod
    def totals(cls, conversation_id: str) -> dict[str, Any]:
        """Add up the tokens and cost of a conversation's replies: ``{"tokens", "cost"}``."""
        tokens, cost = db.session.execute(
            db.select(*cls.totals_columns()).where(
                cls.conversation_id == conversation_id, cls.role == Role.ASSISTANT
            )
        ).one()
        return {"tokens": int(tokens), "cost": float(cost)}

    # ------------------------------------------------------------ turns in flight

    def lease_lapsed(self, now: datetime | None = None) -> bool:
        """Whether the worker that took this question's turn is gone without answering it.

        Its lease ran out (it stopped renewing: killed, or its database connection
        dropped), or it ran on this host and its process no longer exists (known at once,
        without waiting for the lease).
        """
        return lease_lapsed(self.answering_until, self.answered_by, now)

    @classmethod
    def settle_interrupted(cls, question: Message) -> Message:
        """Record the reply of a question whose worker died: interrupted, with its text so far.

        The reply is a failure of kind "interrupted" that keeps what had arrived, so the
        page shows it with Retry at once; a late answer from a worker that was only slow
        replaces it (``supersede_failures``). Commits.
        """
        reply = cls(
            conversation_id=question.conversation_id,
            role=Role.ASSISTANT,
            content=question.answer_so_far or "",
            status=MessageStatus.ERROR,
            error_kind=FailureKind.INTERRUPTED,
            error_detail={"reason": "", "answered_by": question.answered_by},
            reply_to_id=question.id,
            parent_id=question.id,
        )
        db.session.add(reply)
        question.answering_until = None
        question.answer_so_far = None
        db.session.commit()
        return reply

    @classmethod
    def release_turn(cls, question_id: int, holder: str) -> bool:
        """End ``holder``'s hold on a question's turn (one UPDATE); False when it no longer
        held it: its lease lapsed and the answer was recorded as interrupted, or a Retry on
        another worker took the turn over."""
        result = db.session.execute(
            db.update(cls)
            .where(
                cls.id == question_id,
                cls.answered_by == holder,
                cls.answering_until.is_not(None),
            )
            .values(answering_until=None, answer_so_far=None)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)

    @classmethod
    def has_answer_shown(cls, question_id: int) -> bool:
        """Whether a question already has an answer on screen that is not a failure."""
        return bool(
            db.session.scalar(
                db.select(
                    db.exists().where(
                        cls.reply_to_id == question_id,
                        cls.role == Role.ASSISTANT,
                        cls.on_path,
                        cls.status != MessageStatus.ERROR,
                    )
                )
            )
        )

    @classmethod
    def renew_lease_statement(cls, message_id: int, until: datetime, so_far: str) -> Any:
        """The UPDATE that keeps a question's turn held until ``until``, with the text so far."""
        return (
            db.update(cls)
            .where(cls.id == message_id, cls.answering_until.is_not(None))
            .values(answering_until=until, answer_so_far=so_far or None)
        )

    @classmethod
    def supersede_failures(cls, reply_to_id: int, keep_id: int) -> int:
        """Delete the failed replies to a message that a newer reply (``keep_id``) replaces.

        A failure holds no text, only why it failed (already logged and counted), so a
        retry's answer takes its place on the page and in the database. Returns how many
        rows went.
        """
        child = db.aliased(cls)
        result = db.session.execute(
            db.delete(cls)
            .where(
                cls.reply_to_id == reply_to_id,
                cls.id != keep_id,
                cls.role == Role.ASSISTANT,
                cls.status == MessageStatus.ERROR,
                # A failure the conversation went on from is part of a branch: it stays.
                ~db.select(child.id).where(child.parent_id == cls.id).exists(),
            )
            .execution_options(synchronize_session=False)
        )
        return result.rowcount or 0

    # ------------------------------------------------------------ branches

    @classmethod
    def tip_id_query(cls, conversation_id: str) -> Any:
        """A scalar subquery: the id of the last message on the branch shown."""
        return (
            db.select(db.func.max(cls.id))
            .where(cls.conversation_id == conversation_id, cls.on_path)
            .scalar_subquery()
        )

    @classmethod
    def make_current(cls, message: Message) -> None:
        """Show a message just added under its parent: its siblings step back, and the
        branch that ran below the one shown before leaves the screen (kept, one click away).

        A new message always has the highest id, and the ids along the branch shown rise,
        so "on the branch after the parent" is exactly the old version and what followed it.
        """
        siblings = (
            cls.parent_id == message.parent_id
            if message.parent_id is not None
            else cls.parent_id.is_(None)
        )
        db.session.execute(
            db.update(cls)
            .where(cls.conversation_id == message.conversation_id, siblings, cls.id != message.id)
            .values(chosen=False)
            .execution_options(synchronize_session=False)
        )
        db.session.execute(
            db.update(cls)
            .where(
                cls.conversation_id == message.conversation_id,
                cls.on_path,
                cls.id > (message.parent_id or 0),
                cls.id != message.id,
            )
            .values(on_path=False)
            .execution_options(synchronize_session=False)
        )

    @classmethod
    def show_version(cls, message: Message) -> None:
        """Put the branch through ``message`` on screen: it becomes the version shown among
        its siblings, and below it each earlier choice is shown again."""
        conversation_id = message.conversation_id
        rows = db.session.execute(
            db.select(cls.id, cls.parent_id, cls.chosen).where(
                cls.conversation_id == conversation_id
            )
        ).all()
        children: dict[int | None, list[tuple[int, bool]]] = {}
        for row_id, parent_id, chosen in rows:
            if row_id != message.id and parent_id == message.parent_id:
                chosen = False
            children.setdefault(parent_id, []).append((row_id, chosen or row_id == message.id))
        path: list[int] = []
        parent: int | None = None
        while children.get(parent):
            # The chosen version, else the newest (ids rise with time).
            options = sorted(children[parent])
            chosen_ids = [row_id for row_id, chosen in options if chosen]
            parent = chosen_ids[-1] if chosen_ids else options[-1][0]
            path.append(parent)
        siblings = (
            cls.parent_id == message.parent_id
            if message.parent_id is not None
            else cls.parent_id.is_(None)
        )
        update = db.update(cls).execution_options(synchronize_session=False)
        where = cls.conversation_id == conversation_id
        db.session.execute(update.where(where, siblings).values(chosen=cls.id == message.id))
        db.session.execute(update.where(where, cls.on_path).values(on_path=False))
        for start in range(0, len(path), 500):  # bounded IN lists
            db.session.execute(
                update.where(where, cls.id.in_(path[start : start + 500])).values(on_path=True)
            )

    @classmethod
    def versions(
        cls, messages: Sequence[Message | Record]
    ) -> dict[int, tuple[int, int, int | None, int | None]]:
        """The versions of the given messages (or page rows) of one conversation, in one query.

        Returns ``{message id: (position from 1, count, previous id, next id)}`` for each
        message that has other versions (siblings under the same parent); the first has
        no previous one and the last no next one (None).
        """
        if not messages:
            return {}
        conversation_id = messages[0].conversation_id
        parents = {m.parent_id for m in messages if m.parent_id is not None}
        under = [cls.parent_id.in_(parents)] if parents else []
        if any(m.parent_id is None for m in messages):
            under.append(cls.parent_id.is_(None))
        rows = db.session.execute(
            db.select(cls.id, cls.parent_id)
            .where(cls.conversation_id == conversation_id, db.or_(*under))
            .order_by(cls.id)
        ).all()
        groups: dict[int | None, list[int]] = {}
        for row_id, parent_id in rows:
            groups.setdefault(parent_id, []).append(row_id)
        found: dict[int, tuple[int, int, int | None, int | None]] = {}
        for message in messages:
            group = groups.get(message.parent_id, [])
            if len(group) > 1 and message.id in group:
                at = group.index(message.id)
                found[message.id] = (
                    at + 1,
                    len(group),
                    group[at - 1] if at > 0 else None,
                    group[at + 1] if at + 1 < len(group) else None,
                )
        return found

    @classmethod
    def context_before(cls, conversation_id: str, before_id: int) -> tuple[int | None, int]:
        """In one statement: the newest message's id before ``before_id`` and how many
        messages (questions and answers) before it could serve as context."""
        answered = db.case(
            (db.and_(cls.role == Role.ASSISTANT, cls.status == MessageStatus.OK), 1), else_=0
        )
        row = db.session.execute(
            db.select(db.func.max(cls.id), db.func.coalesce(db.func.sum(answered), 0)).where(
                cls.conversation_id == conversation_id, cls.on_path, cls.id < before_id
            )
        ).one()
        return row[0], 2 * int(row[1] or 0)

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
                .where(cls.conversation_id == conversation_id, cls.on_path, cls.id < before_id)
                .order_by(cls.id.desc())
                .limit(size * 3)
            )
        )
        rows.reverse()
        answered = {
            m.reply_to_id for m in rows if m.role == Role.ASSISTANT and m.status == MessageStatus.OK
        }
        pictures = Attachment.of_messages([m.id for m in rows if m.id in answered])
        turns = [
            {"role": m.role, "content": with_picture_note(m.content, pictures.get(m.id, ()))}
            for m in rows
            if (m.role == Role.USER and m.id in answered)
            or (m.role == Role.ASSISTANT and m.status == MessageStatus.OK)
        ][-size:]
        while turns and turns[0]["role"] != Role.USER:
            turns.pop(0)
        return turns

    # ------------------------------------------------------------ search

    @classmethod
    def search(cls, owner_id: str, query: str, limit: int, offset: int = 0) -> list[search.Hit]:
        """Search the owner's titles and messages (full text, every word a prefix).

        Returns up to ``limit`` hits (``search.Hit``), newest first, after ``offset``; the
        owner and the branch on screen are conditions of the query. Raises
        ``search.QueryTooLong``; text with no words in it finds nothing.
        """
        return search.find(db.session, owner_id, search.terms(query), limit, offset)


def with_picture_note(text: str, pictures: Sequence[Any]) -> str:
    """A question as later turns send it: its pictures are not sent again, only named,
    so the model knows they were there (``pictures``: anything with ``filename``)."""
    if not pictures:
        return text
    names = ", ".join(picture.filename for picture in pictures)
    note = f"[The user sent {len(pictures)} picture(s) with this message: {names}]"
    return f"{text}\n\n{note}" if text else note


class Attachment(db.Model):
    """A picture sent with a user message: re-encoded by ``images`` (EXIF and GPS gone,
    orientation applied, long edge bounded), kept in the database beside its message so
    every instance serves it and backups hold it, deleted with the message.

    ``data`` and ``thumbnail`` are deferred: listing a conversation's pictures reads their
    facts (name, type, size) only. ``public_id`` is the unguessable id in its address.
    """

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("message.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)  # order within the message, from 0
    filename: Mapped[str] = mapped_column(CleanText(255))
    content_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int]
    height: Mapped[int]
    byte_size: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    thumbnail_type: Mapped[str] = mapped_column(String(32))
    thumbnail: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    message: Mapped[Message] = relationship(back_populates="attachments")

    @classmethod
    def owned(cls, owner_id: str, public_id: Any) -> Attachment | None:
        """Return the picture if it belongs to one of this owner's conversations, else None."""
        if not isinstance(public_id, str) or not CONVERSATION_ID.fullmatch(public_id):
            return None
        return db.session.scalar(
            db.select(cls)
            .join(Message, Message.id == cls.message_id)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(
                cls.public_id == public_id,
                Conversation.owner_id == owner_id,
                Conversation.deleted_at.is_(None),
            )
        )

    @classmethod
    def of_messages(cls, message_ids: Sequence[int]) -> dict[int, list[Attachment]]:
        """The pictures of these messages (facts only, no bytes), in one query:
        ``{message id: [attachments in order]}``."""
        found: dict[int, list[Attachment]] = {}
        if not message_ids:
            return found
        for attachment in db.session.scalars(
            db.select(cls)
            .where(cls.message_id.in_(list(message_ids)))
            .order_by(cls.message_id, cls.position)
        ):
            found.setdefault(attachment.message_id, []).append(attachment)
        return found

    # What a copy of a picture carries over (everything but its identity and message).
    COPIED = (
        "position",
        "filename",
        "content_type",
        "width",
        "height",
        "byte_size",
        "data",
        "thumbnail_type",
        "thumbnail",
        "created_at",
    )

    @classmethod
    def copy_to(cls, source_id: int, target_id: int) -> None:
        """Give another message copies of one message's pictures (an edited question),
        inside the database (INSERT ... SELECT), without reading the bytes into the process."""
        rows = db.session.scalars(
            db.select(cls.id).where(cls.message_id == source_id).order_by(cls.position)
        ).all()
        copied = [getattr(cls, name) for name in cls.COPIED]
        for row_id in rows:
            db.session.execute(
                db.insert(cls).from_select(
                    ["public_id", "message_id", *cls.COPIED],
                    db.select(db.literal(new_public_id()), db.literal(target_id), *copied).where(
                        cls.id == row_id
                    ),
                )
            )

    @classmethod
    def pictures_of(cls, message_id: int) -> list[Picture]:
        """The stored pictures of one message, bytes included, in order (for the upstream)."""
        rows = db.session.execute(
            db.select(cls.content_type, cls.data, cls.width, cls.height, cls.filename)
            .where(cls.message_id == message_id)
            .order_by(cls.position)
        )
        return [Picture(*row) for row in rows]


@dataclass(frozen=True)
class Picture:
    """A picture as a turn sends it: MIME type, bytes, size in pixels, display name."""

    content_type: str
    data: bytes
    width: int
    height: int
    filename: str


# A page view's statements are built once per process and run with new parameters: their
# construction (columns, subqueries, an alias) costs more than running them.


#: A row read by ``column_rows``: a named tuple of the statement's columns (``row.title``,
#: ``row[0]``, ``*row``).
Record = Any


def column_rows(statement: Select, **params: Any) -> list[Record]:
    """Run a select of columns (no mapped classes) in the session's transaction; its rows,
    as named tuples (``Record``).

    Through the connection, not the ORM: for a select that loads no objects the ORM's
    per-statement setup costs as much as running it. Pending changes are flushed first,
    as the ORM's autoflush would. Named tuples, not SQLAlchemy's rows: reading a row's
    attribute first looks for it on the class and raises AttributeError inside, and a
    page view reads some 500 (a tenth of the view's instructions, counted by
    bench/page_instructions.py).
    """
    db.session.flush()
    result = db.session.connection().execute(statement, params)
    record = _record_type(tuple(result.keys()))
    return [record._make(row) for row in result]


@functools.cache
def _record_type(fields: tuple[str, ...]) -> type:
    return collections.namedtuple("Record", fields)


@functools.cache
def _recent_rows_statement() -> Select:
    """The newest ``:limit`` page rows of ``:conversation_id`` (newest first), each with
    the branch's message count (``total``) and the replies' ``tokens`` and ``cost``."""
    conversation_id = db.bindparam("conversation_id")

    def over_conversation(column, *where):
        return (
            db.select(column)
            .where(Message.conversation_id == conversation_id, *where)
            .correlate(None)  # its own FROM: not correlated with the rows read
            .scalar_subquery()
        )

    tokens, cost = Message.totals_columns()
    replies = Message.role == Role.ASSISTANT
    return (
        db.select(
            *Message.page_columns(),
            over_conversation(db.func.count(), Message.on_path).label("total"),
            over_conversation(tokens, replies).label("tokens"),
            over_conversation(cost, replies).label("cost"),
        )
        .where(Message.conversation_id == conversation_id, Message.on_path)
        .order_by(Message.id.desc())
        .limit(db.bindparam("limit"))
    )


@functools.cache
def _conversation_statement() -> Select:
    """The conversation ``:id`` (``Session.get`` builds its statement on every call)."""
    return db.select(Conversation).where(Conversation.id == db.bindparam("id"))


@functools.cache
def _sidebar_statement() -> Select:
    """The first ``:limit`` of ``:owner_id``'s sidebar: pinned first, newest pinned
    first, then the unpinned newest first."""
    return (
        Conversation._visible(db.bindparam("owner_id"))
        .order_by(
            Conversation.pinned_at.is_(None),
            Conversation.pinned_at.desc(),
            Conversation.updated_at.desc(),
            Conversation.id.desc(),
        )
        .limit(db.bindparam("limit"))
    )


@functools.cache
def _vehicle_statement() -> Select:
    """``:owner_id``'s vehicle."""
    return db.select(Vehicle).where(Vehicle.owner_id == db.bindparam("owner_id"))


@functools.cache
def _vehicle_profile_statement() -> Select:
    """The columns of ``:owner_id``'s vehicle that describe it (``Vehicle.PROFILE``)."""
    return db.select(*(getattr(Vehicle, name) for name in Vehicle.PROFILE)).where(
        Vehicle.owner_id == db.bindparam("owner_id")
    )


@functools.cache
def _rows_before_statement() -> Select:
    """The ``:limit`` page rows of ``:conversation_id`` before ``:before_id``, newest first."""
    return (
        db.select(*Message.page_columns())
        .where(
            Message.conversation_id == db.bindparam("conversation_id"),
            Message.on_path,
            Message.id < db.bindparam("before_id"),
        )
        .order_by(Message.id.desc())
        .limit(db.bindparam("limit"))
    )


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

    #: The columns that describe the vehicle (``automotive.vehicle.VehicleProfile``'s).
    PROFILE = ("year", "make", "model", "engine", "mileage", "mileage_unit", "vin")

    @classmethod
    def of_owner(cls, owner_id: str) -> Vehicle | None:
        """Return the owner's saved vehicle row, if any."""
        return db.session.scalar(_vehicle_statement(), {"owner_id": owner_id})

    @classmethod
    def profile_row(cls, owner_id: str) -> Record | None:
        """The owner's vehicle as a row of ``PROFILE`` columns, if any: what every page and
        chat turn reads, without loading an object (``column_rows``)."""
        rows = column_rows(_vehicle_profile_statement(), owner_id=owner_id)
        return rows[0] if rows else None


# ---------------------------------------------------------------- sharing helper: share links,
# pairing codes and paired browsers (migration 0009)

SHARE_TOKEN_BYTES = 32
PAIRING_CODE_BYTES = 16
LABEL_LENGTH = 80


def token_digest(token: str) -> str:
    """Return the SHA-256 hex digest of a link's secret (all the database keeps of it)."""
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


class Share(db.Model):
    """A read-only snapshot of a conversation's branch, published at ``/s/<token>``.

    Only the token's SHA-256 is stored, so a copy of the database (a backup, a leak) opens
    no link; the owner sees the address once, when it is made. ``messages`` is a copy of
    the branch on screen when the link was made (a list of dicts, see ``snapshot_of``):
    later messages, edits and branch switches do not change what the link shows. Revoking
    deletes the row, copy and all; deleting the conversation deletes its shares (cascade).
    """

    __tablename__ = "share"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversation.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(CleanText(TITLE_LENGTH))
    messages: Mapped[list] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @staticmethod
    def snapshot_of(conversation_id: str) -> list[dict[str, Any]]:
        """Copy the branch on screen: questions, and the replies that have text.

        Each item: ``role``, ``content``, ``created_at`` (ISO 8601, UTC), ``model``,
        ``status``, ``finish_reason``, ``reasoning``, ``facts``, ``tool_calls``. A failed
        reply holds no text, only why it failed (the owner's business), so it is left out.
        """
        rows = db.session.scalars(
            db.select(Message)
            .where(Message.conversation_id == conversation_id, Message.on_path)
            .order_by(Message.id)
        )
        return [
            {
                "role": row.role,
                "content": row.content,
                "created_at": as_utc(row.created_at).isoformat(),
                "model": row.model,
                "status": row.status,
                "finish_reason": row.finish_reason,
                "reasoning": row.reasoning,
                "facts": row.facts,
                "tool_calls": row.tool_calls,
            }
            for row in rows
            if row.role == Role.USER or (row.content and row.status != MessageStatus.ERROR)
        ]

    @classmethod
    def publish(cls, conversation: Conversation) -> tuple[Share, str]:
        """Snapshot a conversation under a new token; return the row and the token (once)."""
        token = secrets.token_urlsafe(SHARE_TOKEN_BYTES)
        share = cls(
            conversation_id=conversation.id,
            token_hash=token_digest(token),
            title=conversation.title,
            messages=cls.snapshot_of(conversation.id),
        )
        db.session.add(share)
        return share, token

    @classmethod
    def by_token(cls, token: str) -> Share | None:
        """Return the live share for a token (None when unknown or revoked).

        The lookup is by digest: the database compares hashes, so how long it takes says
        nothing about the token itself.
        """
        if not token or len(token) > 200:
            return None
        return db.session.scalar(db.select(cls).where(cls.token_hash == token_digest(token)))

    @classmethod
    def of_owner(cls, owner_id: str) -> Sequence[Share]:
        """List the owner's live links, newest first."""
        return db.session.scalars(
            db.select(cls)
            .join(Conversation)
            .where(Conversation.owner_id == owner_id)
            .order_by(cls.created_at.desc(), cls.id.desc())
        ).all()

    @classmethod
    def owned(cls, owner_id: str, share_id: int) -> Share | None:
        """Return the share if its conversation is this owner's, else None."""
        return db.session.scalar(
            db.select(cls)
            .join(Conversation)
            .where(cls.id == share_id, Conversation.owner_id == owner_id)
        )


class PairingCode(db.Model):
    """A one-time code that attaches another browser to its owner (``/pair/<code>``).

    Only the code's SHA-256 is stored. It works once (``consume`` marks it used in one
    conditional UPDATE) and only until ``expires_at``.
    """

    __tablename__ = "pairing_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(64), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @classmethod
    def issue(cls, owner_id: str, lifetime: timedelta) -> tuple[PairingCode, str]:
        """Make a code for this owner; return the row and the code (shown once).

        The owner's spent and expired codes go at the same time: they open nothing.
        """
        now = utcnow()
        db.session.execute(
            db.delete(cls).where(
                cls.owner_id == owner_id, or_(cls.used_at.is_not(None), cls.expires_at <= now)
            )
        )
        code = secrets.token_urlsafe(PAIRING_CODE_BYTES)
        row = cls(
            owner_id=owner_id,
            code_hash=token_digest(code),
            created_at=now,
            expires_at=now + lifetime,
        )
        db.session.add(row)
        return row, code

    @classmethod
    def find(cls, code: str) -> PairingCode | None:
        """Return the code's row whatever its state (None when unknown)."""
        if not code or len(code) > 200:
            return None
        return db.session.scalar(db.select(cls).where(cls.code_hash == token_digest(code)))

    @property
    def usable(self) -> bool:
        """Tell whether the code still opens: not used, not expired."""
        return self.used_at is None and as_utc(self.expires_at) > utcnow()

    @classmethod
    def consume(cls, code: str) -> str | None:
        """Spend the code and return its owner id, or None if it was used, expired or unknown.

        One conditional UPDATE: of two browsers racing with the same code, one wins.
        """
        if not code or len(code) > 200:
            return None
        now = utcnow()
        digest = token_digest(code)
        spent = db.session.execute(
            db.update(cls)
            .where(cls.code_hash == digest, cls.used_at.is_(None), cls.expires_at > now)
            .values(used_at=now)
            # SQLite hands back naive times: Python cannot judge the WHERE on loaded rows.
            .execution_options(synchronize_session=False)
        )
        if spent.rowcount != 1:
            return None
        return db.session.scalar(db.select(cls.owner_id).where(cls.code_hash == digest))


class PairedBrowser(db.Model):
    """A browser attached to an owner by a pairing code; its owner cookie names this row.

    Signing it out deletes the row: that browser's cookie then names nothing, and its next
    request starts as a fresh visitor. ``last_seen_at`` is written at most once per
    ``SEEN_EVERY``, not on every request.
    """

    __tablename__ = "paired_browser"

    SEEN_EVERY = timedelta(hours=1)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_public_id)
    owner_id: Mapped[str] = mapped_column(String(64), index=True)
    label: Mapped[str] = mapped_column(CleanText(LABEL_LENGTH))
    paired_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @classmethod
    def attach(cls, owner_id: str, label: str) -> PairedBrowser:
        """Record a newly paired browser of this owner."""
        now = utcnow()
        row = cls(owner_id=owner_id, label=label[:LABEL_LENGTH], paired_at=now, last_seen_at=now)
        db.session.add(row)
        return row

    @classmethod
    def active(cls, owner_id: str, browser_id: Any) -> PairedBrowser | None:
        """Return the browser's row if it is still paired to this owner (a primary-key read)."""
        if not isinstance(browser_id, str) or not CONVERSATION_ID.fullmatch(browser_id):
            return None
        row = db.session.get(cls, browser_id)
        return row if row is not None and row.owner_id == owner_id else None

    @property
    def due_for_seen(self) -> bool:
        """Tell whether ``last_seen_at`` is old enough to be written again."""
        return utcnow() - as_utc(self.last_seen_at) >= self.SEEN_EVERY

    @classmethod
    def seen_statement(cls, browser_id: str) -> Update:
        """The UPDATE that marks the browser seen now (run on a connection of its own)."""
        return db.update(cls).where(cls.id == browser_id).values(last_seen_at=utcnow())

    @classmethod
    def of_owner(cls, owner_id: str) -> Sequence[PairedBrowser]:
        """List the owner's paired browsers, most recently paired first."""
        return db.session.scalars(
            db.select(cls).where(cls.owner_id == owner_id).order_by(cls.paired_at.desc())
        ).all()

    @classmethod
    def owned(cls, owner_id: str, browser_id: str) -> PairedBrowser | None:
        """Return the owner's paired browser with this id, else None (never another's)."""
        return cls.active(owner_id, browser_id)

    @classmethod
    def count_of(cls, owner_id: str) -> int:
        """Count the browsers paired to this owner."""
        return (
            db.session.scalar(
                db.select(db.func.count()).select_from(cls).where(cls.owner_id == owner_id)
            )
            or 0
        )


def owner_holdings(owner_id: str) -> int:
    """Count an owner's conversations (what a pairing would move)."""
    return (
        db.session.scalar(
            db.select(db.func.count())
            .select_from(Conversation)
            .where(Conversation.owner_id == owner_id)
        )
        or 0
    )


def move_owner(old_owner: str, new_owner: str) -> int:
    """Give an owner's conversations (with their shares) to another owner; return how many.

    The vehicle moves too when the new owner has none; otherwise the new owner's stays and
    the old one is deleted (it could no longer be reached).
    """
    moved = db.session.execute(
        db.update(Conversation).where(Conversation.owner_id == old_owner).values(owner_id=new_owner)
    ).rowcount
    if Vehicle.of_owner(new_owner) is None:
        db.session.execute(
            db.update(Vehicle).where(Vehicle.owner_id == old_owner).values(owner_id=new_owner)
        )
    else:
        db.session.execute(db.delete(Vehicle).where(Vehicle.owner_id == old_owner))
    return moved or 0


# ----------------------------------------------------------------------------------
# Share link pictures (issue 14, migration 0011). Kept by the sharing work
# (views/sharing.py); this block is the whole of its part of models.py.


class SharePicture(db.Model):
    """A copy of a picture a share link's snapshot shows, made when the link is made.

    The snapshot holds the text (``Share.messages``); this holds its pictures' bytes, so
    ``/s/<token>/pictures/<number>`` serves them to anyone with the link while the
    originals stay owner-only at ``/attachments/<public_id>`` (whose id the snapshot never
    names). Like the text, the copy does not follow later changes; revoking the link or
    deleting the conversation deletes it (``ON DELETE CASCADE`` through ``share``).
    ``number`` counts the share's pictures from 1 (their address); ``item`` is the index
    of their message in ``Share.messages``; ``position`` their order in that message.
    """

    __tablename__ = "share_picture"

    share_id: Mapped[int] = mapped_column(
        ForeignKey("share.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    item: Mapped[int]
    position: Mapped[int]
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int]
    height: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    thumbnail_type: Mapped[str] = mapped_column(String(32))
    thumbnail: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)

    _COPIED = "position, filename, content_type, width, height, data, thumbnail_type, thumbnail"

    @classmethod
    def copy_for(cls, share: Share) -> int:
        """Copy the pictures of the snapshot's questions into the share (inside the
        database: the bytes never pass through the process); return how many.

        Call it in the transaction that made the share (``Share.publish``), after a
        flush: the snapshot lists every question of the branch on screen, in id order,
        which is how its items are matched to their messages here.
        """
        items = [n for n, item in enumerate(share.messages or []) if item["role"] == Role.USER]
        questions = db.session.scalars(
            db.select(Message.id)
            .where(
                Message.conversation_id == share.conversation_id,
                Message.on_path,
                Message.role == Role.USER,
            )
            .order_by(Message.id)
        ).all()
        item_of = dict(zip(questions, items, strict=True))
        pictures = db.session.execute(
            db.select(Attachment.id, Attachment.message_id)
            .where(Attachment.message_id.in_(questions))
            .order_by(Attachment.message_id, Attachment.position)
        ).all()
        names = cls._COPIED.split(", ")
        copied = [getattr(Attachment, name) for name in names]
        for number, (attachment_id, message_id) in enumerate(pictures, start=1):
            db.session.execute(
                db.insert(cls).from_select(
                    ["share_id", "number", "item", *names],
                    db.select(
                        db.literal(share.id),
                        db.literal(number),
                        db.literal(item_of[message_id]),
                        *copied,
                    ).where(Attachment.id == attachment_id),
                )
            )
        return len(pictures)

    @classmethod
    def of_share(cls, share_id: int) -> dict[int, list[SharePicture]]:
        """The share's pictures (facts only, no bytes) by snapshot item, in order."""
        found: dict[int, list[SharePicture]] = {}
        for picture in db.session.scalars(
            db.select(cls).where(cls.share_id == share_id).order_by(cls.number)
        ):
            found.setdefault(picture.item, []).append(picture)
        return found

    @classmethod
    def find(cls, share_id: int, number: int, *, thumbnail: bool = False) -> SharePicture | None:
        """One picture of the share with its bytes (or its thumbnail's), or None."""
        column = cls.thumbnail if thumbnail else cls.data
        return db.session.scalar(
            db.select(cls)
            .where(cls.share_id == share_id, cls.number == number)
            .options(db.undefer(column))
        )
