"""The .zip archive of all of a visitor's conversations: written, and read back safely.

Layout::

    index.json                      {"format": "autochat.archive", "version": 1,
                                     "exported_at", "conversations": [{"file", "title",
                                     "messages"}]}
    conversations/0001-<slug>.json  one conversation document each (conversation-v1)

Pictures stay inside their conversation's document (base64 in ``attachments``), not as
separate members: each member still imports on its own, and the archive's deflate takes
back most of base64's third (its 64 letters carry 6 bits each), so separate binary
members would save about 1% of the download for a second way to read a file.

Reading trusts nothing in the file: the entry count, each entry's name (no absolute paths,
no "..", no backslashes: nothing is ever extracted to disk, but a name like that means the
archive was not made here) and the total uncompressed size are checked before anything is
decompressed, and every read is capped, so a zip bomb stops at ``Limits.max_bytes``.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any

from transfer.document import (
    ARCHIVE_FORMAT,
    VERSION,
    ImportRejected,
    Limits,
    check_format,
    check_schema,
    dumps,
    load_json,
    parse_document,
    parse_time,
    slug,
    timestamp,
)

INDEX = "index.json"
ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"


def archive_filename(when: datetime) -> str:
    """The archive's download name: ``autochat-conversations-2025-05-01.zip``."""
    return f"autochat-conversations-{when.astimezone(UTC):%Y-%m-%d}.zip"


def write_archive(documents: Iterable[dict], exported_at: datetime, target: Any) -> int:
    """Write the documents (one per conversation, in order) as a .zip into ``target``.

    ``target`` is a binary file object (a temporary file: a big archive is not held in
    memory twice). Returns how many conversations were written.
    """
    entries = []
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for number, document in enumerate(documents, start=1):
            conversation = document["conversation"]
            name = f"conversations/{number:04d}-{slug(conversation['title'])[:40]}.json"
            archive.writestr(name, dumps(document))
            entries.append(
                {
                    "file": name,
                    "title": conversation["title"],
                    "messages": len(conversation["messages"]),
                }
            )
        index = {
            "format": ARCHIVE_FORMAT,
            "version": VERSION,
            "exported_at": timestamp(exported_at),
            "conversations": entries,
        }
        archive.writestr(INDEX, json.dumps(index, ensure_ascii=False, indent=1))
    return len(entries)


def is_archive(data: bytes) -> bool:
    """Tell a .zip from a JSON document by its first bytes (not by the file's name)."""
    return data.startswith((ZIP_MAGIC, EMPTY_ZIP_MAGIC))


def _safe_name(name: str) -> bool:
    path = PurePosixPath(name)
    return (
        bool(name)
        and len(name) <= 255
        and "\\" not in name
        and "\x00" not in name
        and not name.startswith("/")
        and ":" not in path.parts[0]
        and ".." not in path.parts
        and name.isprintable()
    )


def _entries(archive: zipfile.ZipFile, limits: Limits) -> dict[str, zipfile.ZipInfo]:
    """The archive's files by name, after checking count, names and declared sizes."""
    infos = archive.infolist()
    if len(infos) > limits.max_members:
        raise ImportRejected(
            f"The archive holds {len(infos):,} entries; at most {limits.max_members:,} "
            f"are allowed ({limits.max_conversations:,} conversations).",
            status=413,
            kind="import_too_large",
        )
    files: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in infos:
        if not _safe_name(info.filename):
            raise ImportRejected(
                f"The archive holds an entry named “{info.filename[:80]}”, which is not a "
                "safe relative path (absolute, “..”, or a backslash). It was not made by "
                "this app's export; nothing was imported.",
                file=info.filename[:80],
            )
        if info.is_dir():
            continue
        if info.flag_bits & 0x1:
            raise ImportRejected(
                f"The archive's entry {info.filename} is encrypted; export again without a "
                "password.",
                file=info.filename,
            )
        if info.filename in files:
            raise ImportRejected(f"The archive holds {info.filename} twice.", file=info.filename)
        files[info.filename] = info
        total += info.file_size
    if total > limits.max_bytes:
        raise ImportRejected(
            f"The archive's content is {total / 1048576:,.1f} MB once uncompressed; at most "
            f"{limits.max_bytes / 1048576:,.1f} MB can be imported at once. Import its "
            "conversations in smaller parts.",
            status=413,
            kind="import_too_large",
        )
    return files


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> bytes:
    """Read one entry, never more than ``budget`` bytes whatever its header claims."""
    try:
        with archive.open(info) as member:
            data = member.read(budget + 1)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError) as exc:
        # A CRC mismatch, a method zipfile cannot decompress, a truncated entry.
        raise ImportRejected(
            f"The archive's entry {info.filename} cannot be read ({exc}).", file=info.filename
        ) from None
    except RuntimeError as exc:  # zipfile's word for an encrypted entry
        raise ImportRejected(
            f"The archive's entry {info.filename} cannot be read ({exc}).", file=info.filename
        ) from None
    if len(data) > budget or len(data) > info.file_size:
        # The header understated the size: a zip bomb, or a damaged file.
        raise ImportRejected(
            f"The archive's entry {info.filename} is larger than its header says, or than "
            f"the {budget / 1048576:,.1f} MB left to import.",
            status=413,
            kind="import_too_large",
            file=info.filename,
        )
    return data


def read_archive(data: bytes, limits: Limits) -> list[dict]:
    """Check an uploaded archive and return its conversations, checked (see parse_document).

    Reads ``index.json`` first and then exactly the files it lists, in its order. Raises
    ImportRejected (413 for too much content, 400 for anything else).
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        raise ImportRejected(
            "The file starts like a .zip archive but is not a readable one (damaged or cut short)."
        ) from None
    with archive:
        files = _entries(archive, limits)
        if INDEX not in files:
            raise ImportRejected(
                "The archive has no index.json: it was not made by this app's "
                "“Export all conversations”."
            )
        budget = limits.max_bytes
        raw = _read(archive, files[INDEX], budget)
        budget -= len(raw)
        index = load_json(raw, INDEX)
        check_format(index, INDEX, expected=ARCHIVE_FORMAT)
        check_schema(index, "archive-index-v1.json", INDEX)
        parse_time(index.get("exported_at"), ("exported_at",), INDEX)
        listed = [entry["file"] for entry in index["conversations"]]
        if len(listed) > limits.max_conversations:
            raise ImportRejected(
                f"The archive lists {len(listed):,} conversations; at most "
                f"{limits.max_conversations:,} can be imported at once.",
                status=413,
                kind="import_too_large",
            )
        conversations = []
        seen: set[str] = set()
        for name in listed:
            if name in seen:
                raise ImportRejected(f"index.json lists {name} twice.", file=INDEX)
            seen.add(name)
            if name not in files:
                raise ImportRejected(
                    f"index.json lists {name}, which is not in the archive.", file=INDEX
                )
            raw = _read(archive, files[name], budget)
            budget -= len(raw)
            conversations.append(parse_document(raw, name, limits))
    return conversations
