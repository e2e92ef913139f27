"""Export (Markdown, JSON, a .zip of all) and import, on PostgreSQL and on embedded SQLite.

Round trips keep every field, branch and time; each kind of bad file gets its own 400 or
413 naming the field and message at fault, and leaves the database as it was; other
owners get 404; no export carries the key, the owner id or the session.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

import pytest

from tests.support import CANARY_KEY, Visitor, conversation_id_from, csrf_token

VIN = "1HGCM82633A004352"
# Compared between the original and the copy: everything but ids and the conversation.
FIELDS = (
    "role",
    "content",
    "status",
    "error_kind",
    "error_detail",
    "model",
    "chosen",
    "on_path",
    "prompt_tokens",
    "completion_tokens",
    "cost",
    "context_dropped",
    "reasoning",
    "finish_reason",
    "facts",
    "tool_calls",
)
T0 = datetime(2025, 3, 14, 9, 26, 53, 589793, tzinfo=UTC)


# ---------------------------------------------------------------- helpers


def owner_of(app, visitor: Visitor) -> tuple[str, str]:
    """Make the visitor an owner (a first message with a VIN, answered offline); return
    (owner id, conversation id)."""
    from models import Conversation, db

    cid = conversation_id_from(visitor.send(f"My VIN is {VIN}, code P0420 on"))
    with app.app_context():
        return db.session.get(Conversation, cid).owner_id, cid


def add_rich_conversation(app, owner: str, title: str = "Ölwechsel — 2012 Civic 🚗") -> str:
    """A conversation with every kind of field: two branches (a regenerated answer and an
    edited question), fact cards, usage, reasoning, tool calls, a failure, unicode."""
    from models import Conversation, Message, db

    def add(**fields) -> int:
        message = Message(conversation_id=cid, **fields)
        db.session.add(message)
        db.session.flush()
        return message.id

    with app.app_context():
        conversation = Conversation(
            owner_id=owner,
            title=title,
            created_at=T0,
            updated_at=T0 + timedelta(hours=2),
            pinned_at=T0 + timedelta(hours=1),
        )
        db.session.add(conversation)
        db.session.flush()
        cid = conversation.id
        at = lambda minutes: T0 + timedelta(minutes=minutes)  # noqa: E731
        facts = [
            {
                "kind": "vin",
                "key": VIN,
                "title": f"VIN {VIN}: 2003 Honda Accord",
                "lines": ["Made in the USA", "Check digit 3 is right"],
                "warning": None,
            },
            {
                "kind": "red_flag",
                "key": "brakes",
                "title": "Brake failure",
                "lines": ["Pull over"],
                "warning": "Stop safely now.",
            },
        ]
        q1 = add(
            role="user", content=f"Bremsen quietschen, VIN {VIN} 🚗", facts=facts, created_at=at(0)
        )
        add(
            role="assistant",
            content="Old answer",
            parent_id=q1,
            reply_to_id=q1,
            chosen=False,
            on_path=False,
            model="a/old",
            prompt_tokens=10,
            completion_tokens=5,
            cost=0.000015,
            created_at=at(1),
        )
        a1 = add(
            role="assistant",
            content="Prüfe die **Beläge** — 制动片.",
            parent_id=q1,
            reply_to_id=q1,
            model="deepseek/deepseek-r1",
            prompt_tokens=1234,
            completion_tokens=321,
            cost=0.0012345678901234,
            context_dropped=2,
            reasoning="The user writes German; brakes squeal…",
            finish_reason="stop",
            tool_calls=[
                {
                    "name": "decode_vin",
                    "arguments": json.dumps({"vin": VIN}),
                    "result": {"make": "Honda", "year": 2003},
                },
            ],
            created_at=at(2),
        )
        add(
            role="user",
            content="First wording",
            parent_id=a1,
            chosen=False,
            on_path=False,
            created_at=at(3),
        )
        q2 = add(role="user", content="Second wording, edited", parent_id=a1, created_at=at(4))
        add(
            role="assistant",
            content="",
            parent_id=q2,
            reply_to_id=q2,
            status="error",
            error_kind="rate_limited",
            error_detail={
                "reason": "slow down",
                "status_code": 429,
                "retry_after": 7,
                "provider": None,
                "model": "x/y",
                "upstream": "OpenRouter",
            },
            model="x/y",
            created_at=at(5),
        )
        a2 = add(
            role="assistant",
            content="Cut short",
            parent_id=q2,
            reply_to_id=q2,
            finish_reason="length",
            status="ok",
            created_at=at(6),
        )
        add(role="user", content="stopped one", parent_id=a2, created_at=at(7))
        add(
            role="assistant",
            content="partial",
            status="stopped",
            parent_id=a2 + 1,
            reply_to_id=a2 + 1,
            created_at=at(8),
        )
        db.session.commit()
        return cid


def snapshot(app, cid: str) -> dict:
    """The conversation as comparable data: its fields, and each message's fields with
    its parent and reply_to as positions in the list (ids differ between copies)."""
    from models import Conversation, Message, as_utc, db

    with app.app_context():
        conversation = db.session.get(Conversation, cid)
        messages = list(
            db.session.scalars(
                db.select(Message).where(Message.conversation_id == cid).order_by(Message.id)
            )
        )
        position = {m.id: n for n, m in enumerate(messages)}
        when = lambda moment: moment and as_utc(moment)  # noqa: E731
        return {
            "title": conversation.title,
            "created_at": when(conversation.created_at),
            "updated_at": when(conversation.updated_at),
            "pinned_at": when(conversation.pinned_at),
            "owner": conversation.owner_id,
            "messages": [
                {
                    **{name: getattr(m, name) for name in FIELDS},
                    "created_at": when(m.created_at),
                    "parent": position.get(m.parent_id),
                    "reply_to": position.get(m.reply_to_id),
                }
                for m in messages
            ],
        }


def counts(app) -> tuple[int, int]:
    from models import Conversation, Message, db

    with app.app_context():
        return (
            db.session.scalar(db.select(db.func.count()).select_from(Conversation)),
            db.session.scalar(db.select(db.func.count()).select_from(Message)),
        )


def upload(visitor: Visitor, data: bytes, name: str = "export.json", *, json_reply=False):
    headers = {"Accept": "application/json"} if json_reply else {}
    return visitor.client.post(
        "/conversations/import",
        data={
            "csrf_token": csrf_token(visitor.client, "/settings"),
            "file": (io.BytesIO(data), name),
        },
        headers=headers,
        content_type="multipart/form-data",
    )


def exported(visitor: Visitor, cid: str) -> dict:
    response = visitor.get(f"/c/{cid}/export.json")
    assert response.status_code == 200
    return json.loads(response.data)


def zipped(members: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def document(**conversation) -> dict:
    """A small valid document; keyword arguments replace parts of its conversation."""
    body = {
        "title": "Brakes",
        "created_at": "2025-01-01T10:00:00+00:00",
        "updated_at": "2025-01-01T10:05:00+00:00",
        "pinned_at": None,
        "messages": [
            {
                "id": 1,
                "role": "user",
                "content": "Squeal?",
                "created_at": "2025-01-01T10:00:00+00:00",
            },
            {
                "id": 2,
                "parent": 1,
                "reply_to": 1,
                "role": "assistant",
                "content": "Pads.",
                "created_at": "2025-01-01T10:00:05+00:00",
            },
        ],
    }
    body.update(conversation)
    return {"format": "autochat.conversation", "version": 1, "conversation": body}


def with_message(index: int, **fields) -> dict:
    doc = document()
    doc["conversation"]["messages"][index].update(fields)
    return doc


# ---------------------------------------------------------------- round trips


def test_json_round_trip_keeps_branches_facts_usage_reasoning_tools_and_times(
    each_db_app, each_db_visitor
):
    owner, _ = owner_of(each_db_app, each_db_visitor)
    cid = add_rich_conversation(each_db_app, owner)
    response = each_db_visitor.get(f"/c/{cid}/export.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    doc = json.loads(response.data)
    assert doc["format"] == "autochat.conversation" and doc["version"] == 1
    assert len(doc["conversation"]["messages"]) == 9

    before = counts(each_db_app)
    reply = upload(each_db_visitor, response.data, json_reply=True)
    assert reply.status_code == 201, reply.get_data(as_text=True)
    (new_id,) = reply.get_json()["imported"]
    assert new_id != cid
    assert counts(each_db_app) == (before[0] + 1, before[1] + 9)

    original, copy = snapshot(each_db_app, cid), snapshot(each_db_app, new_id)
    assert copy == original  # the owner too: it belongs to the importer, who is the owner
    assert copy["messages"][1]["chosen"] is False and copy["messages"][2]["parent"] == 0
    assert copy["messages"][0]["facts"][1]["warning"] == "Stop safely now."
    assert copy["messages"][2]["cost"] == 0.0012345678901234
    assert copy["created_at"] == T0  # microseconds kept
    # The page shows the copy's branch on screen, as it showed the original's.
    page = each_db_visitor.get(f"/c/{new_id}").get_data(as_text=True)
    assert "Second wording, edited" in page and "First wording" not in page
    assert "制动片" in page


def test_importing_the_same_file_twice_makes_two_copies(each_db_app, each_db_visitor):
    _, cid = owner_of(each_db_app, each_db_visitor)
    data = each_db_visitor.get(f"/c/{cid}/export.json").data
    first = upload(each_db_visitor, data, json_reply=True).get_json()["imported"]
    second = upload(each_db_visitor, data, json_reply=True).get_json()["imported"]
    assert first != second
    assert snapshot(each_db_app, first[0]) == snapshot(each_db_app, second[0])


def test_archive_round_trip_of_several_conversations(each_db_app, each_db_visitor):
    owner, first = owner_of(each_db_app, each_db_visitor)
    rich = add_rich_conversation(each_db_app, owner)
    plain = add_rich_conversation(each_db_app, owner, title='Tires / 225/45R17 "winter"')
    response = each_db_visitor.client.get("/conversations/export")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert re.fullmatch(
        r"attachment; filename=autochat-conversations-\d{4}-\d\d-\d\d\.zip",
        response.headers["Content-Disposition"],
    )
    assert "no-store" in response.headers["Cache-Control"]
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        index = json.loads(archive.read("index.json"))
        names = archive.namelist()
    assert index["format"] == "autochat.archive" and index["version"] == 1
    files = [entry["file"] for entry in index["conversations"]]
    assert sorted(names) == sorted([*files, "index.json"])
    # Oldest first: the rich ones were started on T0, before the first message was sent.
    assert [entry["title"] for entry in index["conversations"]][-1] != "Tires"
    assert len(files) == 3 and all(
        re.fullmatch(r"conversations/\d{4}-[a-z0-9-]+\.json", f) for f in files
    )

    before = counts(each_db_app)
    reply = upload(each_db_visitor, response.data, "all.zip", json_reply=True)
    assert reply.status_code == 201, reply.get_data(as_text=True)
    imported = reply.get_json()["imported"]
    assert len(imported) == 3
    originals = {
        snapshot(each_db_app, c)["title"]: snapshot(each_db_app, c) for c in (first, rich, plain)
    }
    for new_id in imported:
        copy = snapshot(each_db_app, new_id)
        assert copy == originals[copy["title"]]
    assert counts(each_db_app)[0] == before[0] + 3


def test_the_form_lands_on_the_imported_conversation_with_a_notice(each_db_app, each_db_visitor):
    owner, _ = owner_of(each_db_app, each_db_visitor)
    cid = add_rich_conversation(each_db_app, owner)
    data = each_db_visitor.get(f"/c/{cid}/export.json").data
    response = upload(each_db_visitor, data)
    assert response.status_code == 303
    new_id = conversation_id_from(response)
    page = each_db_visitor.get(f"/c/{new_id}").get_data(as_text=True)
    assert "Imported “Ölwechsel — 2012 Civic 🚗” (9 messages)." in page
    assert "Second wording, edited" in page


def test_an_archive_lands_on_the_first_conversation(each_db_app, each_db_visitor):
    owner_of(each_db_app, each_db_visitor)
    archive = each_db_visitor.client.get("/conversations/export").data
    response = upload(each_db_visitor, archive, "all.zip")
    assert response.status_code == 303
    page = each_db_visitor.get(response.headers["Location"]).get_data(as_text=True)
    assert "Imported “My VIN is" in page  # one conversation: named


def test_an_empty_archive_exports_and_imports_nothing(each_db_app, each_db_visitor):
    archive = each_db_visitor.client.get("/conversations/export")
    assert archive.status_code == 200
    with zipfile.ZipFile(io.BytesIO(archive.data)) as opened:
        assert json.loads(opened.read("index.json"))["conversations"] == []
    reply = upload(each_db_visitor, archive.data, "all.zip", json_reply=True)
    assert reply.status_code == 201 and reply.get_json() == {"imported": []}


# ---------------------------------------------------------------- bad files

VALID = document()


def _bad_zip_traversal() -> bytes:
    doc = json.dumps(VALID)
    index = {
        "format": "autochat.archive",
        "version": 1,
        "conversations": [{"file": "conversations/0001-a.json"}],
    }
    return zipped(
        {
            "index.json": json.dumps(index),
            "conversations/0001-a.json": doc,
            "../../etc/evil.json": doc,
        }
    )


def _zip_listing_a_missing_file() -> bytes:
    index = {
        "format": "autochat.archive",
        "version": 1,
        "conversations": [{"file": "conversations/0001-a.json"}],
    }
    return zipped({"index.json": json.dumps(index)})


def _zip_with_a_bad_member() -> bytes:
    index = {
        "format": "autochat.archive",
        "version": 1,
        "conversations": [
            {"file": "conversations/0001-a.json"},
            {"file": "conversations/0002-b.json"},
        ],
    }
    bad = with_message(1, role="system")
    return zipped(
        {
            "index.json": json.dumps(index),
            "conversations/0001-a.json": json.dumps(VALID),
            "conversations/0002-b.json": json.dumps(bad),
        }
    )


BAD_FILES = [
    pytest.param(
        b"this is not json",
        400,
        "is not valid JSON: Expecting value at line 1, column 1",
        None,
        id="not-json",
    ),
    pytest.param(
        b'{"format": "autochat.conversation", "version": 1, "conversation": ',
        400,
        "is not valid JSON",
        None,
        id="truncated-json",
    ),
    pytest.param(
        b"\xff\xfe{\x00", 400, "is not UTF-8 text (byte 0xff at offset 0)", None, id="not-utf8"
    ),
    pytest.param(b"", 400, "export.json is empty", None, id="empty"),
    pytest.param(b"[1, 2]", 400, "holds a list, not a conversation export", None, id="a-list"),
    pytest.param(
        json.dumps({**VALID, "format": "chatgpt"}).encode(),
        400,
        "format is “chatgpt”; expected “autochat.conversation”",
        "format",
        id="wrong-format",
    ),
    pytest.param(
        json.dumps({**VALID, "version": 2}).encode(),
        400,
        "version “2” (made by a newer release) is not one this server reads",
        "version",
        id="newer-version",
    ),
    pytest.param(
        json.dumps({**VALID, "version": "1"}).encode(),
        400,
        "version “1” is not one this server reads",
        "version",
        id="version-as-text",
    ),
    pytest.param(
        json.dumps({k: v for k, v in VALID.items() if k != "conversation"}).encode(),
        400,
        "export.json: the document “conversation” is missing.",
        None,
        id="no-conversation",
    ),
    pytest.param(
        json.dumps(with_message(1, content=None)).encode(),
        400,
        "conversation.messages[1].content (message 2) must be text.",
        "conversation.messages[1].content",
        id="content-null",
    ),
    pytest.param(
        json.dumps(
            document(
                messages=[{"id": 1, "role": "user", "created_at": "2025-01-01T10:00:00+00:00"}]
            )
        ).encode(),
        400,
        "conversation.messages[0] (message 1) “content” is missing.",
        "conversation.messages[0]",
        id="missing-field",
    ),
    pytest.param(
        json.dumps(with_message(1, parent=7)).encode(),
        400,
        "conversation.messages[1].parent (message 2) 7 is not the id of an earlier message.",
        "conversation.messages[1].parent",
        id="bad-parent",
    ),
    pytest.param(
        json.dumps(with_message(0, parent=2)).encode(),
        400,
        "conversation.messages[0].parent (message 1) 2 is not the id of an earlier message.",
        "conversation.messages[0].parent",
        id="parent-later",
    ),
    pytest.param(
        json.dumps(with_message(1, id=1)).encode(),
        400,
        "conversation.messages[1].id (message 2) 1 is used by an earlier message.",
        "conversation.messages[1].id",
        id="duplicate-id",
    ),
    pytest.param(
        json.dumps(with_message(1, role="system")).encode(),
        400,
        "conversation.messages[1].role (message 2) must be one of user, assistant; got “system”.",
        "conversation.messages[1].role",
        id="wrong-role",
    ),
    pytest.param(
        json.dumps(with_message(1, status="deleted")).encode(),
        400,
        "conversation.messages[1].status (message 2) must be one of ok, error, offline, stopped",
        "conversation.messages[1].status",
        id="wrong-status",
    ),
    pytest.param(
        json.dumps(with_message(1, status="error", error_kind="on_fire")).encode(),
        400,
        "conversation.messages[1].error_kind (message 2) “on_fire” is not a failure kind.",
        "conversation.messages[1].error_kind",
        id="wrong-failure-kind",
    ),
    pytest.param(
        json.dumps(with_message(0, content="x" * 200_001)).encode(),
        400,
        "conversation.messages[0].content (message 1) is 200,001 characters long; "
        "at most 200,000 are allowed.",
        "conversation.messages[0].content",
        id="too-long-text",
    ),
    pytest.param(
        json.dumps(document(title="t" * 121)).encode(),
        400,
        "conversation.title is 121 characters long; at most 120",
        "conversation.title",
        id="too-long-title",
    ),
    pytest.param(
        json.dumps(document(title="   ")).encode(),
        400,
        "conversation.title: A conversation needs a name",
        "conversation.title",
        id="blank-title",
    ),
    pytest.param(
        json.dumps(with_message(1, created_at="yesterday")).encode(),
        400,
        "conversation.messages[1].created_at (message 2) “yesterday” is not a date and time",
        "conversation.messages[1].created_at",
        id="bad-time",
    ),
    pytest.param(
        json.dumps(with_message(1, created_at="2025-01-01T10:00:00")).encode(),
        400,
        "is not a date and time with a UTC offset",
        "conversation.messages[1].created_at",
        id="time-without-offset",
    ),
    pytest.param(
        json.dumps(with_message(1, prompt_tokens=2**40)).encode(),
        400,
        "conversation.messages[1].prompt_tokens (message 2) is 1099511627776; it must be at most",
        "conversation.messages[1].prompt_tokens",
        id="huge-number",
    ),
    pytest.param(
        b'{"format": "autochat.conversation", "version": 1, "conversation": {"title": NaN}}',
        400,
        "NaN is not a JSON number",
        None,
        id="nan",
    ),
    pytest.param(
        json.dumps(with_message(0, content="a\u0000b")).encode(),
        400,
        "conversation.messages[0].content (message 1) holds characters that are not text",
        "conversation.messages[0].content",
        id="nul",
    ),
    pytest.param(
        json.dumps({"format": "autochat.archive", "version": 1, "conversations": []}).encode(),
        400,
        "It is an archive's index: upload the whole .zip file instead.",
        "format",
        id="index-alone",
    ),
    pytest.param(
        _bad_zip_traversal(),
        400,
        "The archive holds an entry named “../../etc/evil.json”, which is not a safe relative path",
        None,
        id="zip-path-traversal",
    ),
    pytest.param(
        _zip_listing_a_missing_file(),
        400,
        "index.json lists conversations/0001-a.json, which is not in the archive.",
        None,
        id="zip-missing-member",
    ),
    pytest.param(
        zipped({"x.json": "{}"}), 400, "The archive has no index.json", None, id="zip-without-index"
    ),
    pytest.param(
        _zip_with_a_bad_member(),
        400,
        "conversations/0002-b.json: conversation.messages[1].role (message 2) must be one of",
        "conversation.messages[1].role",
        id="zip-one-bad-member",
    ),
    pytest.param(
        b"PK\x03\x04 and then nothing", 400, "is not a readable one", None, id="broken-zip"
    ),
]


@pytest.mark.parametrize(("data", "status", "message", "field"), BAD_FILES)
def test_a_bad_file_gets_a_specific_error_and_changes_nothing(
    each_db_app, each_db_visitor, data, status, message, field
):
    owner_of(each_db_app, each_db_visitor)
    before = counts(each_db_app)
    reply = upload(each_db_visitor, data, json_reply=True)
    assert reply.status_code == status, reply.get_data(as_text=True)
    error = reply.get_json()["error"]
    assert message in error["message"], error["message"]
    assert error.get("field") == field
    assert error["kind"] == "import_invalid"
    assert len(error["message"]) < 400  # never the whole offending value
    assert counts(each_db_app) == before


def test_a_bad_file_on_the_settings_form_shows_the_reason_beside_the_field(
    each_db_app, each_db_visitor
):
    owner_of(each_db_app, each_db_visitor)
    before = counts(each_db_app)
    response = upload(each_db_visitor, json.dumps(with_message(1, role="robot")).encode())
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert '<h2 id="transfer-heading">Your conversations</h2>' in page
    assert 'aria-invalid="true"' in page
    error = re.search(
        r'<p class="form-error" id="import-file-error" role="alert">([^<]+)</p>', page
    )
    assert error, page[-3000:]
    assert (
        "conversation.messages[1].role (message 2) must be one of user, assistant" in error.group(1)
    )
    assert counts(each_db_app) == before


def test_no_file_chosen_is_named(each_db_app, each_db_visitor):
    response = each_db_visitor.client.post(
        "/conversations/import",
        data={"csrf_token": csrf_token(each_db_visitor.client, "/settings")},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["message"].startswith("Choose a file to import")


def test_an_oversized_file_gets_413_and_changes_nothing(each_db_app, each_db_visitor):
    owner_of(each_db_app, each_db_visitor)
    each_db_app.config["MAX_IMPORT_BYTES"] = 100_000
    before = counts(each_db_app)
    doc = json.dumps(document(title="big", messages=[])).encode()
    padded = doc[:-1] + b" " * 300_000 + b"}"  # valid JSON, too big to accept
    reply = upload(each_db_visitor, padded, json_reply=True)
    assert reply.status_code == 413
    assert reply.get_json()["error"]["kind"] == "import_too_large"
    assert "at most 0.1 MB" in reply.get_json()["error"]["message"] or (
        "larger than the 0.1 MB" in reply.get_json()["error"]["message"]
    )
    # Just under the limit of the file, but over the app's own body limit (256 KiB): fine.
    each_db_app.config["MAX_IMPORT_BYTES"] = 400_000
    assert upload(each_db_visitor, padded, json_reply=True).status_code == 201
    assert counts(each_db_app)[0] == before[0] + 1


def test_a_zip_bomb_stops_at_the_limit_and_changes_nothing(each_db_app, each_db_visitor):
    owner_of(each_db_app, each_db_visitor)
    each_db_app.config["MAX_IMPORT_BYTES"] = 1_000_000
    index = {
        "format": "autochat.archive",
        "version": 1,
        "conversations": [{"file": "conversations/0001-a.json"}],
    }
    bomb = zipped({"index.json": json.dumps(index), "conversations/0001-a.json": b" " * 50_000_000})
    assert len(bomb) < 100_000  # small on the wire, 50 MB inside
    before = counts(each_db_app)
    reply = upload(each_db_visitor, bomb, "bomb.zip", json_reply=True)
    assert reply.status_code == 413
    assert (
        "once uncompressed; at most 1.0 MB can be imported" in reply.get_json()["error"]["message"]
    )
    assert counts(each_db_app) == before


def test_too_many_archive_entries_are_refused(each_db_app, each_db_visitor):
    members = {f"conversations/{n:04d}.json": "{}" for n in range(1011)}
    reply = upload(each_db_visitor, zipped(members), "many.zip", json_reply=True)
    assert reply.status_code == 413
    assert "The archive holds 1,011 entries; at most 1,010" in reply.get_json()["error"]["message"]


def test_a_database_failure_midway_stores_nothing(each_db_app, each_db_visitor, monkeypatch):
    import transfer.store

    owner_of(each_db_app, each_db_visitor)
    archive = each_db_visitor.client.get("/conversations/export").data
    before = counts(each_db_app)
    real = transfer.store.store

    def fail_after_rows(owner_id, conversations):
        from sqlalchemy.exc import OperationalError

        real(owner_id, conversations)  # every row flushed...
        raise OperationalError("INSERT", {}, Exception("the disk is full"))  # ...then it fails

    monkeypatch.setattr(transfer.store, "store", fail_after_rows)
    reply = upload(each_db_visitor, archive, "all.zip", json_reply=True)
    assert reply.status_code == 503
    assert counts(each_db_app) == before


# ---------------------------------------------------------------- owners, privacy, limits


@pytest.mark.parametrize("suffix", ["export.md", "export.json"])
def test_another_owners_conversation_is_404(each_db_app, each_db_visitor, suffix):
    _, cid = owner_of(each_db_app, each_db_visitor)
    stranger = Visitor(each_db_app.test_client())
    assert stranger.get(f"/c/{cid}/{suffix}").status_code == 404
    assert stranger.get(f"/c/{'0' * 32}/{suffix}").status_code == 404
    assert each_db_visitor.get(f"/c/{cid}/{suffix}").status_code == 200
    # The stranger's archive holds none of it.
    with zipfile.ZipFile(io.BytesIO(stranger.client.get("/conversations/export").data)) as archive:
        assert archive.namelist() == ["index.json"]


def test_exports_carry_no_key_owner_or_session(each_db_app, each_db_visitor):
    assert each_db_visitor.save_key(CANARY_KEY).status_code == 303
    owner, cid = owner_of(each_db_app, each_db_visitor)
    add_rich_conversation(each_db_app, owner)
    session_id = each_db_visitor.client.get_cookie(each_db_app.config["SESSION_COOKIE_NAME"]).value
    owner_cookie = each_db_visitor.client.get_cookie(each_db_app.config["OWNER_COOKIE_NAME"]).value
    bodies = [
        each_db_visitor.get(f"/c/{cid}/export.md").data,
        each_db_visitor.get(f"/c/{cid}/export.json").data,
    ]
    with zipfile.ZipFile(io.BytesIO(each_db_visitor.client.get("/conversations/export").data)) as z:
        bodies += [z.read(name) for name in z.namelist()]
    assert len(bodies) == 5
    for body in bodies:
        text = body.decode()
        for secret in (CANARY_KEY, CANARY_KEY[-12:], owner, session_id, owner_cookie, cid):
            assert secret not in text


def test_import_needs_a_csrf_token(each_db_app, each_db_visitor):
    before = counts(each_db_app)
    response = each_db_visitor.client.post(
        "/conversations/import",
        data={"file": (io.BytesIO(json.dumps(VALID).encode()), "a.json")},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["kind"] == "csrf_failed"
    assert counts(each_db_app) == before


def test_imports_are_rate_limited(make_app):
    app = make_app(RATE_LIMIT_IMPORT="2 per minute")
    visitor = Visitor(app.test_client())
    data = json.dumps(VALID).encode()
    assert [upload(visitor, data, json_reply=True).status_code for _ in range(3)] == [201, 201, 429]
    page = upload(visitor, data)
    assert page.status_code == 429 and "Retry-After" in page.headers


# ---------------------------------------------------------------- Markdown and names


def test_markdown_shows_the_branch_on_screen_with_facts_and_usage(each_db_app, each_db_visitor):
    owner, _ = owner_of(each_db_app, each_db_visitor)
    cid = add_rich_conversation(each_db_app, owner)
    response = each_db_visitor.get(f"/c/{cid}/export.md")
    assert response.status_code == 200
    assert response.mimetype == "text/markdown"
    text = response.get_data(as_text=True)
    assert text.startswith("# Ölwechsel — 2012 Civic 🚗\n")
    assert "- Started: 2025-03-14 09:26 UTC · last active: 2025-03-14 11:26 UTC" in text
    assert "- Model: `deepseek/deepseek-r1`, `x/y`" in text
    assert (
        "- Messages: 7, the branch shown on screen (2 other versions of messages left out; "
        "the JSON export keeps every branch)"
    ) in text
    assert "## You · 2025-03-14 09:26 UTC\n\nBremsen quietschen" in text
    assert "## Assistant · 2025-03-14 09:28 UTC · `deepseek/deepseek-r1`" in text
    assert f"- **VIN {VIN}: 2003 Honda Accord**: Made in the USA; Check digit 3 is right" in text
    assert "- **Brake failure** (Stop: Stop safely now.): Pull over" in text
    assert "> **Thinking:** The user writes German" in text
    assert "*Tools used: decode_vin.*" in text
    assert "*1,234 prompt + 321 completion tokens · $0.001235*" in text
    assert (
        "> **This reply failed:** OpenRouter is rate limiting requests (429: slow down). "
        "Retry in 7 s." in text
    )
    assert "> Cut off at the length limit" in text
    assert "> Stopped before the reply was finished." in text
    # Only the branch on screen.
    assert "Old answer" not in text and "First wording" not in text
    assert "Second wording, edited" in text


def test_download_names_are_an_ascii_slug_and_the_title_in_utf8(each_db_app, each_db_visitor):
    owner, _ = owner_of(each_db_app, each_db_visitor)
    cid = add_rich_conversation(each_db_app, owner, title='Öl/Filter: "Civic" 2012?')
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    for suffix, extension in (("export.md", "md"), ("export.json", "json")):
        header = each_db_visitor.get(f"/c/{cid}/{suffix}").headers["Content-Disposition"]
        plain = re.search(r'filename="([^"]+)"', header).group(1)
        assert plain == f"ol-filter-civic-2012-{today}.{extension}"
        unicode_name = unquote(re.search(r"filename\*=UTF-8''(\S+)", header).group(1))
        assert unicode_name == f"Öl-Filter-Civic-2012-{today}.{extension}"
        assert header.isascii()


def test_the_insert_then_link_path_keeps_branches_too(each_db_app, each_db_visitor, monkeypatch):
    """Databases that cannot hand out ids first get the rows inserted, then linked."""
    import transfer.store

    owner, _ = owner_of(each_db_app, each_db_visitor)
    cid = add_rich_conversation(each_db_app, owner)
    data = each_db_visitor.get(f"/c/{cid}/export.json").data
    monkeypatch.setattr(transfer.store, "_reserve_ids", lambda count: None)
    monkeypatch.setattr(transfer.store, "LINKS_PER_UPDATE", 4)  # several UPDATEs
    reply = upload(each_db_visitor, data, json_reply=True)
    (new_id,) = reply.get_json()["imported"]
    assert snapshot(each_db_app, new_id) == snapshot(each_db_app, cid)


# ---------------------------------------------------------------- pictures (issue 14)

VISION = "openai/gpt-4o-mini"


def picture_files() -> list[tuple[bytes, str]]:
    """What a visitor attaches: a PNG with transparency (kept as PNG) and a JPEG."""
    from PIL import Image

    png, jpeg = io.BytesIO(), io.BytesIO()
    Image.new("RGBA", (64, 48), (0, 128, 255, 128)).save(png, "PNG")
    photo = Image.new("RGB", (120, 90), (120, 90, 60))
    photo.paste((230, 230, 40), (0, 0, 60, 45))
    photo.save(jpeg, "JPEG", quality=90)
    return [(png.getvalue(), "puddle.png"), (jpeg.getvalue(), "tire.jpg")]


def send_pictures(visitor: Visitor, text: str, files) -> str:
    """Send a message with pictures as the chat form does; return the conversation id."""
    response = visitor.client.post(
        "/chat",
        data={
            "message": text,
            "csrf_token": csrf_token(visitor.client),
            "images": [(io.BytesIO(raw), name) for raw, name in files],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return conversation_id_from(response)


@pytest.fixture
def seer(each_db_visitor: Visitor, fake) -> Visitor:
    """A keyed visitor who chose a model that takes pictures, with a conversation whose
    question carries two pictures."""
    from tests.support.fake_openrouter import Reply

    assert each_db_visitor.save_key(CANARY_KEY, model=VISION).status_code == 303
    fake.queue(Reply("The bulge means the tire must be replaced."))
    each_db_visitor.pictured = send_pictures(
        each_db_visitor, "Is this bulge dangerous?", picture_files()
    )
    return each_db_visitor


def pictures_of(app, cid: str) -> list[tuple]:
    """(message position, position, public id, filename, type, width, height, bytes)."""
    from models import Attachment, Message, db

    with app.app_context():
        messages = list(
            db.session.scalars(
                db.select(Message.id).where(Message.conversation_id == cid).order_by(Message.id)
            )
        )
        rows = db.session.scalars(
            db.select(Attachment)
            .where(Attachment.message_id.in_(messages))
            .order_by(Attachment.message_id, Attachment.position)
            .options(db.undefer(Attachment.data))
        ).all()
        return [
            (
                messages.index(a.message_id),
                a.position,
                a.public_id,
                a.filename,
                a.content_type,
                a.width,
                a.height,
                a.data,
                a.byte_size,
            )
            for a in rows
        ]


def assert_same_pictures(original: list[tuple], copy: list[tuple]) -> None:
    from PIL import Image

    assert len(copy) == len(original) == 2
    for before, after in zip(original, copy, strict=True):
        # Same message, order, name, type and size in pixels; a new address.
        assert after[:2] == before[:2] and after[3:7] == before[3:7]
        assert after[2] != before[2]
        assert after[8] == len(after[7])
        old, new = Image.open(io.BytesIO(before[7])), Image.open(io.BytesIO(after[7]))
        assert new.size == old.size and new.format == old.format
        assert not new.getexif()
        if before[4] == "image/png":  # lossless: re-encoding gives the same pixels back
            assert new.tobytes() == old.tobytes()


def test_pictures_round_trip_through_json_and_the_archive(each_db_app, seer):
    cid = seer.pictured
    original = pictures_of(each_db_app, cid)
    assert [p[3] for p in original] == ["puddle.png", "tire.jpg"]
    doc = exported(seer, cid)
    (question,) = [m for m in doc["conversation"]["messages"] if m["role"] == "user"]
    described = [
        (p["filename"], p["content_type"], p["width"], p["height"]) for p in question["attachments"]
    ]
    assert described == [
        ("puddle.png", "image/png", 64, 48),
        ("tire.jpg", "image/jpeg", 120, 90),
    ]  # fmt: skip
    assert "public_id" not in json.dumps(doc) and original[0][2] not in json.dumps(doc)

    reply = upload(seer, json.dumps(doc).encode(), json_reply=True)
    assert reply.status_code == 201, reply.get_data(as_text=True)
    (copy_id,) = reply.get_json()["imported"]
    copy = pictures_of(each_db_app, copy_id)
    assert_same_pictures(original, copy)
    # The importer sees them on the page and at their new owner-only addresses.
    page = seer.get(f"/c/{copy_id}").get_data(as_text=True)
    assert f'src="/attachments/{copy[1][2]}/thumbnail"' in page and 'alt="tire.jpg"' in page
    assert seer.client.get(f"/attachments/{copy[1][2]}").data == copy[1][7]

    archive = seer.client.get("/conversations/export")
    assert archive.status_code == 200
    with zipfile.ZipFile(io.BytesIO(archive.data)) as opened:
        assert all(name.endswith(".json") for name in opened.namelist())
    reply = upload(seer, archive.data, "all.zip", json_reply=True)
    assert reply.status_code == 201, reply.get_data(as_text=True)
    for new_id in reply.get_json()["imported"]:
        assert_same_pictures(original, pictures_of(each_db_app, new_id))


def test_markdown_names_the_pictures(each_db_app, seer):
    text = seer.get(f"/c/{seer.pictured}/export.md").get_data(as_text=True)
    assert (
        "Is this bulge dangerous?\n\n[Picture: puddle.png, 64×48]\n\n[Picture: tire.jpg, 120×90]\n"
        in text
    )


def picture_count(app) -> int:
    from models import Attachment, db

    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(Attachment))


@pytest.mark.parametrize(
    ("bad", "status", "words"),
    [
        ("html", 400, "cannot be imported: tire.jpg could not be read"),
        ("bomb", 400, "megapixels"),
        ("base64", 400, "its data is not base64"),
        ("too_many", 400, "holds 5 pictures; a message can carry at most 4"),
    ],
)
def test_a_bad_picture_names_its_message_and_number_and_stores_nothing(
    each_db_app, seer, bad, status, words
):
    import base64

    from tests.support.images import jpeg_header_then_html, png_bomb

    doc = exported(seer, seer.pictured)
    question = doc["conversation"]["messages"][0]
    if bad == "html":
        question["attachments"][1]["data"] = base64.b64encode(jpeg_header_then_html()).decode()
    elif bad == "bomb":
        question["attachments"][1]["data"] = base64.b64encode(png_bomb(9000, 9000)).decode()
        question["attachments"][1]["content_type"] = "image/png"
    elif bad == "base64":
        question["attachments"][1]["data"] = "%%%"
    else:
        question["attachments"] = question["attachments"] * 3
        question["attachments"].pop()
    before = (counts(each_db_app), picture_count(each_db_app))
    reply = upload(seer, json.dumps(doc).encode(), json_reply=True)
    assert reply.status_code == status
    error = reply.get_json()["error"]
    assert words in error["message"], error["message"]
    if bad != "too_many":
        assert "(message 1, picture 2, “tire.jpg”)" in error["message"]
        assert error["field"].startswith("conversation.messages[0].attachments[1]")
    assert (counts(each_db_app), picture_count(each_db_app)) == before


def test_import_uses_the_servers_picture_limits(each_db_app, seer):
    doc = exported(seer, seer.pictured)
    each_db_app.config["MAX_IMAGES"] = 1
    reply = upload(seer, json.dumps(doc).encode(), json_reply=True)
    assert reply.status_code == 400
    assert "at most 1" in reply.get_json()["error"]["message"]
    each_db_app.config["MAX_IMAGES"] = 4
    each_db_app.config["IMAGE_MAX_EDGE"] = 100  # this server keeps smaller pictures
    reply = upload(seer, json.dumps(doc).encode(), json_reply=True)
    assert reply.status_code == 201
    (copy_id,) = reply.get_json()["imported"]
    assert [p[5:7] for p in pictures_of(each_db_app, copy_id)] == [(64, 48), (100, 75)]


# ---------------------------------------------------------------- new user's findings


FAR_FUTURE = "9999-12-31T23:59:59+00:00"


def _in_days(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


@pytest.mark.parametrize(
    ("change", "field", "where"),
    [
        (lambda d: d["conversation"].update(created_at=FAR_FUTURE), "conversation.created_at", ""),
        (lambda d: d["conversation"].update(updated_at=_in_days(2)), "conversation.updated_at", ""),
        (lambda d: d["conversation"].update(pinned_at=FAR_FUTURE), "conversation.pinned_at", ""),
        (
            lambda d: d["conversation"]["messages"][1].update(created_at=FAR_FUTURE),
            "conversation.messages[1].created_at",
            "(message 2)",
        ),
        (
            lambda d: d["conversation"]["messages"][0].update(
                created_at="0001-01-01T00:00:00+05:00"
            ),
            "conversation.messages[0].created_at",
            "(message 1)",
        ),
        (
            lambda d: d["conversation"].update(created_at="1999-12-31T23:59:59+00:00"),
            "conversation.created_at",
            "",
        ),
        (lambda d: d.update(exported_at="9999-12-31T23:59:59-05:00"), "exported_at", ""),
    ],
)
def test_a_time_out_of_range_is_refused_naming_field_and_message(
    each_db_app, each_db_visitor, change, field, where
):
    owner_of(each_db_app, each_db_visitor)
    before = counts(each_db_app)
    doc = document()
    change(doc)
    reply = upload(each_db_visitor, json.dumps(doc).encode(), "bad.json", json_reply=True)
    assert reply.status_code == 400, reply.get_data(as_text=True)
    error = reply.get_json()["error"]
    assert error["field"] == field
    assert field in error["message"] and where in error["message"]
    assert "future" in error["message"] or "before 2000-01-01" in error["message"]
    assert counts(each_db_app) == before


def test_a_time_within_a_day_ahead_and_a_reply_older_than_its_question_import(
    each_db_app, each_db_visitor
):
    owner_of(each_db_app, each_db_visitor)
    doc = document(updated_at=_in_days(0))  # a clock a little ahead is fine
    doc["conversation"]["messages"][1]["created_at"] = "2024-12-31T10:00:00+00:00"
    reply = upload(each_db_visitor, json.dumps(doc).encode(), json_reply=True)
    assert reply.status_code == 201, reply.get_data(as_text=True)


@pytest.mark.parametrize("title", ["\u200b", "\x07\x1b", "\u202e\u200b\u2060", " \u200b \t"])
def test_an_invisible_imported_title_is_refused(each_db_app, each_db_visitor, title):
    owner_of(each_db_app, each_db_visitor)
    before = counts(each_db_app)
    reply = upload(each_db_visitor, json.dumps(document(title=title)).encode(), json_reply=True)
    assert reply.status_code == 400, reply.get_data(as_text=True)
    error = reply.get_json()["error"]
    assert error["field"] == "conversation.title"
    assert "needs a name" in error["message"]
    assert counts(each_db_app) == before


def test_control_characters_do_not_survive_in_an_imported_title(each_db_app, each_db_visitor):
    from models import Conversation, db

    owner_of(each_db_app, each_db_visitor)
    title = "Oil\x07 \x1b[31mchange\u200b 👨\u200d🔧"
    reply = upload(each_db_visitor, json.dumps(document(title=title)).encode(), json_reply=True)
    assert reply.status_code == 201, reply.get_data(as_text=True)
    with each_db_app.app_context():
        stored = db.session.get(Conversation, reply.get_json()["imported"][0]).title
    assert stored == "Oil [31mchange 👨\u200d🔧"


def test_a_refused_file_on_the_form_is_named_focused_and_in_view(each_db_app, each_db_visitor):
    owner_of(each_db_app, each_db_visitor)
    response = upload(each_db_visitor, b"{not json", "bad.json")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    error = re.search(
        r'<p class="form-error" id="import-file-error" role="alert">([^<]+)</p>', page
    )
    assert error and error.group(1).startswith("bad.json is not valid JSON"), error
    field = re.search(r'<input type="file" id="import-file"[^>]*>', page).group(0)
    assert "autofocus" in field and "import-file-error" in field
    # The answer's address ends in #transfer: the browser scrolls to the form.
    assert 'action="/conversations/import#transfer"' in page
    # A file in an archive: the archive's name, then the member's.
    reply = upload(each_db_visitor, zipped({"x.json": "{}"}), "all.zip", json_reply=True)
    assert reply.get_json()["error"]["message"].startswith("all.zip: ")
    # Without an error the field does not grab the focus.
    settings = each_db_visitor.get("/settings").get_data(as_text=True)
    assert "autofocus" not in re.search(r'<input type="file"[^>]*>', settings).group(0)


def test_markdown_escapes_names_but_keeps_message_markdown(each_db_app, each_db_visitor):
    from models import Conversation, Message, db

    owner = owner_of(each_db_app, each_db_visitor)[0]
    title = "[click](javascript:alert(1)) ![img](http://evil/x.png) <a href=x> #5 *b* _i_ `c`"
    with each_db_app.app_context():
        conversation = Conversation(owner_id=owner, title=title)
        db.session.add(conversation)
        db.session.flush()
        db.session.add(Message(conversation_id=conversation.id, role="user", content="**Bold** q"))
        db.session.add(
            Message(
                conversation_id=conversation.id,
                role="assistant",
                content="[ok](https://example.com)",
                model="evil`](javascript:x)<b>",
                tool_calls=[{"name": "<img src=x>[t](javascript:y)"}],
            )
        )
        db.session.commit()
        cid = conversation.id
    text = each_db_visitor.get(f"/c/{cid}/export.md").get_data(as_text=True)
    heading = text.splitlines()[0]
    assert heading == (
        r"# \[click\](javascript:alert(1)) \!\[img\](http://evil/x.png) \<a href=x\> "
        r"\#5 \*b\* \_i\_ \`c\`"
    )
    assert "``evil`](javascript:x)<b>``" in text  # a code span: never a link or a tag
    assert r"*Tools used: \<img src=x\>\[t\](javascript:y).*" in text
    assert "**Bold** q" in text and "[ok](https://example.com)" in text
    assert "their text is as written, in its own Markdown" in text
