"""OpenRouter fidelity: retries, model catalog, context budget, usage and cost."""

from __future__ import annotations

import re
import threading
import time

import pytest

from tests.support import CANARY_KEY, Visitor, conversation_id_from, free_port
from tests.support.fake_openrouter import DEFAULT_MODELS, Error, Reply, Stream, model_entry
from tests.support.streaming import stream_chat


@pytest.fixture
def retrying(make_app, fake):
    """An app that retries (twice) and records its backoff waits instead of sleeping."""

    def build(**env):
        env = {"OPENROUTER_MAX_RETRIES": "2", "OPENROUTER_RETRY_BASE_DELAY": "0.5", **env}
        app = make_app(**env)
        waits: list[float] = []
        app.extensions["openrouter"]._sleep = waits.append
        visitor = Visitor(app.test_client())
        visitor.save_key(CANARY_KEY)
        return visitor, waits

    return build


# ---------------------------------------------------------------- retries


@pytest.mark.parametrize("status", [408, 429, 502, 503, 504])
def test_retryable_statuses_are_retried_then_succeed(retrying, fake, status):
    visitor, waits = retrying()
    fake.queue(Error(status, "busy"), Error(status, "busy"), Reply("Third time lucky."))
    body = visitor.send_json("Rough idle when cold").get_json()
    assert body["reply"] == "Third time lucky."
    assert len(fake.chat_requests) == 3
    assert len(waits) == 2
    # Full jitter: each wait is somewhere in [0, base * 2**attempt].
    assert 0 <= waits[0] <= 0.5 and 0 <= waits[1] <= 1.0


def test_retries_stop_after_two(retrying, fake):
    visitor, waits = retrying()
    fake.queue(*[Error(503, "No instances available")] * 5)
    response = visitor.send_json("Shudder when braking")
    assert response.status_code == 503
    assert len(fake.chat_requests) == 3
    assert len(waits) == 2


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404])
def test_other_client_errors_are_never_retried(retrying, fake, status):
    visitor, waits = retrying()
    fake.queue(Error(status, "no"), Reply("should not be reached"))
    response = visitor.send_json("Check engine light")
    # A 403 that is not moderation is the upstream's gate refusing us: a bad gateway here.
    assert response.status_code == (502 if status == 403 else status)
    assert len(fake.chat_requests) == 1
    assert waits == []


def test_retry_after_is_honoured(retrying, fake):
    visitor, waits = retrying(OPENROUTER_READ_TIMEOUT="30")
    fake.queue(Error(429, "slow down", retry_after="7"), Reply("Now it works."))
    assert visitor.send_json("Wipers streak").get_json()["reply"] == "Now it works."
    assert waits == [7.0]


def test_retry_after_beyond_the_cap_goes_to_the_user(retrying, fake):
    visitor, waits = retrying()
    fake.queue(
        Error(429, "Rate limit exceeded: upstream-per-min", retry_after="120"), Reply("unused")
    )
    response = visitor.send_json("Horn stopped working")
    assert response.status_code == 429
    assert "Retry in 120 s." in response.get_json()["error"]["message"]
    assert response.headers["Retry-After"] == "120"
    assert len(fake.chat_requests) == 1
    assert waits == []


def test_retries_stay_within_the_read_timeout(retrying, fake):
    # 2.5 s of Retry-After does not fit in a 3 s budget that must keep 1 s to connect.
    visitor, waits = retrying(OPENROUTER_READ_TIMEOUT="3", OPENROUTER_CONNECT_TIMEOUT="1")
    fake.queue(Error(503, "busy", retry_after="2.5"), Reply("unused"))
    assert visitor.send_json("Clunk over bumps").status_code == 503
    assert waits == []
    assert len(fake.chat_requests) == 1


def test_connection_errors_are_retried(retrying):
    visitor, waits = retrying(OPENROUTER_BASE_URL=f"http://127.0.0.1:{free_port()}/api/v1")
    response = visitor.send_json("Battery light on")
    assert response.status_code == 502
    assert len(waits) == 2  # the chat call; a catalog refresh is tried once, never retried


def test_read_timeouts_are_not_retried(retrying, fake):
    visitor, waits = retrying(OPENROUTER_READ_TIMEOUT="0.4", OPENROUTER_CONNECT_TIMEOUT="0.2")
    fake.queue(Reply("late", delay=1.0), Reply("unused"))
    assert visitor.send_json("Slow model").status_code == 504
    assert waits == []
    time.sleep(0.7)  # let the fake finish answering the abandoned call
    assert len(fake.chat_requests) == 1


def test_stream_retries_before_the_first_byte_only(retrying, fake):
    visitor, waits = retrying()
    fake.queue(Error(502, "Provider returned error"), Stream(["Recovered."]))
    _, events = stream_chat(visitor, "Streaming retry")
    assert events[-1][0] == "done"
    assert len(fake.chat_requests) == 2
    assert len(waits) == 1
    fake.reset()
    fake.queue(Stream(["Half", " an answer"], error_after=1), Stream(["unused"]))
    _, events = stream_chat(visitor, "Mid-stream failure")
    assert events[-1][0] == "error"
    assert len(fake.chat_requests) == 1  # text had been sent: never retried


# ---------------------------------------------------------------- the catalog


def test_settings_lists_the_catalog_with_context_and_prices(visitor, fake):
    page = visitor.get("/settings").get_data(as_text=True)
    row = re.search(r'<tr data-search="openai/gpt-4o-mini[^>]*>.*?</tr>', page, re.S).group(0)
    assert "128,000" in row
    assert "$0.15" in row and "$0.60" in row  # per million tokens
    free_row = re.search(r'<tr data-search="deepseek/[^>]*>.*?</tr>', page, re.S).group(0)
    assert "badge-free" in free_row
    assert f"{len(DEFAULT_MODELS)} of {len(DEFAULT_MODELS)} models shown" in page


def test_settings_search_and_free_filter_work_without_javascript(visitor, fake):
    page = visitor.get("/settings?q=claude").get_data(as_text=True)
    listed = re.findall(r'<tr data-search="([^ "]+)', page)
    # The current choice stays visible above the matches.
    assert listed == ["deepseek/deepseek-chat-v3-0324:free", "anthropic/claude-3.5-haiku"]
    free = visitor.get("/settings?free=1").get_data(as_text=True)
    assert set(re.findall(r'<tr data-search="([^ "]+)', free)) == {
        "deepseek/deepseek-chat-v3-0324:free",
        "meta-llama/llama-3.3-70b-instruct:free",
    }


def test_choosing_a_catalog_model(keyed_visitor, fake):
    assert keyed_visitor.save_key("", model="anthropic/claude-3.5-haiku").status_code == 303
    keyed_visitor.send("Which oil for a 2016 Outback?")
    assert fake.chat_requests[-1].body["model"] == "anthropic/claude-3.5-haiku"
    refused = keyed_visitor.save_key("", model="made/up-model")
    assert refused.status_code == 400


def test_catalog_is_cached(visitor, fake):
    for _ in range(3):
        visitor.get("/settings")
        visitor.get("/")
    assert [r.path for r in fake.requests].count("/api/v1/models") == 1


def test_catalog_is_shared_through_redis(make_app, fake, app):
    if not app.config.get("REDIS_URL"):
        pytest.skip("the shared catalog cache needs Redis (TEST_REDIS_URL)")
    Visitor(app.test_client()).get("/settings")
    other = make_app()
    Visitor(other.test_client()).get("/settings")
    assert [r.path for r in fake.requests].count("/api/v1/models") == 1


def test_stale_catalog_is_served_when_a_refresh_fails(make_app, fake):
    app = make_app(CATALOG_TTL="1")
    visitor = Visitor(app.test_client())
    visitor.get("/settings")
    fake.state.models_status = 503
    time.sleep(1.1)
    page = visitor.get("/settings").get_data(as_text=True)
    assert "could not be refreshed" in page
    assert "openai/gpt-4o-mini" in page
    assert [r.path for r in fake.requests].count("/api/v1/models") == 2
    # A failed refresh is not retried on every page.
    visitor.get("/settings")
    assert [r.path for r in fake.requests].count("/api/v1/models") == 2


def test_missing_default_model_falls_back_instead_of_failing(make_app, fake):
    app = make_app(DEFAULT_MODEL="gone/model:free")
    visitor = Visitor(app.test_client())
    visitor.save_key(CANARY_KEY)
    page = visitor.get("/settings").get_data(as_text=True)
    assert "gone/model:free is not in the model catalog" in page
    assert "using meta-llama/llama-3.3-70b-instruct:free instead" in page
    body = visitor.send_json("Spark plug gap?").get_json()
    assert body["status"] == "ok"
    assert fake.chat_requests[-1].body["model"] == "meta-llama/llama-3.3-70b-instruct:free"


# ---------------------------------------------------------------- context budget


def test_history_is_trimmed_to_the_models_context(visitor, fake):
    fake.state.models = [*DEFAULT_MODELS, model_entry("small/model", context_length=2000)]
    assert visitor.save_key(CANARY_KEY, model="small/model").status_code == 303
    keyed_visitor = visitor
    long = "My truck makes a noise. " * 40  # ~960 characters, ~275 tokens
    cid = None
    for n in range(4):
        fake.queue(Reply(f"Answer {n}."))
        response = keyed_visitor.send(f"Q{n}: {long}", cid)
        cid = cid or conversation_id_from(response)
    sent = fake.chat_requests[-1]
    assert sent.messages[0]["role"] == "system"
    assert sent.messages[-1]["content"].startswith("Q3:")
    kept_users = [m["content"][:3] for m in sent.messages[1:-1] if m["role"] == "user"]
    assert kept_users and kept_users == sorted(kept_users)  # the newest turns, in order
    assert "Q0:" not in kept_users
    assert sent.body["max_tokens"] == 500  # a quarter of the window is kept for the reply

    page = keyed_visitor.get(f"/c/{cid}").get_data(as_text=True)
    dropped = 6 - 2 * len(kept_users)
    assert f"{dropped} earlier messages left out of the model" in page


def test_short_conversations_show_no_trimming_notice(keyed_visitor, fake):
    cid = conversation_id_from(keyed_visitor.send("Short question"))
    keyed_visitor.send("Another", cid)
    assert "left out of the model" not in keyed_visitor.get(f"/c/{cid}").get_data(as_text=True)


# ---------------------------------------------------------------- usage and cost


def test_cost_is_computed_from_catalog_prices(keyed_visitor, fake):
    keyed_visitor.save_key("", model="openai/gpt-4o-mini")
    fake.queue(Reply("Use DOT 4 fluid.", prompt_tokens=1000, completion_tokens=500))
    body = keyed_visitor.send_json("Which brake fluid?").get_json()
    # 1000 x $0.15/M + 500 x $0.60/M
    assert body["usage"]["cost"] == pytest.approx(0.00045)
    page = keyed_visitor.get(f"/c/{body['conversation_id']}").get_data(as_text=True)
    assert "1,000 prompt + 500 completion tokens · $0.00045" in page
    assert "1,500 tokens · $0.00045 so far" in page


def test_running_total_adds_up(keyed_visitor, fake):
    keyed_visitor.save_key("", model="openai/gpt-4o-mini")
    fake.queue(
        Reply("a", prompt_tokens=1000, completion_tokens=0),
        Reply("b", prompt_tokens=2000, completion_tokens=1000),
    )
    cid = keyed_visitor.send_json("one").get_json()["conversation_id"]
    keyed_visitor.send_json("two", cid)
    page = keyed_visitor.get(f"/c/{cid}").get_data(as_text=True)
    # 3000 x 0.15/M + 1000 x 0.60/M = 0.00105
    assert "4,000 tokens · $0.00105 so far" in page


def test_a_slow_catalog_refresh_blocks_nobody_and_holds_no_connection(make_app, fake):
    from models import db

    app = make_app(CATALOG_TTL="1")
    visitor = Visitor(app.test_client())
    visitor.save_key(CANARY_KEY)
    cid = conversation_id_from(visitor.send("Warm the catalog"))
    time.sleep(1.1)  # now stale
    release = threading.Event()
    seen = []

    def slow_models():
        with app.app_context():
            seen.append(db.engine.pool.checkedout())
        release.wait(10)

    fake.state.on_models = slow_models
    refresher = threading.Thread(target=lambda: Visitor(app.test_client()).get("/settings"))
    refresher.start()
    while not seen:
        time.sleep(0.01)
    # While the refresh hangs, a follow-up chat is served with the stale copy.
    body = visitor.send_json("Follow-up while the catalog refreshes", cid).get_json()
    assert body["status"] == "ok"
    assert refresher.is_alive()
    release.set()
    refresher.join(10)
    assert seen == [0]
