"""Share links: a read-only snapshot of a conversation at an unguessable address, listed and
revoked by its owner; and migration 0009 (shares, pairing codes, paired browsers) up and
down with data made by the previous schema. On PostgreSQL and on embedded SQLite."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from itsdangerous import URLSafeSerializer

from tests.support import (
    CANARY_KEY,
    SECRET,
    Visitor,
    conversation_id_from,
)
from tests.support.fake_openrouter import Reply

LINK = re.compile(r"http://localhost(/s/[A-Za-z0-9_-]{43})\b")


def owner_of(app, visitor: Visitor) -> str:
    """The owner id this visitor's cookie carries."""
    raw = visitor.client.get_cookie(app.config["OWNER_COOKIE_NAME"]).value
    return URLSafeSerializer(app.config["SECRET_KEY"], salt="owner-id").loads(raw)


def share(visitor: Visitor, cid: str) -> str:
    """Share a conversation with the form, as a visitor would; return the link's path."""
    response = visitor.post(f"/c/{cid}/share", source=f"/c/{cid}")
    assert response.status_code == 303
    assert re.fullmatch(r"/shares/\d+", response.headers["Location"])
    page = visitor.get(response.headers["Location"]).get_data(as_text=True)
    field = re.search(r'<input type="text" id="share-url"[^>]*>', page)
    assert field, "the new link is shown after the redirect, in a field"
    match = LINK.search(field.group(0))
    assert match and "readonly" in field.group(0)
    assert "shown only this once" in page
    assert f'href="/c/{cid}"' in page
    return match.group(1)


@pytest.fixture
def owner(each_db_app, fake) -> Visitor:
    """A visitor with the canary key saved and one answered conversation."""
    visitor = Visitor(each_db_app.test_client())
    assert visitor.save_key(CANARY_KEY).status_code == 303
    return visitor


def test_a_share_shows_the_snapshot_to_anyone_and_nothing_of_the_owner(each_db_app, owner, fake):
    fake.queue(Reply("It means the **catalytic converter** is below threshold."))
    fake.queue(Reply("A later answer."))
    cid = conversation_id_from(owner.send("What does P0420 mean?"))
    path = share(owner, cid)
    owner.send("A later question", cid)

    stranger = each_db_app.test_client()
    response = stranger.get(path)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "What does P0420 mean?" in page
    # The same sanitized Markdown as the chat page, and the fact card of the code.
    assert "<strong>catalytic converter</strong>" in page
    assert "P0420" in page
    # A snapshot: what came after the link was made is not in it.
    assert "A later question" not in page and "A later answer." not in page
    # Read-only and anonymous: no forms, no composer, no sidebar, no key, no owner.
    assert "<form" not in page and "<textarea" not in page
    assert 'id="conversations"' not in page and "Retry" not in page
    assert owner_of(each_db_app, owner) not in page
    assert CANARY_KEY[-12:] not in page and "API key" not in page
    assert cid not in page
    assert '<meta name="robots" content="noindex, nofollow">' in page
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    # Reading a share makes nobody an owner.
    assert stranger.get_cookie(each_db_app.config["OWNER_COOKIE_NAME"]) is None

    # The owner (key in session) reads the same page without their key on it either.
    own = owner.get(path).get_data(as_text=True)
    assert CANARY_KEY[-12:] not in own and "Using your API key" not in own


def test_the_snapshot_is_the_branch_on_screen_without_failures(each_db_app, owner, fake):
    from models import Message, db

    fake.queue(Reply("First answer."), Reply("Second answer."))
    cid = conversation_id_from(owner.send("First question"))
    owner.send("Second question", cid)
    with each_db_app.app_context():
        rows = db.session.scalars(
            db.select(Message).where(Message.conversation_id == cid).order_by(Message.id)
        ).all()
        # An earlier version of the first answer (off the branch) and a failed reply.
        first = rows[0]
        db.session.add(
            Message(
                conversation_id=cid,
                role="assistant",
                content="An older version",
                parent_id=first.id,
                reply_to_id=first.id,
                chosen=False,
                on_path=False,
            )
        )
        db.session.add(
            Message(
                conversation_id=cid,
                role="assistant",
                content="",
                status="error",
                error_kind="rate_limited",
                reply_to_id=rows[-1].id,
            )
        )
        db.session.commit()
    response = owner.client.post(
        f"/c/{cid}/share",
        headers={"Accept": "application/json", "X-CSRFToken": csrf_of(owner, f"/c/{cid}")},
    )
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"url", "id"} and isinstance(body["id"], int)
    page = each_db_app.test_client().get(body["url"]).get_data(as_text=True)
    shown = re.findall(r'<div[^>]*class="msg-body[^"]*"[^>]*>(?:<p>)?([^<]+)', page)
    assert shown == ["First question", "First answer.", "Second question", "Second answer."]
    assert "An older version" not in page and "Rate limited" not in page


def csrf_of(visitor: Visitor, path: str) -> str:
    page = visitor.get(path).get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)">', page).group(1)


def test_the_owner_lists_and_revokes_links_and_then_they_404(each_db_app, owner, fake):
    fake.queue(Reply("Check the oil."))
    cid = conversation_id_from(owner.send("Engine ticking when cold"))
    path = share(owner, cid)
    settings = owner.get("/settings").get_data(as_text=True)
    section = settings[settings.index('id="shares"') :]
    assert "Engine ticking when cold" in section
    assert path not in settings  # only a digest is kept: the address was shown once
    share_id = re.search(r'action="/shares/(\d+)/revoke"', section).group(1)

    # Another owner cannot revoke it (404, as if it did not exist).
    other = Visitor(each_db_app.test_client())
    assert other.post(f"/shares/{share_id}/revoke").status_code == 404
    assert each_db_app.test_client().get(path).status_code == 200

    revoked = owner.post(f"/shares/{share_id}/revoke", source="/settings")
    assert revoked.status_code == 303
    assert revoked.headers["Location"] == "/settings#shares"
    settings = owner.get("/settings").get_data(as_text=True)
    assert "is revoked" in settings and "You have no shared links." in settings
    gone = each_db_app.test_client().get(path)
    assert gone.status_code == 404
    assert "Engine ticking when cold" not in gone.get_data(as_text=True)
    assert owner.post(f"/shares/{share_id}/revoke", source="/settings").status_code == 404


def test_unknown_tokens_and_other_owners_conversations_404(each_db_app, owner, fake):
    fake.queue(Reply("Fine."))
    cid = conversation_id_from(owner.send("Is 5W-30 fine?"))
    client = each_db_app.test_client()
    assert client.get("/s/" + "A" * 43).status_code == 404
    assert client.get("/s/x").status_code == 404
    assert client.get("/s/" + "x" * 500).status_code == 404
    json_404 = client.get("/s/nothing", headers={"Accept": "application/json"})
    assert json_404.status_code == 404 and json_404.get_json()["error"]["kind"] == "not_found"
    other = Visitor(each_db_app.test_client())
    assert other.post(f"/c/{cid}/share").status_code == 404
    assert other.post(f"/c/{'0' * 32}/share").status_code == 404
    # Without the form token nothing is made.
    assert each_db_app.test_client().post(f"/c/{cid}/share").status_code == 400
    assert owner.client.post("/shares/1/revoke").status_code == 400


def test_deleting_the_conversation_deletes_its_shares(each_db_app, owner, fake):
    from models import Conversation, Share, db

    fake.queue(Reply("Yes."))
    cid = conversation_id_from(owner.send("Can I mix coolants?"))
    path = share(owner, cid)
    with each_db_app.app_context():
        db.session.execute(db.delete(Conversation).where(Conversation.id == cid))
        db.session.commit()
        assert db.session.scalar(db.select(db.func.count()).select_from(Share)) == 0
    assert each_db_app.test_client().get(path).status_code == 404


def test_the_share_action_is_in_the_conversations_actions_menu(each_db_app, owner, fake):
    fake.queue(Reply("Sure."))
    cid = conversation_id_from(owner.send("Tyre pressure?"))
    page = owner.get(f"/c/{cid}").get_data(as_text=True)
    menu = page[page.index('id="conv-actions"') :]
    assert f'action="/c/{cid}/share"' in menu
    assert "Share a read-only link" in menu


# ---------------------------------------------------------------- migration 0009


def test_migration_0009_up_and_down_keeps_existing_conversations(empty_database, tmp_path):
    from flask_migrate import downgrade, upgrade

    from app import create_app
    from models import db

    app = create_app(
        env={"SESSION_SECRET": SECRET, "DATABASE_URL": empty_database},
        instance_path=str(tmp_path / "instance"),
    )
    migrations = str(Path(__file__).resolve().parents[2] / "migrations")
    with app.app_context():
        upgrade(directory=migrations, revision="0008")
        with db.engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO conversation (id, owner_id, title, created_at, updated_at)"
                    " VALUES ('c' || :pad, 'owner-1', 'Old chat', :now, :now)"
                ),
                {"pad": "0" * 31, "now": "2026-11-30 10:00:00+00:00"},
            )
            connection.execute(
                sa.text(
                    "INSERT INTO message (conversation_id, role, content, status, created_at)"
                    " VALUES ('c' || :pad, 'user', 'Old question', 'ok', :now)"
                ),
                {"pad": "0" * 31, "now": "2026-11-30 10:00:00+00:00"},
            )

        # Up through 0009 to the newest revision: the models below are the newest schema's.
        upgrade(directory=migrations, revision="head")
        # Fresh connections, as the app has after `flask db upgrade` (a migration may have
        # switched SQLite's foreign keys off on the connection it ran on).
        db.engine.dispose()
        from models import Conversation, Share

        conversation = db.session.get(Conversation, "c" + "0" * 31)
        assert conversation.title == "Old chat"
        _, token = Share.publish(conversation)
        db.session.commit()
        found = Share.by_token(token)
        assert [m["content"] for m in found.messages] == ["Old question"]
        db.session.delete(conversation)
        db.session.commit()
        assert Share.by_token(token) is None  # went with its conversation
        db.session.remove()

        downgrade(directory=migrations, revision="0008")
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {"conversation", "message"} <= tables
        assert not tables & {"share", "pairing_code", "paired_browser"}
        upgrade(directory=migrations, revision="0009")  # and up again, cleanly
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {"share", "pairing_code", "paired_browser"} <= tables
        db.engine.dispose()


# ---------------------------------------------------------------- pictures (issue 14)

VISION = "openai/gpt-4o-mini"


def picture_files() -> list[tuple[bytes, str]]:
    import io

    from PIL import Image

    png, jpeg = io.BytesIO(), io.BytesIO()
    Image.new("RGBA", (64, 48), (0, 128, 255, 128)).save(png, "PNG")
    Image.new("RGB", (640, 480), (120, 90, 60)).save(jpeg, "JPEG", quality=90)
    return [(png.getvalue(), "puddle.png"), (jpeg.getvalue(), "tire <b>.jpg")]


@pytest.fixture
def seer(each_db_app, fake) -> Visitor:
    """A visitor who chose a model that sees pictures, with a question carrying two."""
    import io

    from tests.support import csrf_token

    visitor = Visitor(each_db_app.test_client())
    assert visitor.save_key(CANARY_KEY, model=VISION).status_code == 303
    fake.queue(Reply("Replace that tire."))
    response = visitor.client.post(
        "/chat",
        data={
            "message": "Is this bulge dangerous?",
            "csrf_token": csrf_token(visitor.client),
            "images": [(io.BytesIO(raw), name) for raw, name in picture_files()],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    visitor.pictured = conversation_id_from(response)
    return visitor


def attachments_of(app, cid: str) -> list[tuple[str, bytes, bytes]]:
    from models import Attachment, Message, db

    with app.app_context():
        rows = db.session.scalars(
            db.select(Attachment)
            .join(Message, Message.id == Attachment.message_id)
            .where(Message.conversation_id == cid)
            .order_by(Attachment.position)
            .options(db.undefer(Attachment.data), db.undefer(Attachment.thumbnail))
        ).all()
        return [(a.public_id, a.data, a.thumbnail) for a in rows]


def test_a_shared_page_shows_its_pictures_to_anyone_with_the_link(each_db_app, seer, fake):
    path = share(seer, seer.pictured)
    originals = attachments_of(each_db_app, seer.pictured)
    stranger = each_db_app.test_client()  # no cookies: not the owner, not anyone
    page = stranger.get(path).get_data(as_text=True)
    for number, name in ((1, "puddle.png"), (2, "tire &lt;b&gt;.jpg")):
        assert f'src="{path}/pictures/{number}/thumbnail"' in page
        assert f'href="{path}/pictures/{number}"' in page and f'alt="{name}"' in page
    assert 'width="320" height="240"' in page  # the thumbnail's size, known in advance
    assert "/attachments/" not in page
    for public_id, _, _ in originals:
        assert public_id not in page

    for number, (_, data, thumbnail) in enumerate(originals, start=1):
        full = stranger.get(f"{path}/pictures/{number}")
        assert full.status_code == 200 and full.data == data
        small = stranger.get(f"{path}/pictures/{number}/thumbnail")
        assert small.status_code == 200 and small.data == thumbnail
        for response in (full, small):
            headers = response.headers
            assert response.mimetype in ("image/png", "image/jpeg")
            assert headers["X-Content-Type-Options"] == "nosniff"
            assert headers["Content-Security-Policy"].startswith("default-src 'none'")
            assert headers["Cache-Control"] == "no-store"
            assert headers["X-Robots-Tag"] == "noindex, nofollow"
            assert headers["Referrer-Policy"] == "no-referrer"
    # Seeing a share's pictures makes nobody an owner.
    assert stranger.get_cookie(each_db_app.config["OWNER_COOKIE_NAME"]) is None
    for public_id, _, _ in originals:
        # The link opens the copies only: the owner's addresses stay the owner's.
        assert stranger.get(f"/attachments/{public_id}").status_code == 404
        assert stranger.get(f"/attachments/{public_id}/thumbnail").status_code == 404
    for missing in (f"{path}/pictures/0", f"{path}/pictures/3", f"{path}/pictures/x"):
        assert stranger.get(missing).status_code == 404
    assert stranger.get("/s/" + "A" * 43 + "/pictures/1").status_code == 404

    body = stranger.get(path, headers={"Accept": "application/json"}).get_json()
    question, answer = body["messages"]
    assert [p["url"] for p in question["pictures"]] == [f"{path}/pictures/1", f"{path}/pictures/2"]
    assert question["pictures"][1]["filename"] == "tire <b>.jpg" and "pictures" not in answer


def test_a_shared_picture_is_a_snapshot_and_goes_with_its_link(each_db_app, seer, fake):
    from models import Attachment, Conversation, SharePicture, db

    first = share(seer, seer.pictured)
    second = share(seer, seer.pictured)
    stranger = each_db_app.test_client()
    data = stranger.get(f"{first}/pictures/2").data
    # The owner's pictures going (their message edited away, say) leaves the copy.
    with each_db_app.app_context():
        db.session.execute(db.delete(Attachment))
        db.session.commit()
    assert stranger.get(f"{first}/pictures/2").data == data

    settings = seer.get("/settings").get_data(as_text=True)
    share_ids = re.findall(r'action="/shares/(\d+)/revoke"', settings)
    with each_db_app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(SharePicture)) == 4
    assert seer.post(f"/shares/{max(share_ids)}/revoke", source="/settings").status_code == 303
    for suffix in ("", "/pictures/1", "/pictures/2", "/pictures/1/thumbnail"):
        assert stranger.get(second + suffix).status_code == 404
    assert stranger.get(f"{first}/pictures/1").status_code == 200
    with each_db_app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(SharePicture)) == 2
        # Deleting the conversation deletes its shares and their pictures.
        db.session.execute(db.delete(Conversation).where(Conversation.id == seer.pictured))
        db.session.commit()
        assert db.session.scalar(db.select(db.func.count()).select_from(SharePicture)) == 0
    assert stranger.get(f"{first}/pictures/1").status_code == 404


def test_pictures_on_an_older_branch_are_not_shared(each_db_app, seer, fake):
    """Only the questions on screen lend their pictures, matched to the right message."""
    from models import Message, db

    with each_db_app.app_context():
        question = db.session.scalar(
            db.select(Message).where(
                Message.conversation_id == seer.pictured, Message.role == "user"
            )
        )
        question.on_path = False
        question.chosen = False
        db.session.add(
            Message(
                conversation_id=seer.pictured,
                role="user",
                content="Edited, without pictures",
                on_path=True,
            )
        )
        db.session.commit()
    path = share(seer, seer.pictured)
    page = each_db_app.test_client().get(path).get_data(as_text=True)
    assert "Edited, without pictures" in page and "/pictures/" not in page


def test_migration_0011_up_and_down_keeps_shares_and_pictures(empty_database, tmp_path):
    from flask_migrate import downgrade, upgrade

    from app import create_app
    from models import db

    app = create_app(
        env={"SESSION_SECRET": SECRET, "DATABASE_URL": empty_database},
        instance_path=str(tmp_path / "instance"),
    )
    migrations = str(Path(__file__).resolve().parents[2] / "migrations")
    pad, now = "0" * 31, "2026-12-01 10:00:00+00:00"
    with app.app_context():
        upgrade(directory=migrations, revision="0010")
        with db.engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO conversation (id, owner_id, title, created_at, updated_at)"
                    " VALUES ('c' || :pad, 'owner-1', 'Old chat', :now, :now)"
                ),
                {"pad": pad, "now": now},
            )
            message_id = connection.execute(
                sa.text(
                    "INSERT INTO message (conversation_id, role, content, status, created_at)"
                    " VALUES ('c' || :pad, 'user', 'Old question', 'ok', :now) RETURNING id"
                ),
                {"pad": pad, "now": now},
            ).scalar_one()
            connection.execute(
                sa.text(
                    "INSERT INTO attachment (public_id, message_id, position, filename,"
                    " content_type, width, height, byte_size, data, thumbnail_type, thumbnail,"
                    " created_at) VALUES (:pid, :mid, 0, 'a.jpg', 'image/jpeg', 2, 1, 3,"
                    " :data, 'image/jpeg', :data, :now)"
                ),
                {"pid": "a" * 32, "mid": message_id, "data": b"\xff\xd8\xff", "now": now},
            )
        # Up through 0011 to the newest revision: the models below are the newest schema's.
        upgrade(directory=migrations, revision="head")
        db.engine.dispose()
        from models import Conversation, Share, SharePicture

        conversation = db.session.get(Conversation, "c" + pad)
        share_row, token = Share.publish(conversation)
        db.session.flush()
        assert SharePicture.copy_for(share_row) == 1
        db.session.commit()
        found = SharePicture.find(Share.by_token(token).id, 1)
        assert (found.filename, found.data, found.item) == ("a.jpg", b"\xff\xd8\xff", 0)
        db.session.remove()

        downgrade(directory=migrations, revision="0010")
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {"share", "attachment"} <= tables and "share_picture" not in tables
        upgrade(directory=migrations, revision="0011")
        assert "share_picture" in set(sa.inspect(db.engine).get_table_names())
        db.engine.dispose()


def test_the_new_link_is_in_a_read_only_field_with_a_copy_button(each_db_app, owner, fake):
    cid = conversation_id_from(owner.send("What does P0420 mean?"))
    response = owner.post(f"/c/{cid}/share", source=f"/c/{cid}")
    made = response.headers["Location"]
    page = owner.get(made).get_data(as_text=True)
    assert 'id="share-copy" data-copy="share-url" hidden' in page  # shown by the script
    assert "/static/js/share.js" in page and 'role="status"' in page
    assert 'class="flash' not in page  # no longer a long line of text in a notice
    # Nobody else sees the page; another link made later takes its place.
    stranger = Visitor(each_db_app.test_client())
    assert stranger.get(made).status_code == 404
    owner.post(f"/c/{cid}/share", source=f"/c/{cid}")
    later = owner.get(made).get_data(as_text=True)
    assert not LINK.search(later) and "no longer shown" in later


def test_share_json_time_has_its_utc_offset(each_db_app, owner, fake):
    cid = conversation_id_from(owner.send("What does P0420 mean?"))
    path = share(owner, cid)
    body = each_db_app.test_client().get(path, headers={"Accept": "application/json"}).get_json()
    assert body["created_at"].endswith("+00:00"), body["created_at"]


def test_a_dead_link_is_worded_for_a_stranger(each_db_app, owner, fake):
    stranger = each_db_app.test_client()
    for path in ("/s/" + "x" * 43, "/s/nope"):
        page = stranger.get(path)
        assert page.status_code == 404
        text = page.get_data(as_text=True)
        assert "not yours" not in text and "revoked" in text
        assert page.headers["X-Robots-Tag"] == "noindex, nofollow"
        body = stranger.get(path, headers={"Accept": "application/json"})
        assert body.status_code == 404 and "not yours" not in body.get_json()["error"]["message"]


def test_a_deleted_conversations_link_is_404_at_once_and_undo_restores_it(each_db_app, owner, fake):
    from models import Conversation, db, utcnow

    cid = conversation_id_from(owner.send("What does P0420 mean?"))
    path = share(owner, cid)
    anyone = each_db_app.test_client()
    assert anyone.get(path).status_code == 200
    with each_db_app.app_context():
        db.session.get(Conversation, cid).deleted_at = utcnow()
        db.session.commit()
    assert anyone.get(path).status_code == 404
    assert anyone.get(path, headers={"Accept": "application/json"}).status_code == 404
    with each_db_app.app_context():
        db.session.get(Conversation, cid).deleted_at = None  # what Undo does
        db.session.commit()
    assert anyone.get(path).status_code == 200
