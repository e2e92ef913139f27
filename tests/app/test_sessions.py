"""Settings, the encrypted key, key resolution, and conversations outliving sessions."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis

from session_store import mask_key
from tests.support import (
    CANARY_KEY,
    TEST_REDIS_URL,
    Visitor,
    conversation_id_from,
    csrf_token,
    history_window,
)
from tests.support.fake_openrouter import DEFAULT_MODELS, Error, Reply, model_entry

OWNER_COOKIE = "owner"  # the development name (production: __Host-owner)

SERVER_KEY = "sk-or-v1-server000000000000000000000000000000000000000000000000s3rv"


def stored_session_blobs(app, visitor: Visitor) -> list[bytes]:
    """Return the raw bytes of every stored session of this test run."""
    if app.config.get("REDIS_URL"):
        client = redis.Redis.from_url(app.config["REDIS_URL"])
        prefix = app.config["SESSION_KEY_PREFIX"]
        blobs = [client.get(key) or b"" for key in client.scan_iter(match=prefix + "*")]
        client.close()
        return blobs
    return [p.read_bytes() for p in Path(app.config["SESSION_FILE_DIR"]).glob("*")]


def session_cookie(visitor: Visitor) -> str | None:
    cookie = visitor.client.get_cookie("session")
    return cookie.value if cookie else None


def test_saved_key_is_masked_and_never_in_any_page(keyed_visitor, fake):
    page = keyed_visitor.get("/settings").get_data(as_text=True)
    assert "sk-or-…c4n4" in page
    keyed_visitor.send("Oil change interval for a 2019 F-150?")
    keyed_visitor.get("/")
    fake.queue(Error(401, f"Invalid key {CANARY_KEY[:12]}"))
    keyed_visitor.send("again")
    for body in keyed_visitor.pages:
        assert CANARY_KEY not in body
        assert CANARY_KEY[-12:] not in body


@pytest.mark.parametrize("submitted", ["", "   ", "sk-or-…c4n4"])
def test_empty_or_masked_key_field_keeps_the_saved_key(keyed_visitor, fake, submitted):
    response = keyed_visitor.save_key(submitted, model="openai/gpt-4o-mini")
    assert response.status_code == 303
    keyed_visitor.send("Is 5W-30 fine for my Accord?")
    request = fake.chat_requests[-1]
    assert request.headers["Authorization"] == f"Bearer {CANARY_KEY}"
    assert request.body["model"] == "openai/gpt-4o-mini"


@pytest.mark.parametrize(
    ("value", "phrase"),
    [
        ("sk-or-…abcd", "masked key"),
        ("has spaces in it", "no spaces"),
        ("short", "8 to 256"),
    ],
)
def test_unusable_key_is_refused_with_a_reason(visitor, value, phrase):
    response = visitor.save_key(value)
    assert response.status_code == 400
    assert phrase in response.get_data(as_text=True)
    assert "sk-or-…" not in visitor.get("/settings").get_data(as_text=True).split("<form")[0]


def test_unknown_model_is_refused(visitor):
    response = visitor.post("/settings", {"model": "evil/model"}, source="/settings")
    assert response.status_code == 400
    assert "Pick a model from the list." in response.get_data(as_text=True)


def test_session_store_holds_only_ciphertext(keyed_visitor, fake, app):
    keyed_visitor.send("Timing belt or chain on a 2015 Golf?")
    blobs = stored_session_blobs(app, keyed_visitor)
    assert blobs, "the session should be stored server-side"
    joined = b"".join(blobs)
    assert CANARY_KEY.encode() not in joined
    assert CANARY_KEY[-12:].encode() not in joined
    assert b"v1:" in joined  # the encrypted token is there


def test_browser_cookie_holds_only_an_opaque_id(keyed_visitor):
    value = session_cookie(keyed_visitor)
    assert value and len(value) >= 40
    assert "api_key" not in value and "." not in value  # not a signed cookie session


def test_saving_and_forgetting_the_key_regenerate_the_session(visitor, app):
    visitor.get("/settings")
    before = session_cookie(visitor)
    visitor.save_key(CANARY_KEY)
    after_save = session_cookie(visitor)
    assert after_save and after_save != before
    prefix = app.config["SESSION_KEY_PREFIX"]
    assert not app.session_interface._exists(prefix + before)  # the old one is deleted
    assert app.session_interface._exists(prefix + after_save)
    visitor.post("/settings/forget-key", source="/settings")
    after_forget = session_cookie(visitor)
    assert after_forget != after_save
    # The old stored session is gone, so an old cookie no longer carries the key.
    stale = Visitor(app.test_client())
    stale.client.set_cookie("session", after_save)
    assert "<strong>Offline</strong>" in stale.get("/").get_data(as_text=True)


def test_forget_key_goes_offline_with_a_notice_and_keeps_the_message(keyed_visitor, fake):
    keyed_visitor.post("/settings/forget-key", source="/settings")
    assert "No key is set" in keyed_visitor.get("/settings").get_data(as_text=True)
    # Nothing the built-in tools answer (a warning light would get an offline answer).
    cid = conversation_id_from(keyed_visitor.send("Why does my car pull to the left?"))
    page = keyed_visitor.get(f"/c/{cid}").get_data(as_text=True)
    assert "Why does my car pull to the left?" in page
    assert "The assistant is offline:" in page
    assert '<a href="/settings"' in page
    assert f'action="/c/{cid}/retry"' in page
    assert fake.chat_requests == []


def test_offline_message_is_answered_after_adding_a_key_and_retrying(visitor, fake):
    cid = conversation_id_from(visitor.send("Check engine light flashing"))
    visitor.save_key(CANARY_KEY)
    fake.queue(Reply("A flashing light means an active misfire: stop driving."))
    visitor.post(f"/c/{cid}/retry", source=f"/c/{cid}")
    page = visitor.get(f"/c/{cid}").get_data(as_text=True)
    assert "active misfire" in page
    assert fake.chat_requests[0].messages[-1]["content"] == "Check engine light flashing"


def test_offline_json_answer(visitor, fake):
    response = visitor.send_json("Coolant leak under the car")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "offline"
    assert "no OpenRouter API key is set" in body["reply"]


def test_server_key_is_used_when_the_visitor_has_none(make_app, fake):
    app = make_app(OPENROUTER_API_KEY=SERVER_KEY)
    visitor = Visitor(app.test_client())
    assert "Using the server" in visitor.get("/").get_data(as_text=True)
    visitor.send("Grinding noise from the front left")
    assert fake.chat_requests[-1].headers["Authorization"] == f"Bearer {SERVER_KEY}"
    # The visitor's own key wins over the server's.
    visitor.save_key(CANARY_KEY)
    visitor.send("Second question")
    assert fake.chat_requests[-1].headers["Authorization"] == f"Bearer {CANARY_KEY}"
    for body in visitor.pages:
        assert SERVER_KEY not in body


def test_test_key_shows_label_limit_and_usage(keyed_visitor, fake):
    response = keyed_visitor.post("/settings/test-key", source="/settings")
    assert response.status_code == 303
    page = keyed_visitor.get("/settings").get_data(as_text=True)
    assert "OpenRouter accepted the key" in page
    assert "Usage: $3.50; limit: $25.00; remaining: $21.50." in page
    assert fake.chat_requests == []  # no completion spent
    assert [r.path for r in fake.requests if r.path != "/api/v1/models"] == ["/api/v1/key"]


def test_test_key_shows_the_exact_rejection(keyed_visitor, fake):
    fake.reject_key(CANARY_KEY)
    keyed_visitor.post("/settings/test-key", source="/settings")
    page = keyed_visitor.get("/settings").get_data(as_text=True)
    assert "OpenRouter rejected the key (401: User not found.)" in page


def test_test_key_without_a_saved_key_says_so(visitor, fake):
    visitor.post("/settings/test-key", source="/settings")
    assert "No key of yours is saved" in visitor.get("/settings").get_data(as_text=True)
    assert [r.path for r in fake.requests if r.path != "/api/v1/models"] == []


def test_default_model_is_configurable(make_app, fake):
    fake.state.models = [*DEFAULT_MODELS, model_entry("mistralai/mistral-7b-instruct:free")]
    app = make_app(DEFAULT_MODEL="mistralai/mistral-7b-instruct:free")
    visitor = Visitor(app.test_client())
    visitor.save_key(CANARY_KEY)
    page = visitor.get("/settings").get_data(as_text=True)
    assert 'value="mistralai/mistral-7b-instruct:free" checked' in page
    visitor.send("Best tires for snow?")
    assert fake.chat_requests[-1].body["model"] == "mistralai/mistral-7b-instruct:free"


def test_curated_list_when_the_catalog_is_unavailable(make_app, fake):
    fake.state.models_status = 503
    app = make_app()
    visitor = Visitor(app.test_client())
    page = visitor.get("/settings").get_data(as_text=True)
    assert "The model list is unavailable" in page
    assert '<option value="deepseek/deepseek-chat-v3-0324:free" selected>' in page
    assert visitor.save_key(CANARY_KEY, model="openai/gpt-4o-mini").status_code == 303


# ---------------------------------------------------------------- outliving the session


def test_conversation_survives_session_expiry(keyed_visitor, fake, app):
    cid = conversation_id_from(keyed_visitor.send("Transmission slips in 3rd gear"))
    # The session idles out: the cookie and every stored session vanish.
    keyed_visitor.client.delete_cookie("session")
    _drop_stored_sessions(app)
    page = keyed_visitor.get("/").get_data(as_text=True)
    assert f'href="/c/{cid}#end"' in page
    assert "Transmission slips in 3rd gear" in keyed_visitor.get(f"/c/{cid}").get_data(as_text=True)
    # Only the key must be entered again.
    assert "<strong>Offline</strong>" in page


def test_conversation_survives_an_app_restart(keyed_visitor, fake, make_app):
    cid = conversation_id_from(keyed_visitor.send("AC blows warm air"))
    owner = keyed_visitor.client.get_cookie(OWNER_COOKIE).value
    restarted = Visitor(make_app().test_client())
    restarted.client.set_cookie(OWNER_COOKIE, owner)
    page = restarted.get(f"/c/{cid}").get_data(as_text=True)
    assert "AC blows warm air" in page
    assert "Fake mechanic answer about: AC blows warm air" in page


def test_history_is_rebuilt_from_the_database_when_the_session_is_lost(keyed_visitor, fake, app):
    fake.queue(Reply("Check the serpentine belt."), Reply("Around 60,000 miles."))
    cid = conversation_id_from(keyed_visitor.send("Squeal on cold start"))
    _drop_stored_sessions(app)  # Redis (or the file store) lost everything
    keyed_visitor.save_key(CANARY_KEY)
    keyed_visitor.send("How often should it be replaced?", cid)
    assert [m["content"] for m in fake.chat_requests[-1].messages[1:]] == [
        "Squeal on cold start",
        "Check the serpentine belt.",
        "How often should it be replaced?",
    ]


def test_history_window_lives_in_the_session(keyed_visitor, fake, app):
    fake.queue(Reply("One."), Reply("Two."))
    cid = conversation_id_from(keyed_visitor.send("First"))
    keyed_visitor.send("Second", cid)
    window = history_window(app, keyed_visitor)
    assert window["conversation_id"] == cid
    assert [m["content"] for m in window["messages"]] == ["First", "One.", "Second", "Two."]


def test_history_window_is_bounded(make_app, fake):
    app = make_app(HISTORY_WINDOW="4")
    visitor = Visitor(app.test_client())
    visitor.save_key(CANARY_KEY)
    cid = conversation_id_from(visitor.send("q1"))
    for n in range(2, 5):
        visitor.send(f"q{n}", cid)
    sent = fake.chat_requests[-1].messages
    assert sent[0]["role"] == "system"
    assert [m["content"] for m in sent[1:] if m["role"] == "user"] == ["q2", "q3", "q4"]
    assert len(sent) == 1 + 4 + 1


def test_a_tampered_owner_cookie_sees_nothing(keyed_visitor, fake, app):
    cid = conversation_id_from(keyed_visitor.send("Private"))
    stranger = Visitor(app.test_client())
    stranger.client.set_cookie(OWNER_COOKIE, "forged.value")
    assert stranger.get(f"/c/{cid}").status_code == 404


def test_mask_key_shapes():
    assert mask_key(CANARY_KEY) == "sk-or-…c4n4"
    assert mask_key("abcdefghijkl") == "…ijkl"
    assert mask_key(None) is None


def _drop_stored_sessions(app) -> None:
    if app.config.get("REDIS_URL"):
        client = redis.Redis.from_url(TEST_REDIS_URL)
        for key in client.scan_iter(match=app.config["SESSION_KEY_PREFIX"] + "*"):
            client.delete(key)
        client.close()
    else:
        for path in Path(app.config["SESSION_FILE_DIR"]).glob("*"):
            path.unlink()


def test_key_appears_in_no_log_line_or_database_row(keyed_visitor, fake, app, caplog, migrated):
    import logging

    import sqlalchemy as sa

    caplog.set_level(logging.DEBUG)
    fake.queue(Error(401, "User not found."), Error(500, "boom"), Reply("fine"))
    cid = conversation_id_from(keyed_visitor.send("Noise from the rear axle"))
    keyed_visitor.send("again", cid)
    keyed_visitor.send("and again", cid)
    keyed_visitor.post("/settings/test-key", source="/settings")
    assert caplog.records, "the flow should have logged something"
    assert CANARY_KEY not in caplog.text
    engine = sa.create_engine(migrated)
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT * FROM message")).all()
        rows += connection.execute(sa.text("SELECT * FROM conversation")).all()
    engine.dispose()
    assert rows
    assert CANARY_KEY not in repr(rows)


@pytest.mark.parametrize("store", ["redis", "files"])
def test_an_unchanged_session_is_extended_at_most_once_a_sixtieth_of_its_life(
    make_app, store, monkeypatch
):
    """A page view costs the session store one read: an unchanged session's life is
    extended (and its cookie renewed) at most once a minute of the default hour per
    worker, and a change is always written."""
    import session_backends

    if store == "redis" and not TEST_REDIS_URL:
        pytest.skip("no TEST_REDIS_URL")
    app = make_app(**({} if store == "redis" else {"REDIS_URL": ""}))
    assert ("Redis" in type(app.session_interface).__name__) == (store == "redis")
    now = [1_000.0]
    monkeypatch.setattr(session_backends.time, "monotonic", lambda: now[0])
    calls: list[str] = []
    touch = app.session_interface._touch

    def counted_touch(store_id, lifetime):
        calls.append(store_id)
        return touch(store_id, lifetime)

    monkeypatch.setattr(app.session_interface, "_touch", counted_touch)
    visitor = Visitor(app.test_client())

    def renews_cookie() -> bool:
        response = visitor.get("/")
        assert response.status_code == 200
        return any(c.startswith("session=") for c in response.headers.getlist("Set-Cookie"))

    assert renews_cookie()  # a new session: written, cookie set
    now[0] += 30
    assert not renews_cookie() and calls == []  # 30 s into 3,600: left as it is
    now[0] += 31
    assert renews_cookie() and len(calls) == 1  # 61 s: extended, cookie renewed
    now[0] += 1
    assert not renews_cookie() and len(calls) == 1
    # A change is written at once, whatever the time.
    chosen = DEFAULT_MODELS[1]["id"]
    assert not any(chosen.encode() in blob for blob in stored_session_blobs(app, visitor))
    assert visitor.post("/settings/model", {"model": chosen}).status_code == 303
    assert any(chosen.encode() in blob for blob in stored_session_blobs(app, visitor))
    assert len(calls) == 1


def test_a_change_never_brings_back_a_session_deleted_meanwhile(app, visitor, monkeypatch):
    """Choosing a model in one tab while Forget key lands from another: the forget's
    delete comes between this request's read and its write. The write must not re-create
    the old session (with the key), nor point the browser back at it."""
    if not TEST_REDIS_URL:
        pytest.skip("the files store has no write-if-present (one host, zero-setup)")
    assert visitor.save_key(CANARY_KEY).status_code == 303
    old = session_cookie(visitor)
    store_id = app.config["SESSION_KEY_PREFIX"] + old
    interface = app.session_interface
    write = interface.client.set

    def forget_lands_first(name, *args, **kwargs):
        if name == store_id:
            interface.client.delete(store_id)  # the other tab's Forget key
        return write(name, *args, **kwargs)

    token = csrf_token(visitor.client, "/settings")  # the form, loaded before the race
    monkeypatch.setattr(interface.client, "set", forget_lands_first)
    response = visitor.client.post(
        "/settings/model", data={"csrf_token": token, "model": DEFAULT_MODELS[1]["id"]}
    )
    assert response.status_code == 303
    assert not interface._exists(store_id)
    assert not any(c.startswith(f"session={old}") for c in response.headers.getlist("Set-Cookie"))
    assert CANARY_KEY.encode() not in b"".join(stored_session_blobs(app, visitor))
