"""Odd input and odd upstream answers never become a 500, and never lose a message."""

from __future__ import annotations

import re

import pytest
import redis
import sqlalchemy as sa

from tests.support import CANARY_KEY, Visitor, conversation_id_from
from tests.support.fake_openrouter import Error, Raw, Reply


@pytest.fixture
def strict(make_app, fake):
    """A visitor on an app with TESTING off, so failures take the real 500 path."""
    app = make_app({"TESTING": False})
    visitor = Visitor(app.test_client())
    visitor.save_key(CANARY_KEY)
    return visitor


def token(visitor: Visitor) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', visitor.get("/").text).group(1)


@pytest.mark.parametrize(
    "path", ["/c/ab%00cd", "/c/%F0%9F%9A%97", "/c/" + "a" * 500, "/c/..%2F..%2Fetc"]
)
def test_odd_conversation_ids_are_404(strict, path):
    assert strict.client.get(path).status_code == 404


def test_nul_characters_are_dropped_not_fatal(strict, fake, migrated):
    response = strict.send("Oil\x00 pressure light")
    assert response.status_code == 303
    assert fake.chat_requests[-1].messages[-1]["content"] == "Oil pressure light"
    assert strict.send("x", "\x00" * 32).status_code == 404


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ('{"message": "a\\ud800"}', "bad_field"),
        ('{"message": 5}', "bad_field"),
        ('{"message": "x", "conversation_id": 123}', "bad_field"),
        ('{"message": ["list"]}', "bad_field"),
        ("[1, 2]", "bad_json"),
        ("{", "bad_json"),
    ],
)
def test_malformed_json_fields_are_400(strict, fake, body, kind):
    response = strict.client.post(
        "/chat",
        data=body,
        content_type="application/json",
        headers={"X-CSRFToken": token(strict)},
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["kind"] == kind
    assert fake.chat_requests == []


@pytest.mark.parametrize(
    "behaviour",
    [
        Error(429, "slow", retry_after="inf"),
        Error(429, "slow", retry_after="1e400"),
        Raw(
            200,
            b'{"choices":[{"message":{"role":"assistant","content":[{"type":"text","text":null}]}}]}',
            "application/json",
        ),
        Raw(200, b'{"choices":[{"message":"not an object"}]}', "application/json"),
        Raw(200, b'{"choices":"nope"}', "application/json"),
        Raw(200, b"[]", "application/json"),
    ],
    ids=[
        "retry-after-inf",
        "retry-after-huge",
        "null-content-part",
        "bad-message",
        "bad-choices",
        "array",
    ],
)
def test_odd_upstream_answers_are_recorded_failures(strict, fake, behaviour):
    fake.queue(behaviour)
    response = strict.send_json("Strange answer please")
    assert response.status_code in (429, 502)
    body = response.get_json()
    assert body["error"]["kind"] in ("rate_limited", "empty_reply", "invalid_response")
    page = strict.get(f"/c/{body['conversation_id']}").get_data(as_text=True)
    assert "Strange answer please" in page
    assert f'action="/c/{body["conversation_id"]}/retry"' in page


@pytest.mark.parametrize("model", [12345, "m" * 500, None])
def test_odd_model_names_in_the_reply_do_not_lose_it(strict, fake, model):
    payload = '{"model": %s, "choices":[{"message":{"role":"assistant","content":"Kept."}}]}' % (
        "null" if model is None else f'"{model}"' if isinstance(model, str) else model
    )
    fake.queue(Raw(200, payload.encode(), "application/json"))
    body = strict.send_json("Model name test").get_json()
    assert body["reply"] == "Kept."
    assert len(body["model"]) <= 200


def test_nul_in_a_reply_is_dropped(strict, fake):
    fake.queue(Reply("Before\x00after"))
    assert strict.send_json("NUL reply").get_json()["reply"] == "Beforeafter"


def test_reused_client_msg_id_for_different_text_is_409(strict, fake):
    strict.send("First text", client_msg_id="same-id")
    response = strict.send_json("Other text", client_msg_id="same-id")
    assert response.status_code == 409
    assert response.get_json()["error"]["kind"] == "duplicate_client_msg_id"
    assert len(fake.chat_requests) == 1


def test_replay_of_a_failed_turn_keeps_its_status(strict, fake):
    fake.queue(Error(401, "User not found."))
    first = strict.send_json("Replay me", client_msg_id="replay-1")
    again = strict.send_json("Replay me", client_msg_id="replay-1")
    assert first.status_code == again.status_code == 401
    assert again.get_json()["error"]["kind"] == "invalid_key"
    assert again.get_json()["duplicate"] is True
    assert len(fake.chat_requests) == 1


def test_an_unanswered_message_is_not_retried_while_it_may_be_in_flight(strict, fake, migrated):
    cid = conversation_id_from(strict.send("Answered"))
    engine = sa.create_engine(migrated)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO message (conversation_id, role, content, status, created_at) "
                "VALUES (:cid, 'user', 'Still thinking', 'ok', CURRENT_TIMESTAMP)"
            ),
            {"cid": cid},
        )
    engine.dispose()
    assert f'action="/c/{cid}/retry"' not in strict.get(f"/c/{cid}").get_data(as_text=True)
    assert strict.post(f"/c/{cid}/retry", source=f"/c/{cid}").status_code == 409


def test_a_chat_in_flight_does_not_undo_forget_key(keyed_visitor, fake, app):
    other = Visitor(app.test_client())
    other.client.set_cookie("session", keyed_visitor.client.get_cookie("session").value)

    def forget_while_the_model_thinks(_record):
        other.post("/settings/forget-key", source="/settings")

    fake.state.on_chat = forget_while_the_model_thinks
    response = keyed_visitor.send("Brake light on the dash")
    assert response.status_code == 303
    assert not any(c.startswith("session=") for c in response.headers.getlist("Set-Cookie"))
    fake.state.on_chat = None
    # The key stays forgotten for the tab whose chat was in flight.
    assert "<strong>Offline</strong>" in keyed_visitor.get("/").get_data(as_text=True)
    assert "No key is set" in other.get("/settings").get_data(as_text=True)


def test_redis_session_lives_as_long_as_configured(make_app, fake):
    app = make_app(SESSION_LIFETIME="900")
    if not app.config.get("REDIS_URL"):
        pytest.skip("checks the Redis TTL (TEST_REDIS_URL)")
    visitor = Visitor(app.test_client())
    visitor.get("/")
    sid = visitor.client.get_cookie("session").value
    client = redis.Redis.from_url(app.config["REDIS_URL"])
    ttl = client.ttl(app.config["SESSION_KEY_PREFIX"] + sid)
    client.close()
    assert 890 <= ttl <= 900


def test_a_failing_decoder_costs_the_cards_never_the_message(strict, fake, monkeypatch, caplog):
    # Any bug in a VIN, code or tire decoder (a crash on some VIN, say) must still let the
    # message be saved and answered: the model reads the text itself.
    from automotive import facts

    def broken(text):
        raise RuntimeError("decoder bug")

    monkeypatch.setattr(facts, "facts_for", broken)
    fake.queue(Reply("That VIN belongs to a Toyota built for Europe."))
    response = strict.send("Decode JTNB23HK203029472 please")
    assert response.status_code == 303
    page = strict.get(response.headers["Location"]).get_data(as_text=True)
    assert "Decode JTNB23HK203029472 please" in page
    assert "built for Europe" in page and 'class="facts"' not in page
    assert "fact decoding failed" in caplog.text
