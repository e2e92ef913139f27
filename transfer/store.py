"""Reading conversations out of the database for export, and writing imported ones in.

An import is all or nothing: every file is read and checked before the first row is
written, and all rows go in one transaction (a database failure rolls all of it back).
Imported conversations get new ids, belong to the importing owner, and keep their times,
titles, pins and branches. Importing the same file twice makes two copies: an import is
a copy, like copying a file, and a visitor may want one to branch from while keeping the
other; refusing "duplicates" would need a fingerprint stored per import and would still
not stop the same conversation exported twice at different times.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from datetime import datetime
from typing import Any, BinaryIO

from sqlalchemy import case, insert, text, update
from sqlalchemy.orm import selectinload, undefer

from models import Attachment, Conversation, Message, db, new_public_id
from transfer.archive import is_archive, read_archive, write_archive
from transfer.document import MESSAGE_FIELDS, ImportRejected, Limits, document_of, parse_document
from transfer.pictures import reprocess


def messages_of(conversation: Conversation, *, picture_data: bool = False) -> list[Message]:
    """All of a conversation's messages, every branch, oldest first, each with its
    pictures in ``attachments`` (name, type and size; their bytes too with
    ``picture_data``, for a JSON export). Two queries, however many pictures."""
    pictures = selectinload(Message.attachments)
    if picture_data:
        pictures = pictures.options(undefer(Attachment.data))
    return list(
        db.session.scalars(
            db.select(Message)
            .where(Message.conversation_id == conversation.id)
            .order_by(Message.id)
            .options(pictures)
        )
    )


def conversation_document(conversation: Conversation, exported_at: datetime) -> dict:
    """The conversation as a version 1 document (see transfer.document_of)."""
    return document_of(conversation, messages_of(conversation, picture_data=True), exported_at)


def _owner_conversation_ids(owner_id: str) -> list[str]:
    # Oldest first, so an archive lists them in the order they were started. Deleted
    # conversations (inside their Undo window) are not exported.
    return list(
        db.session.scalars(
            db.select(Conversation.id)
            .where(Conversation.owner_id == owner_id, Conversation.deleted_at.is_(None))
            .order_by(Conversation.created_at, Conversation.id)
        )
    )


def _documents(owner_id: str, exported_at: datetime) -> Iterator[dict]:
    for conversation_id in _owner_conversation_ids(owner_id):
        conversation = db.session.get(Conversation, conversation_id)
        if conversation is None:  # deleted while the archive was being written
            continue
        messages = messages_of(conversation, picture_data=True)
        yield document_of(conversation, messages, exported_at)
        # One conversation's rows (and pictures: expunged with their message) in memory
        # at a time, however many there are.
        for row in (*messages, conversation):
            db.session.expunge(row)


def export_archive(owner_id: str, target: BinaryIO, exported_at: datetime) -> int:
    """Write the owner's conversations as a .zip into ``target``; return how many."""
    return write_archive(_documents(owner_id, exported_at), exported_at, target)


def upload_name(filename: str | None) -> str | None:
    """The uploaded file's name as an error shows it: its last path part, one line of
    visible characters, at most 80 (None when there is nothing left to show)."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = " ".join(name.split())
    if len(name) > 80:
        name = name[:79] + "…"
    return name or None


def read_upload(data: bytes, limits: Limits, name: str | None = None) -> list[dict]:
    """Check an uploaded file (a conversation's JSON or an archive) and return its
    conversations, checked, their pictures re-encoded. Raises ImportRejected; touches no
    table. ``name`` (the uploaded file's, see ``upload_name``) begins every error's
    sentence, so the visitor knows which of their files it was ("bad.json: ...")."""
    shown = name or "The file"
    if len(data) > limits.max_bytes:
        raise ImportRejected(
            f"{shown} is {len(data) / 1048576:,.1f} MB; at most "
            f"{limits.max_bytes / 1048576:,.1f} MB can be imported.",
            status=413,
            kind="import_too_large",
        )
    if not data:
        raise ImportRejected(f"{shown} is empty. Choose a .json or .zip file exported here.")
    if not is_archive(data):
        conversations = [parse_document(data, shown, limits=limits)]
    else:
        try:
            conversations = read_archive(data, limits)
        except ImportRejected as rejected:
            if name:
                rejected.message = f"{name}: {rejected.message}"
            raise
    reprocess(conversations, limits)
    return conversations


def _message_row(conversation_id: str, message: dict[str, Any]) -> dict[str, Any]:
    row = {name: message[name] for name in MESSAGE_FIELDS}
    row["conversation_id"] = conversation_id
    return row


def store(owner_id: str, conversations: list[dict]) -> list[str]:
    """Add checked conversations (``read_upload``'s result) to the owner; return new ids.

    Flushes but does not commit: the caller commits (or rolls back) the whole import.
    """
    added = []
    for parsed in conversations:
        conversation = Conversation(
            id=new_public_id(),
            owner_id=owner_id,
            title=parsed["title"],
            created_at=parsed["created_at"],
            updated_at=parsed["updated_at"],
            pinned_at=parsed["pinned_at"],
        )
        db.session.add(conversation)
        added.append(conversation)
    db.session.flush()
    rows = [
        _message_row(conversation.id, message)
        for conversation, parsed in zip(added, conversations, strict=True)
        for message in parsed["messages"]
    ]
    if not rows:
        return [conversation.id for conversation in added]
    # Ids ascending in file order, so the file's order is the page's order.
    new_ids = _reserve_ids(len(rows))
    with_ids = new_ids is not None
    if new_ids is None:
        new_ids = list(
            db.session.scalars(
                insert(Message).returning(Message.id, sort_by_parameter_order=True), rows
            )
        )
    links = []
    position = 0
    for parsed in conversations:
        local: dict[int, int] = {}
        for message in parsed["messages"]:
            new_id = new_ids[position]
            local[message["id"]] = new_id
            link = {
                "id": new_id,
                "parent_id": local.get(message["parent"]),
                "reply_to_id": local.get(message["reply_to"]),
            }
            if with_ids:
                rows[position].update(link)
            elif message["parent"] is not None or message["reply_to"] is not None:
                links.append(link)
            position += 1
    if with_ids:
        # One INSERT with every link in place: an UPDATE afterwards would write each row
        # (and its full-text index entry) twice.
        db.session.execute(insert(Message), rows)
    else:
        _link(links)
    _store_pictures(conversations, new_ids)
    return [conversation.id for conversation in added]


def _store_pictures(conversations: list[dict], new_ids: list[int]) -> None:
    """Insert the (re-encoded) pictures beside their new messages, with new public ids."""
    rows = []
    position = 0
    for parsed in conversations:
        for message in parsed["messages"]:
            for number, picture in enumerate(message.get("attachments") or ()):
                image = picture["image"]  # KeyError if not re-encoded: never the raw bytes
                rows.append(
                    {
                        "public_id": new_public_id(),
                        "message_id": new_ids[position],
                        "position": number,
                        "filename": image.filename,
                        "content_type": image.content_type,
                        "width": image.width,
                        "height": image.height,
                        "byte_size": len(image.data),
                        "data": image.data,
                        "thumbnail_type": image.thumbnail_type,
                        "thumbnail": image.thumbnail,
                        "created_at": message["created_at"],
                    }
                )
            position += 1
    # A few at a time: each row holds up to a picture's bytes.
    for start in range(0, len(rows), 8):
        db.session.execute(insert(Attachment), rows[start : start + 8])


def _reserve_ids(count: int) -> list[int] | None:
    """``count`` new message ids, ascending, where the database can hand them out first.

    PostgreSQL: from the id sequence. SQLite: after the highest id, which is safe because
    this transaction already holds SQLite's single write lock (the conversations were
    flushed). Elsewhere None: the rows are inserted first and linked after.
    """
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        return sorted(
            db.session.scalars(
                text(
                    "SELECT nextval(pg_get_serial_sequence('message', 'id')) "
                    "FROM generate_series(1, :count)"
                ),
                {"count": count},
            )
        )
    if dialect == "sqlite":
        highest = db.session.scalar(db.select(db.func.coalesce(db.func.max(Message.id), 0)))
        return list(range(highest + 1, highest + 1 + count))
    return None


LINKS_PER_UPDATE = 200


def _link(links: list[dict[str, Any]]) -> None:
    """Set the new rows' parent_id and reply_to_id, 200 rows per UPDATE.

    One ``UPDATE ... SET parent_id = CASE id WHEN ... END`` per chunk: an executemany of
    single-row UPDATEs costs a round trip per message (3 s for 10,000 on PostgreSQL).
    """
    for start in range(0, len(links), LINKS_PER_UPDATE):
        chunk = links[start : start + LINKS_PER_UPDATE]
        db.session.execute(
            update(Message)
            .where(Message.id.in_([link["id"] for link in chunk]))
            .values(
                parent_id=case({link["id"]: link["parent_id"] for link in chunk}, value=Message.id),
                reply_to_id=case(
                    {link["id"]: link["reply_to_id"] for link in chunk}, value=Message.id
                ),
            )
            .execution_options(synchronize_session=False)
        )


def import_upload(
    owner_id: str, data: bytes, limits: Limits, filename: str | None = None
) -> list[tuple[str, str, int]]:
    """Import an uploaded file for the owner, all or nothing, and commit.

    Returns ``[(conversation id, title, message count)]`` in the file's order. Raises
    ImportRejected (nothing stored; its sentence starts with ``filename`` when given) or
    a database error (rolled back, nothing stored).
    """
    conversations = read_upload(data, limits, upload_name(filename))
    try:
        ids = store(owner_id, conversations)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return [
        (new_id, parsed["title"], len(parsed["messages"]))
        for new_id, parsed in zip(ids, conversations, strict=True)
    ]
