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
    dumps,
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
    doc["conversation"]["messages"][0]["voice_notes"] = [{"name": "dash.ogg"}]
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


# ---------------------------------------------------------------- pictures (issue 14)


def picture_bytes(fmt: str = "PNG", size=(64, 48)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    if fmt == "PNG":  # with transparency: stored as PNG, re-encoded losslessly
        Image.new("RGBA", size, (0, 128, 255, 128)).save(out, "PNG")
    else:
        Image.new("RGB", size, (200, 40, 40)).save(out, "JPEG", quality=85)
    return out.getvalue()


def stored_picture(position: int, filename: str, data: bytes, content_type: str, size):
    return SimpleNamespace(
        position=position,
        filename=filename,
        content_type=content_type,
        width=size[0],
        height=size[1],
        data=data,
    )


def with_pictures(*pictures) -> dict:
    """A document whose first (user) message carries these attachment entries."""
    question = row(40, content="Look at this")
    question.attachments = list(pictures)
    return document_of(CONVERSATION, [question, MESSAGES[2]], WHEN)


def entry(data: bytes, filename="tire.png", content_type="image/png", size=(64, 48)) -> dict:
    import base64

    return {
        "filename": filename,
        "content_type": content_type,
        "width": size[0],
        "height": size[1],
        "data": base64.b64encode(data).decode(),
    }


def rejected(doc: dict, limits: Limits | None = None) -> ImportRejected:
    from transfer.pictures import reprocess

    with pytest.raises(ImportRejected) as caught:
        parsed = parse_document(json.dumps(doc).encode(), limits=limits)
        reprocess([parsed], limits or Limits())
    return caught.value


def test_pictures_are_written_in_order_and_read_back_re_encoded():
    import base64

    from PIL import Image

    from transfer.pictures import reprocess

    png, jpeg = picture_bytes("PNG"), picture_bytes("JPEG", (120, 90))
    doc = with_pictures(
        stored_picture(1, "second.jpg", jpeg, "image/jpeg", (120, 90)),
        stored_picture(0, "first.png", png, "image/png", (64, 48)),
    )
    Draft202012Validator(json.loads((SCHEMAS / "conversation-v1.json").read_text())).validate(doc)
    question, answer = doc["conversation"]["messages"]
    assert "attachments" not in answer  # absent, not empty, where there are none
    assert [p["filename"] for p in question["attachments"]] == ["first.png", "second.jpg"]
    assert base64.b64decode(question["attachments"][0]["data"]) == png

    parsed = parse_document(json.dumps(doc).encode())
    reprocess([parsed], Limits())
    first, second = parsed["messages"][0]["attachments"]
    assert "raw" not in first  # only the re-encoded output is left to store
    assert (first["image"].content_type, first["image"].width, first["image"].height) == (
        "image/png",
        64,
        48,
    )
    assert first["image"].filename == "first.png"
    # PNG is lossless: the same pixels come back; a JPEG keeps its size and type.
    assert (
        Image.open(io.BytesIO(first["image"].data)).tobytes()
        == Image.open(io.BytesIO(png)).tobytes()
    )
    assert second["image"].content_type == "image/jpeg"
    assert Image.open(io.BytesIO(second["image"].data)).size == (120, 90)


def test_a_polyglot_picture_imports_as_its_picture_only():
    from tests.support.images import zip_payload
    from transfer.pictures import reprocess

    jpeg = picture_bytes("JPEG")
    doc = with_pictures(stored_picture(0, "x.jpg", jpeg + zip_payload(), "image/jpeg", (64, 48)))
    parsed = parse_document(json.dumps(doc).encode())
    reprocess([parsed], Limits())
    image = parsed["messages"][0]["attachments"][0]["image"]
    assert b"PK\x03\x04" not in image.data and b"shell.php" not in image.data


@pytest.mark.parametrize(
    ("change", "words", "status"),
    [
        (
            lambda p: p.update(data="not base64!"),
            "picture 1, “tire.png”): its data is not base64",
            400,
        ),
        (
            lambda p: p.update(content_type="image/jpeg"),
            "says it is image/jpeg, but its data is not one",
            400,
        ),
        (
            lambda p: p.update(content_type="image/gif"),
            "content_type (message 1, picture 2) must be one of image/jpeg, image/png",
            400,
        ),
        (
            lambda p: p.update(width=65),
            "says it is 65 × 48 pixels, but the picture is 64 × 48",
            400,
        ),
        (lambda p: p.update(filename=""), "filename (message 1, picture 2) is empty", 400),
        (lambda p: p.pop("data"), "(message 1, picture 2) “data” is missing", 400),
    ],
)
def test_a_bad_picture_is_named_by_message_and_number(change, words, status):
    pictures = [entry(picture_bytes()), entry(picture_bytes())]
    change(pictures[1])
    doc = with_pictures()
    doc["conversation"]["messages"][0]["attachments"] = pictures
    problem = rejected(doc)
    assert problem.status == status
    assert "conversation.messages[0].attachments[1]" in problem.message
    if "picture 1" in words:
        words = words.replace("picture 1", "picture 2")
    assert words in problem.message, problem.message


def test_bombs_and_files_that_only_claim_to_be_pictures_are_refused():
    from tests.support.images import jpeg_header_then_html, png_bomb

    doc = with_pictures()
    doc["conversation"]["messages"][0]["attachments"] = [entry(png_bomb(3000, 3000))]
    problem = rejected(doc, Limits(image_max_pixels=1_000_000))
    assert "(message 1, picture 1, “tire.png”) cannot be imported" in problem.message
    assert "megapixels" in problem.message and problem.status == 400

    doc["conversation"]["messages"][0]["attachments"] = [
        entry(jpeg_header_then_html(), "x.jpg", "image/jpeg")
    ]
    problem = rejected(doc)
    assert "picture 1, “x.jpg”) cannot be imported" in problem.message


def test_picture_counts_and_sizes_follow_the_servers_limits():
    doc = with_pictures()
    doc["conversation"]["messages"][0]["attachments"] = [entry(picture_bytes())] * 3
    problem = rejected(doc, Limits(max_images=2))
    assert "holds 3 pictures; a message can carry at most 2" in problem.message

    big = picture_bytes("JPEG", (400, 300))
    doc["conversation"]["messages"][0]["attachments"] = [
        entry(big, "big.jpg", "image/jpeg", (400, 300))
    ]
    problem = rejected(doc, Limits(max_image_bytes=len(big) // 2))
    assert problem.status == 413 and "big.jpg" in problem.message

    # All pictures together count against the import's size.
    doc["conversation"]["messages"][0]["attachments"] = [
        entry(big, "big.jpg", "image/jpeg", (400, 300))
    ] * 2
    problem = rejected(doc, Limits(max_bytes=len(big) + 10))
    assert problem.status == 413 and "pictures in the file add up to" in problem.message

    # A server that keeps smaller pictures scales an imported one down (not an error).
    from transfer.pictures import reprocess

    parsed = parse_document(json.dumps(doc).encode())
    reprocess([parsed], Limits(image_max_edge=200))
    assert parsed["messages"][0]["attachments"][0]["image"].width == 200


def test_only_a_question_carries_pictures():
    doc = with_pictures()
    doc["conversation"]["messages"][1]["attachments"] = [entry(picture_bytes())]
    problem = rejected(doc)
    assert "messages[1].attachments" in problem.message
    assert "only a question" in problem.message


def test_markdown_names_pictures_without_their_data():
    question = row(40, content="Look at this")
    question.attachments = [
        stored_picture(0, "tire.jpg", b"\xff\xd8\xffsecret-bytes", "image/jpeg", (1200, 900))
    ]
    text = markdown_of(CONVERSATION, [question], WHEN, "Automotive Chat Assistant")
    assert "Look at this\n\n[Picture: tire.jpg, 1200×900]\n" in text
    assert "secret" not in text and "base64" not in text


@pytest.mark.parametrize(
    "value", ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00", "1970-01-01T00:00:00Z"]
)
def test_times_out_of_range_are_refused_without_crashing(value):
    doc = json.loads(dumps(document_of(CONVERSATION, MESSAGES, WHEN)))
    doc["conversation"]["messages"][2]["created_at"] = value
    with pytest.raises(ImportRejected) as refused:
        parse_document(json.dumps(doc).encode(), "bad.json")
    assert refused.value.where == "conversation.messages[2].created_at"
    assert refused.value.message.startswith(
        "bad.json: conversation.messages[2].created_at (message 3)"
    )


def test_markdown_escapes_the_title_model_and_file_names():
    conversation = SimpleNamespace(**{**vars(CONVERSATION), "title": "<b>x</b> [a](javascript:1)"})
    picture = SimpleNamespace(filename="![i](http://e/x.png).jpg", width=1, height=1, position=0)
    question = row(1, content="**kept**", attachments=[picture])
    text = markdown_of(conversation, [question], WHEN, "Automotive Chat Assistant")
    assert text.startswith(r"# \<b\>x\</b\> \[a\](javascript:1)" + "\n")
    assert r"[Picture: \!\[i\](http://e/x.png).jpg, 1×1]" in text
    assert "**kept**" in text
