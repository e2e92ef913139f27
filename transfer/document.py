"""One conversation as a version 1 document: written from rows, read back and checked.

Reading is strict and says exactly what is wrong: which file, which field, which message
(``ImportRejected``). It checks, in order: UTF-8, JSON, ``format`` and ``version``, text
every database accepts (no NUL, no lone surrogates), the JSON Schema shipped in
``schemas/conversation-v1.json`` (types, lengths, counts), and what a schema cannot say
(message ids unique, ``parent`` / ``reply_to`` naming an earlier message, states known to
``states.py``, timestamps with a UTC offset).
"""

from __future__ import annotations

import base64
import binascii
import codecs
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from itertools import islice
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from models import clean_title  # the one rule for names (rename, import)
from states import FailureKind, MessageStatus, Role

FORMAT = "autochat.conversation"
ARCHIVE_FORMAT = "autochat.archive"
VERSION = 1
SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"

# The fields of a message, in the order a file lists them (after id, parent, reply_to).
MESSAGE_FIELDS = (
    "chosen",
    "on_path",
    "role",
    "content",
    "created_at",
    "status",
    "error_kind",
    "error_detail",
    "model",
    "prompt_tokens",
    "completion_tokens",
    "cost",
    "context_dropped",
    "reasoning",
    "finish_reason",
    "facts",
    "tool_calls",
)


@dataclass(frozen=True)
class Limits:
    """How much one import may hold.

    ``max_bytes``: the uploaded file, and for an archive also the total size of its
    members once uncompressed (a zip bomb stops there, not in memory).
    ``max_conversations``: conversations in one archive. Messages per conversation are
    bounded by the schema (10,000), texts by the schema's lengths.
    """

    max_bytes: int = 20 * 1024 * 1024
    max_conversations: int = 1000
    # Pictures (issue 14): the same limits as an upload through the chat form (config's
    # MAX_IMAGES, MAX_IMAGE_BYTES, IMAGE_MAX_EDGE, IMAGE_MAX_PIXELS); every picture in a
    # file is decoded and re-encoded by ``images.process_image`` with them.
    max_images: int = 4
    max_image_bytes: int = 10 * 1024 * 1024
    image_max_edge: int = 1568
    image_max_pixels: int = 50_000_000

    @classmethod
    def from_config(cls, config: Any) -> Limits:
        """The limits an app's configuration (a mapping of the names above) sets."""
        return cls(
            max_bytes=config["MAX_IMPORT_BYTES"],
            max_images=config["MAX_IMAGES"],
            max_image_bytes=config["MAX_IMAGE_BYTES"],
            image_max_edge=config["IMAGE_MAX_EDGE"],
            image_max_pixels=config["IMAGE_MAX_PIXELS"],
        )

    @property
    def max_members(self) -> int:
        """Entries an archive may hold: the conversations, the index, a few folders."""
        return self.max_conversations + 10


@dataclass
class ImportRejected(Exception):
    """The upload cannot be imported; nothing was stored.

    ``message`` names the file, the field and the message at fault. ``status`` is 413 for
    a file (or an archive's content) over the size limit, else 400. ``where`` is the
    field's path (``conversation.messages[3].role``) when one field is to blame.
    """

    message: str
    status: int = 400
    kind: str = "import_invalid"
    where: str | None = None
    file: str | None = field(default=None)

    def __str__(self) -> str:
        return self.message


# ---------------------------------------------------------------- writing


def timestamp(moment: datetime | None) -> str | None:
    """Write a stored time as ISO 8601 in UTC (SQLite hands back naive UTC)."""
    if moment is None:
        return None
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return aware.isoformat()


def attachments_of(message: Any) -> list[dict[str, Any]]:
    """A message's pictures as the file lists them: name, type, size in pixels and the
    stored (already re-encoded, metadata-free) bytes in base64, in their order.

    Reads ``message.attachments`` (``models.Attachment`` rows loaded with their ``data``);
    a message without that attribute, or with none loaded, has none.
    """
    return [
        {
            "filename": picture.filename,
            "content_type": picture.content_type,
            "width": picture.width,
            "height": picture.height,
            "data": base64.b64encode(picture.data).decode("ascii"),
        }
        for picture in sorted(getattr(message, "attachments", None) or (), key=_position_of)
    ]


def _position_of(picture: Any) -> int:
    return getattr(picture, "position", 0) or 0


def document_of(conversation: Any, messages: Sequence[Any], exported_at: datetime) -> dict:
    """Describe a conversation and its messages (oldest first) as a version 1 document.

    ``conversation`` and ``messages`` are ``models.Conversation`` / ``models.Message``
    rows (or anything with the same attributes). The owner, the conversation's id and the
    idempotency keys are left out: a file says nothing about who wrote it. A message with
    pictures (``message.attachments`` loaded with their bytes) gains an ``attachments``
    list (see ``attachments_of``); one without has no such field, as before issue 14.
    """
    local: dict[int, int] = {}
    written = []
    for number, message in enumerate(messages, start=1):
        local[message.id] = number
        entry: dict[str, Any] = {
            "id": number,
            # A reference to a message later in the file cannot be read back; rows are
            # written in id order, so a parent is always earlier.
            "parent": local.get(message.parent_id),
            "reply_to": local.get(message.reply_to_id),
        }
        for name in MESSAGE_FIELDS:
            entry[name] = getattr(message, name)
        entry["created_at"] = timestamp(message.created_at)
        entry["status"] = str(message.status)
        entry["role"] = str(message.role)
        pictures = attachments_of(message)
        if pictures:
            entry["attachments"] = pictures
        written.append(entry)
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": timestamp(exported_at),
        "conversation": {
            "title": conversation.title,
            "created_at": timestamp(conversation.created_at),
            "updated_at": timestamp(conversation.updated_at),
            "pinned_at": timestamp(conversation.pinned_at),
            "messages": written,
        },
    }


def dumps(document: dict) -> bytes:
    """The document as UTF-8 JSON, indented for reading (and for diffs)."""
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


SLUG_CUT = 60


def slug(title: str) -> str:
    """An ASCII file-name part from a title: "Öl & Filter?" -> "ol-filter"."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return words[:SLUG_CUT].rstrip("-") or "conversation"


def download_names(title: str, when: datetime, extension: str) -> tuple[str, str]:
    """Two names for a download: ASCII (``filename``) and Unicode (``filename*``).

    The Unicode one keeps the title's letters but no path separators, quotes or control
    characters: "Öl/Filter" on 2025-05-01 -> ("ol-filter-2025-05-01.md",
    "Öl-Filter-2025-05-01.md").
    """
    day = (when.replace(tzinfo=UTC) if when.tzinfo is None else when).strftime("%Y-%m-%d")
    words = re.sub(r"[\W_]+", "-", unicodedata.normalize("NFC", title)).strip("-")
    unicode_part = words[:SLUG_CUT].rstrip("-") or "conversation"
    return f"{slug(title)}-{day}.{extension}", f"{unicode_part}-{day}.{extension}"


# ---------------------------------------------------------------- reading


def load_json(data: bytes, where: str) -> Any:
    """Decode UTF-8 JSON (a BOM is allowed), or say exactly why it is not.

    ``where`` names the file in the message ("The file", "conversations/0001-oil.json").
    NaN and Infinity are refused: they are not JSON and no column holds them.
    """
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    if not data.strip():
        raise ImportRejected(f"{where} is empty.", file=_file(where))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ImportRejected(
            f"{where} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset "
            f"{exc.start}). Upload a .json or .zip file exported from this app.",
            file=_file(where),
        ) from None

    def refuse_constant(name: str) -> Any:
        raise ValueError(f"{name} is not a JSON number")

    try:
        return json.loads(text, parse_constant=refuse_constant)
    except json.JSONDecodeError as exc:
        raise ImportRejected(
            f"{where} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.",
            file=_file(where),
        ) from None
    except ValueError as exc:
        raise ImportRejected(f"{where} is not valid JSON: {exc}.", file=_file(where)) from None
    except RecursionError:
        raise ImportRejected(f"{where} is nested too deeply to be an export.") from None


def _file(where: str) -> str | None:
    return None if where == "The file" else where


def path_text(path: Iterable[str | int]) -> str:
    """("conversation", "messages", 3, "role") -> "conversation.messages[3].role"."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "the document"


def _named(path: Sequence[str | int]) -> str:
    """The path, plus the message's number as a person counts (1 is the first)."""
    path = tuple(path)
    text = path_text(path)
    if len(path) >= 3 and path[:2] == ("conversation", "messages") and isinstance(path[2], int):
        if len(path) >= 5 and path[3] == "attachments" and isinstance(path[4], int):
            text += f" (message {path[2] + 1}, picture {path[4] + 1})"
        else:
            text += f" (message {path[2] + 1})"
    return text


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return f"“{text[:40]}…”" if len(text) > 40 else f"“{text}”"


TYPE_WORDS = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
    "object": "an object",
    "array": "a list",
}


def _problem(error: ValidationError) -> str:
    """Word one schema error; never quotes more than a few characters of the value."""
    value, limit = error.instance, error.validator_value
    match error.validator:
        case "required":
            missing = next((name for name in limit if name not in value), "?")
            return f"“{missing}” is missing"
        case "type":
            kinds = [limit] if isinstance(limit, str) else list(limit)
            return "must be " + " or ".join(TYPE_WORDS.get(k, k) for k in kinds)
        case "enum":
            return f"must be one of {', '.join(map(str, limit))}; got {_shown(value)}"
        case "const":
            return f"must be {json.dumps(limit)}"
        case "maxLength":
            return f"is {len(value):,} characters long; at most {limit:,} are allowed"
        case "minLength":
            return "is empty"
        case "maxItems":
            return f"holds {len(value):,} items; at most {limit:,} are allowed"
        case "minimum":
            return f"is {value}; it must be at least {limit}"
        case "maximum":
            return f"is {value}; it must be at most {limit}"
        case "pattern":
            return f"{_shown(value)} is not in the expected form"
        case "oneOf":
            return "has the wrong shape"
    return error.message[:200]


def _inner(error: ValidationError) -> ValidationError:
    """For ``x or null`` (oneOf), the reason the non-null branch failed, deepest first."""
    while error.validator == "oneOf" and error.context:
        inner = [e for e in error.context if e.validator != "type"] or list(error.context)
        error = min(inner, key=lambda e: -len(e.absolute_path))
    return error


def _position(error: ValidationError) -> tuple:
    # Report the first message at fault, and within it the outermost field.
    return tuple((0, p) if isinstance(p, int) else (1, "") for p in error.absolute_path)


@lru_cache(maxsize=2)
def validator(name: str) -> Draft202012Validator:
    """The compiled validator of a schema in schemas/ (checked once per process)."""
    schema = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def check_schema(document: Any, schema: str, where: str) -> None:
    """Raise ImportRejected for the first schema error (the earliest message's, outermost)."""
    errors = list(islice(validator(schema).iter_errors(document), 1000))
    if not errors:
        return
    first = _inner(min(errors, key=_position))
    path = list(first.absolute_path)
    raise ImportRejected(
        f"{where}: {_named(path)} {_problem(first)}.",
        where=path_text(path) if path else None,
        file=_file(where),
    )


def _strings(value: Any, path: tuple) -> Iterator[tuple[tuple, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield path, key
            yield from _strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index))


def check_text(document: Any, where: str) -> None:
    """Refuse NUL and lone surrogates anywhere: no export holds them, PostgreSQL refuses them."""
    for path, text in _strings(document, ()):
        bad = "\x00" in text
        if not bad:
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                bad = True
        if bad:
            raise ImportRejected(
                f"{where}: {_named(path)} holds characters that are not text "
                "(a NUL or a lone surrogate).",
                where=path_text(path),
                file=_file(where),
            )


def check_format(document: Any, where: str, expected: str = FORMAT) -> None:
    """Refuse a document that is not ``expected`` at version 1, saying what it is instead."""
    if not isinstance(document, dict):
        kind = TYPE_WORDS.get(type(document).__name__, type(document).__name__)
        kind = {"list": "a list", "str": "text", "int": "a number", "float": "a number"}.get(
            type(document).__name__, kind
        )
        raise ImportRejected(
            f"{where} holds {kind}, not a conversation export (a JSON object with "
            f'"format": "{expected}").',
            file=_file(where),
        )
    found = document.get("format")
    if found != expected:
        if found == ARCHIVE_FORMAT:
            hint = " It is an archive's index: upload the whole .zip file instead."
        elif found == FORMAT:
            hint = " It is a single conversation, not an archive index."
        else:
            hint = ""
        shown = "missing" if found is None else _shown(found)
        raise ImportRejected(
            f"{where}: format is {shown}; expected “{expected}”.{hint}",
            where="format",
            file=_file(where),
        )
    version = document.get("version")
    if version != VERSION or isinstance(version, bool):
        newer = isinstance(version, int) and not isinstance(version, bool) and version > VERSION
        reason = " (made by a newer release)" if newer else ""
        shown = "missing" if version is None else _shown(version)
        raise ImportRejected(
            f"{where}: version {shown}{reason} is not one this server reads; it reads "
            f"version {VERSION}.",
            where="version",
            file=_file(where),
        )


# No export holds a time before this app's era or after now: a file that does is damaged
# or forged (9999-12-31 would head "Today" above every new chat for ever).
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=1)


def parse_time(value: Any, path: tuple, where: str, now: datetime | None = None) -> datetime | None:
    """An ISO 8601 time with its UTC offset, as aware UTC (None stays None).

    Refused: no offset, before 2000-01-01, or later than ``now`` (default: the clock)
    plus a day (room for a clock that is a little ahead).
    """
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ImportRejected(
            f"{where}: {_named(path)} {_shown(value)} is not a date and time with a UTC "
            "offset (like 2025-05-01T09:30:00+00:00).",
            where=path_text(path),
            file=_file(where),
        )
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01 east of UTC, 9999-12-31 west of it
        moment = (
            (EARLIEST - FUTURE_SLACK) if moment.year < 2000 else datetime.max.replace(tzinfo=UTC)
        )
    if moment < EARLIEST:
        raise _reject(
            where, path, f"{_shown(value)} is before 2000-01-01; no export holds such a time"
        )
    latest = (now or datetime.now(UTC)) + FUTURE_SLACK
    if moment > latest:
        raise _reject(where, path, f"{_shown(value)} is in the future; no export holds such a time")
    return moment


def _reject(where: str, path: tuple, problem: str) -> ImportRejected:
    return ImportRejected(
        f"{where}: {_named(path)} {problem}.", where=path_text(path), file=_file(where)
    )


PICTURE_SIGNATURES = {"image/jpeg": (b"\xff\xd8\xff",), "image/png": (b"\x89PNG\r\n\x1a\n",)}


def picture_name(path: Sequence[str | int], filename: str) -> str:
    """How an error names one picture: its field, message and number, and file name:
    ``conversation.messages[2].attachments[0] (message 3, picture 1, “tire.jpg”)``."""
    message, picture = path[2], path[4]
    return f"{path_text(path)} (message {message + 1}, picture {picture + 1}, {_shown(filename)})"


def _pictures(
    listed: list[dict], role: str, path: tuple, where: str, limits: Limits
) -> list[dict[str, Any]]:
    """Check a message's ``attachments`` (shape already checked by the schema) and decode
    them. The bytes are not trusted yet: ``transfer.pictures.reprocess`` decodes and
    re-encodes each before anything is stored."""
    if not listed:
        return []
    if role != Role.USER:
        raise _reject(
            where,
            (*path, "attachments"),
            "holds pictures, but only a question (a user message) can carry pictures",
        )
    if len(listed) > limits.max_images:
        raise _reject(
            where,
            (*path, "attachments"),
            f"holds {len(listed)} pictures; a message can carry at most {limits.max_images}",
        )
    pictures = []
    for number, picture in enumerate(listed):
        at = (*path, "attachments", number)
        name = picture_name(at, picture["filename"])
        text = picture["data"]
        # base64 of at most max_image_bytes: refused before it is decoded.
        if len(text) > (limits.max_image_bytes + 2) // 3 * 4 + 4:
            raise ImportRejected(
                f"{where}: {name} is more than the {limits.max_image_bytes / 1048576:g} MB "
                "a picture may be.",
                status=413,
                kind="import_too_large",
                where=path_text(at),
                file=_file(where),
            )
        try:
            raw = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise ImportRejected(
                f"{where}: {name}: its data is not base64.",
                where=path_text((*at, "data")),
                file=_file(where),
            ) from None
        declared = picture["content_type"]
        if not raw.startswith(PICTURE_SIGNATURES[declared]):
            raise ImportRejected(
                f"{where}: {name} says it is {declared}, but its data is not one.",
                where=path_text((*at, "data")),
                file=_file(where),
            )
        pictures.append(
            {
                "filename": picture["filename"],
                "content_type": declared,
                "width": picture["width"],
                "height": picture["height"],
                "raw": raw,
                "where": where,
                "path": at,
            }
        )
    return pictures


def check_meaning(document: dict, where: str, limits: Limits | None = None) -> dict:
    """What the schema cannot say; returns the conversation with times parsed.

    The result: ``{"title", "created_at", "updated_at", "pinned_at" (datetimes),
    "messages": [{... every field, "id", "parent", "reply_to" as local ids,
    "created_at" a datetime, "attachments": [{"filename", "content_type", "width",
    "height", "raw" (the decoded bytes, not yet trusted), "where", "path"}]}]}``,
    messages in file order.
    """
    limits = limits or Limits()
    conversation = document["conversation"]
    base = ("conversation",)
    parse_time(document.get("exported_at"), ("exported_at",), where)
    try:
        title = clean_title(conversation["title"])
    except ValueError as problem:
        raise ImportRejected(
            f"{where}: {_named((*base, 'title'))}: {problem}",
            where=path_text((*base, "title")),
            file=_file(where),
        ) from None
    parsed = {
        name: parse_time(conversation.get(name), (*base, name), where)
        for name in ("created_at", "updated_at", "pinned_at")
    }
    seen: set[int] = set()
    messages = []
    for index, message in enumerate(conversation["messages"]):
        path = (*base, "messages", index)
        number = message["id"]
        if number in seen:
            raise _reject(where, (*path, "id"), f"{number} is used by an earlier message")
        for link in ("parent", "reply_to"):
            target = message.get(link)
            if target is not None and target not in seen:
                raise _reject(where, (*path, link), f"{target} is not the id of an earlier message")
        seen.add(number)
        role = message["role"]
        status = message.get("status", MessageStatus.OK)
        if role not in set(Role):
            raise _reject(where, (*path, "role"), f"{_shown(role)} is not a role")
        if status not in set(MessageStatus):
            raise _reject(where, (*path, "status"), f"{_shown(status)} is not a status")
        if role == Role.USER and status != MessageStatus.OK:
            raise _reject(where, (*path, "status"), "must be “ok” for a user message")
        kind = message.get("error_kind")
        if kind is not None and kind not in set(FailureKind):
            raise _reject(where, (*path, "error_kind"), f"{_shown(kind)} is not a failure kind")
        pictures = _pictures(message.get("attachments") or [], role, path, where, limits)
        row = {name: message.get(name) for name in MESSAGE_FIELDS}
        row.update(
            attachments=pictures,
            id=number,
            parent=message.get("parent"),
            reply_to=message.get("reply_to"),
            status=status,
            chosen=message.get("chosen", True),
            on_path=message.get("on_path", True),
            created_at=parse_time(message["created_at"], (*path, "created_at"), where),
        )
        messages.append(row)
    return {"title": title, **parsed, "messages": messages}


def parse_document(
    data: bytes | Any, where: str = "The file", limits: Limits | None = None
) -> dict:
    """Read one conversation document (bytes, or JSON already loaded) and check all of it.

    Returns the checked conversation (see ``check_meaning``); raises ImportRejected. Its
    pictures are decoded from base64 but not yet re-encoded: ``transfer.read_upload``
    does that (``transfer.pictures.reprocess``) before anything is stored.
    """
    document = load_json(data, where) if isinstance(data, bytes | bytearray) else data
    check_format(document, where)
    check_text(document, where)
    check_schema(document, "conversation-v1.json", where)
    return check_meaning(document, where, limits)
