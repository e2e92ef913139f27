"""Pictures sent with a message: stored re-encoded without EXIF beside the message, served to
their owner only, sent upstream as image parts only to models that take them, counted in
the context budget, refused with a reason that keeps the text. On both databases."""

from __future__ import annotations

import base64
import io
import re

import pytest
from PIL import Image

from tests.support import CANARY_KEY, Visitor, conversation_id_from, csrf_token
from tests.support.fake_openrouter import Reply, picture_parts

VISION = "openai/gpt-4o-mini"
BLIND = "deepseek/deepseek-chat-v3-0324:free"


def phone_photo(width: int = 1200, height: int = 900, *, gps: bool = True) -> bytes:
    """A JPEG as a phone takes it: EXIF with GPS coordinates and an orientation tag."""
    image = Image.new("RGB", (width, height), (120, 90, 60))
    for x in range(0, width, 40):
        image.paste((200, 200, 40), (x, 0, x + 10, height))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
    exif[0x010F] = "PhoneMaker"
    if gps:
        exif[0x8825] = {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


def png_bytes(size=(64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (0, 128, 255, 128)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def seer(each_db_visitor: Visitor) -> Visitor:
    """A keyed visitor who chose a model that takes pictures."""
    assert each_db_visitor.save_key(CANARY_KEY, model=VISION).status_code == 303
    return each_db_visitor


def send_pictures(visitor: Visitor, text: str, files, conversation_id=None, headers=None):
    data = {"message": text, "csrf_token": csrf_token(visitor.client)}
    if conversation_id:
        data["conversation_id"] = conversation_id
    data["images"] = [(io.BytesIO(raw), name) for raw, name in files]
    return visitor.client.post(
        "/chat", data=data, content_type="multipart/form-data", headers=headers or {}
    )


def stored(app, cid):
    from models import Attachment, Message, db

    with app.app_context():
        return db.session.scalars(
            db.select(Attachment)
            .join(Message, Message.id == Attachment.message_id)
            .where(Message.conversation_id == cid)
            .order_by(Attachment.position)
            .options(db.undefer(Attachment.data), db.undefer(Attachment.thumbnail))
        ).all()


def test_a_photo_is_stored_without_its_gps_and_sent_to_a_vision_model(seer, fake, each_db_app):
    fake.queue(Reply("That sidewall bulge means the tire must be replaced."))
    response = send_pictures(seer, "Is this bulge dangerous?", [(phone_photo(), "tire.jpg")])
    assert response.status_code == 303
    cid = conversation_id_from(response)
    (picture,) = stored(each_db_app, cid)
    # EXIF (GPS, maker) is gone from the stored bytes, and the orientation was applied.
    assert b"Exif" not in picture.data and b"PhoneMaker" not in picture.data
    image = Image.open(io.BytesIO(picture.data))
    assert not image.getexif() and (image.width, image.height) == (900, 1200)
    assert picture.filename == "tire.jpg" and picture.content_type == "image/jpeg"
    # The upstream got the text and the very bytes stored, as an image part.
    (part,) = picture_parts(fake.chat_requests[-1].body)
    url = part["image_url"]["url"]
    assert url.startswith("data:image/jpeg;base64,")
    assert base64.b64decode(url.split(",", 1)[1]) == picture.data
    page = seer.get(f"/c/{cid}").get_data(as_text=True)
    assert f'src="/attachments/{picture.public_id}/thumbnail"' in page
    assert 'alt="tire.jpg"' in page and f'href="/attachments/{picture.public_id}"' in page


def test_pictures_are_served_to_their_owner_only_with_strict_headers(seer, fake, each_db_app):
    fake.queue(Reply("Looks like coolant."))
    cid = conversation_id_from(
        send_pictures(seer, "What is leaking?", [(png_bytes(), "puddle.png")])
    )
    (picture,) = stored(each_db_app, cid)
    response = seer.client.get(f"/attachments/{picture.public_id}")
    assert response.status_code == 200 and response.data == picture.data
    assert response.mimetype == "image/png"
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert headers["Cache-Control"].startswith("private")
    thumbnail = seer.client.get(f"/attachments/{picture.public_id}/thumbnail")
    assert thumbnail.status_code == 200 and max(Image.open(io.BytesIO(thumbnail.data)).size) <= 320
    stranger = Visitor(each_db_app.test_client())
    for path in (
        f"/attachments/{picture.public_id}",
        f"/attachments/{picture.public_id}/thumbnail",
    ):
        assert stranger.client.get(path).status_code == 404
    for bad in ("x", "0" * 32, "../etc/passwd", picture.public_id.upper()):
        assert seer.client.get(f"/attachments/{bad}").status_code == 404


def test_pictures_go_with_their_message_and_conversation(seer, fake, each_db_app):
    from models import Attachment, db

    fake.queue(Reply("A"))
    cid = conversation_id_from(send_pictures(seer, "Two photos", [(png_bytes(), "a.png")] * 2))
    assert len(stored(each_db_app, cid)) == 2
    seer.post("/conversations/delete-all", {"confirm": "yes"}, source="/settings")
    with each_db_app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Attachment)) == 0


@pytest.mark.parametrize(
    ("files", "status", "phrase"),
    [
        ([(b"<html><script>alert(1)</script></html>", "tire.jpg")], 415, "tire.jpg"),
        ([(b"GIF89a" + b"\x00" * 64, "anim.gif")], 415, "anim.gif"),
        ([(phone_photo()[:2000], "cut.jpg")], 400, "cut.jpg"),
        ([(png_bytes(), f"p{n}.png") for n in range(5)], 400, "up to 4 pictures"),
    ],
    ids=["html-named-jpg", "gif", "truncated", "five"],
)
def test_a_refused_picture_keeps_the_text_and_stores_nothing(
    seer, fake, each_db_app, files, status, phrase
):
    response = send_pictures(seer, "Keep this careful question", files)
    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert phrase in page and ">Keep this careful question</textarea>" in page
    assert fake.chat_requests == []
    from models import Message, db

    with each_db_app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Message)) == 0


def test_a_picture_too_large_is_refused_with_its_size(seer, fake, each_db_app):
    each_db_app.config["MAX_IMAGE_BYTES"] = 50_000
    big = phone_photo(1600, 1200)
    assert len(big) > 50_000
    response = send_pictures(
        seer, "Big one", [(big, "big.jpg")], headers={"Accept": "application/json"}
    )
    assert response.status_code == 413
    error = response.get_json()["error"]
    assert error["kind"] == "image_too_large" and "big.jpg" in error["message"]


def test_a_model_that_cannot_see_is_never_sent_a_picture(each_db_visitor, fake, each_db_app):
    assert each_db_visitor.save_key(CANARY_KEY, model=BLIND).status_code == 303
    response = send_pictures(each_db_visitor, "What light is this?", [(png_bytes(), "dash.png")])
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "cannot see pictures" in page and ">What light is this?</textarea>" in page
    # One click to a model that can: a form per model, back to the page.
    assert f'name="model" value="{VISION}"' in page and "Use anthropic/claude-3.5-haiku" in page
    assert fake.chat_requests == []
    response = each_db_visitor.client.post(
        "/chat",
        data={
            "message": "x",
            "csrf_token": csrf_token(each_db_visitor.client),
            "images": [(io.BytesIO(png_bytes()), "dash.png")],
        },
        headers={"Accept": "application/json"},
    )
    body = response.get_json()
    assert body["error"]["kind"] == "model_cannot_see_images"
    assert VISION in body["error"]["models"]


def test_the_budget_counts_pictures_and_a_small_window_says_so(seer, fake, each_db_app):
    """With room for the text but not the picture, earlier turns make way for it."""
    fake.queue(Reply("First."), Reply("Second."))
    cid = conversation_id_from(seer.send("A long first question " * 40))
    send_pictures(seer, "And this photo?", [(phone_photo(), "p.jpg")], conversation_id=cid)
    request = fake.chat_requests[-1].body
    assert picture_parts(request)
    from images import image_tokens

    assert image_tokens(900, 1200) >= 1000  # a picture is never counted as free


def test_a_picture_alone_opens_a_conversation_named_after_it(seer, fake, each_db_app):
    fake.queue(Reply("That is the tire pressure warning light."))
    response = send_pictures(seer, "", [(png_bytes(), "dashboard.png")])
    assert response.status_code == 303
    cid = conversation_id_from(response)
    page = seer.get(f"/c/{cid}").get_data(as_text=True)
    assert re.search(r"<h1>Photo: dashboard\.png</h1>", page)


def test_fact_cards_still_decode_text_beside_a_picture(seer, fake, each_db_app):
    fake.queue(Reply("OK"))
    cid = conversation_id_from(
        send_pictures(seer, "Code P0420 and this photo", [(png_bytes(), "cat.png")])
    )
    page = seer.get(f"/c/{cid}").get_data(as_text=True)
    assert "P0420" in page and 'class="facts"' in page


def test_an_edited_question_keeps_its_pictures_and_regenerate_resends_them(seer, fake, each_db_app):
    from models import Message, db

    fake.queue(Reply("A1"))
    cid = conversation_id_from(send_pictures(seer, "Q1", [(png_bytes(), "a.png")]))
    with each_db_app.app_context():
        question = db.session.scalars(
            db.select(Message).where(Message.conversation_id == cid, Message.role == "user")
        ).one()
    fake.queue(Reply("A1 edited"))
    seer.post(f"/c/{cid}/m/{question.id}/edit", {"message": "Q1 edited"}, source=f"/c/{cid}")
    assert len(picture_parts(fake.chat_requests[-1].body)) == 1
    assert len(stored(each_db_app, cid)) == 2  # the original's and the edit's copy
    with each_db_app.app_context():
        reply = db.session.scalars(
            db.select(Message).where(Message.conversation_id == cid, Message.content == "A1 edited")
        ).one()
    fake.queue(Reply("A1 again"))
    seer.post(f"/c/{cid}/m/{reply.id}/regenerate", {}, source=f"/c/{cid}")
    assert len(picture_parts(fake.chat_requests[-1].body)) == 1


def test_later_questions_name_the_picture_without_sending_it_again(seer, fake, each_db_app):
    fake.queue(Reply("A worn belt."), Reply("About an hour of work."))
    cid = conversation_id_from(send_pictures(seer, "What is this?", [(png_bytes(), "belt.png")]))
    seer.send("How long to replace it?", cid)
    request = fake.chat_requests[-1].body
    assert picture_parts(request) == []
    first = request["messages"][1]["content"]
    assert first.startswith("What is this?") and "1 picture(s) with this message: belt.png" in first


def test_without_javascript_switching_to_a_seeing_model_keeps_the_text(
    each_db_visitor, fake, each_db_app
):
    assert each_db_visitor.save_key(CANARY_KEY, model=BLIND).status_code == 303
    page = send_pictures(
        each_db_visitor, "Which light is this? 🚗", [(png_bytes(), "dash.png")]
    ).get_data(as_text=True)
    form = re.search(r'<form method="post" action="/settings/model">(.*?)</form>', page, re.S)
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form.group(1)))
    assert fields["draft"] == "Which light is this? 🚗" and "choose the pictures again" in page
    response = each_db_visitor.client.post("/settings/model", data=fields)
    assert response.status_code == 303
    page = each_db_visitor.get(response.headers["Location"]).get_data(as_text=True)
    assert ">Which light is this? 🚗</textarea>" in page
    # Once: the next page starts empty.
    assert "Which light is this?" not in each_db_visitor.get("/").get_data(as_text=True)
