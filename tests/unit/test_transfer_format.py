"""The export format without an app: schemas, documents, checks, names, archives, Markdown."""

from __future__ import annotations

import io
import json
import struct
import zipfile
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from jsonschema import Draft202012Validator

from states import FailureKind, MessageStatus, Role
from transfer import (
    ImportRejected,
    Limits,
    document_of,
    download_names,
    markdown_of,
    parse_document,
    read_archive,
    write_archive,
)
from transfer.document import SCHEMAS, path_text, slug

WHEN = datetime(2025, 5, 1, 9, 30, tzinfo=UTC)


def row(id: int, role: str = "user", content: str = "text", **fields) -> SimpleNamespace:
    """A message row as models.Message has it."""
    values = {
        "id": id,
        "role": role,
        "content": content,
        "parent_id": None,
        "reply_to_id": None,
        "chosen": True,
        "on_path": True,
        "status": "ok",
        "error_kind": None,
        "error_detail": None,
        "model": None,
        "prompt_tokens": None,
        "completion_tokens": None,
        "cost": None,
        "context_dropped": None,
        "reasoning": None,
        "finish_reason": None,
        "facts": None,
        "tool_calls": None,
        # SQLite hands back naive UTC.
        "created_at": datetime(2025, 5, 1, 9, 0) + timedelta(seconds=id),
    }
    values.update(fields)
    return SimpleNamespace(**values)


CONVERSATION = SimpleNamespace(
    title="Brakes", created_at=WHEN, updated_at=WHEN, pinned_at=None, owner_id="secret-owner"
)
MESSAGES = [
    row(40, content="Squeal? 🚗"),
    row(41, "assistant", "Old", parent_id=40, reply_to_id=40, chosen=False, on_path=False),
    row(44, "assistant", "Pads.", parent_id=40, reply_to_id=40, model="m/x", cost=0.5),
]


def test_the_schemas_are_valid_and_name_the_states_of_states_py():
    for name in ("conversation-v1.json", "archive-index-v1.json"):
        Draft202012Validator.check_schema(json.loads((SCHEMAS / name).read_text()))
    schema = json.loads((SCHEMAS / "conversation-v1.json").read_text())
    message = schema["$defs"]["message"]["properties"]
    assert message["role"]["enum"] == [str(r) for r in Role]
    assert message["status"]["enum"] == [str(s) for s in MessageStatus]
    assert all(len(kind) <= 32 and kind.replace("_", "").isalpha() for kind in FailureKind)


def test_a_document_uses_local_ids_and_reads_back():
    doc = document_of(CONVERSATION, MESSAGES, WHEN)
    assert "secret-owner" not in json.dumps(doc)
    messages = doc["conversation"]["messages"]
    assert [(m["id"], m["parent"], m["reply_to"]) for m in messages] == [
        (1, None, None),
        (2, 1, 1),
        (3, 1, 1),
    ]
    assert messages[0]["created_at"] == "2025-05-01T09:00:40+00:00"
    parsed = parse_document(json.dumps(doc).encode())
    assert parsed["title"] == "Brakes" and parsed["created_at"] == WHEN
    assert [m["chosen"] for m in parsed["messages"]] == [True, False, True]
    assert parsed["messages"][2]["cost"] == 0.5


def test_a_parent_outside_the_file_is_written_as_none():
    lone = [row(7, "assistant", parent_id=3, reply_to_id=3)]
    (message,) = document_of(CONVERSATION, lone, WHEN)["conversation"]["messages"]
    assert message["parent"] is None and message["reply_to"] is None


def test_unknown_fields_are_ignored_so_version_1_can_grow():
    doc = document_of(CONVERSATION, MESSAGES, WHEN)
    doc["conversation"]["messages"][0]["attachments"] = [{"name": "dash.jpg"}]
    doc["generator"] = "a later release"
    assert len(parse_document(doc)["messages"]) == 3


def test_defaults_for_optional_fields():
    doc = {
        "format": "autochat.conversation",
        "version": 1,
        "conversation": {
            "title": " Brakes ",
            "created_at": "2025-05-01T09:30:00Z",
            "updated_at": "2025-05-01T11:30:00+02:00",
            "messages": [{"id": 5, "role": "user", "content": "", "created_at": WHEN.isoformat()}],
        },
    }
    parsed = parse_document(doc)
    assert parsed["title"] == "Brakes"
    assert parsed["updated_at"] == WHEN  # converted to UTC
    assert parsed["pinned_at"] is None
    (message,) = parsed["messages"]
    assert (message["status"], message["chosen"], message["on_path"]) == ("ok", True, True)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"status": "error"}, "must be “ok” for a user message"),
        ({"tool_calls": [{"arguments": "{}"}]}, "tool_calls[0] (message 1) “name” is missing"),
        (
            {"facts": [{"kind": "vin", "title": "x", "lines": "one"}]},
            "lines (message 1) must be a list",
        ),
        (
            {"error_detail": {"resets_at": 1e300}},
            "resets_at (message 1) is 1e+300; it must be at most",
        ),
        ({"content": "\ud800"}, "holds characters that are not text"),
    ],
)
def test_meaning_and_shape_errors_name_the_field(change, expected):
    doc = document_of(CONVERSATION, MESSAGES[:1], WHEN)
    doc["conversation"]["messages"][0].update(change)
    with pytest.raises(ImportRejected) as caught:
        parse_document(doc)
    assert expected in caught.value.message


def test_too_many_messages():
    doc = document_of(CONVERSATION, [row(n) for n in range(1, 10_002)], WHEN)
    with pytest.raises(ImportRejected, match=r"holds 10,001 items; at most 10,000"):
        parse_document(doc)


def test_deep_nesting_is_refused_not_a_crash():
    with pytest.raises(ImportRejected, match=r"nested too deeply|not valid JSON"):
        parse_document(b"[" * 100_000 + b"]" * 100_000)


def test_paths_read_like_code():
    assert path_text(("conversation", "messages", 3, "role")) == "conversation.messages[3].role"
    assert path_text(()) == "the document"


@pytest.mark.parametrize(
    ("title", "plain", "unicode_name"),
    [
        ("Öl/Filter: 2012?", "ol-filter-2012-2025-05-01.md", "Öl-Filter-2012-2025-05-01.md"),
        ("刹车", "conversation-2025-05-01.md", "刹车-2025-05-01.md"),
        ('../"x"\r\n', "x-2025-05-01.md", "x-2025-05-01.md"),
        ("", "conversation-2025-05-01.md", "conversation-2025-05-01.md"),
    ],
)
def test_download_names(title, plain, unicode_name):
    assert download_names(title, WHEN, "md") == (plain, unicode_name)


def test_slugs_are_short_ascii():
    assert len(slug("word " * 100)) <= 60 and slug("word " * 100).isascii()


def archive_bytes(documents) -> bytes:
    buffer = io.BytesIO()
    write_archive(documents, WHEN, buffer)
    return buffer.getvalue()


def test_an_archive_round_trips_without_a_database():
    docs = [document_of(CONVERSATION, MESSAGES, WHEN), document_of(CONVERSATION, [], WHEN)]
    parsed = read_archive(archive_bytes(docs), Limits())
    assert [len(p["messages"]) for p in parsed] == [3, 0]


def test_a_zip_whose_headers_understate_the_size_is_stopped():
    """A zip bomb that lies: headers say 100 bytes, the entry inflates to 5 MB."""
    index = {
        "format": "autochat.archive",
        "version": 1,
        "conversations": [{"file": "conversations/0001-a.json"}],
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("index.json", json.dumps(index))
        archive.writestr("conversations/0001-a.json", b" " * 5_000_000)
    data = bytearray(buffer.getvalue())
    # Rewrite the uncompressed size in the entry's local header and central directory.
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo("conversations/0001-a.json")
    struct.pack_into("<I", data, info.header_offset + 22, 100)
    central = data.rfind(b"PK\x01\x02")
    assert data[central + 46 : central + 46 + 25] == b"conversations/0001-a.json"
    struct.pack_into("<I", data, central + 24, 100)
    with pytest.raises(ImportRejected) as caught:
        read_archive(bytes(data), Limits(max_bytes=1_000_000))
    assert "conversations/0001-a.json" in caught.value.message


def test_markdown_shows_the_branch_on_screen_only():
    text = markdown_of(CONVERSATION, MESSAGES, WHEN, "Automotive Chat Assistant")
    assert text.startswith("# Brakes\n\n- Exported: 2025-05-01 09:30 UTC (Automotive Chat")
    assert "1 other version of messages left out" in text
    assert "Old" not in text and "Pads." in text and "Squeal? 🚗" in text
    assert "## Assistant · 2025-05-01 09:00 UTC · `m/x`" in text
    assert "- Usage: 0 tokens · $0.5000" in text
