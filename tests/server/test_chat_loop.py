"""The chat loop under the shipped server (issue 11): real Gunicorn with gunicorn.conf.py
(preloaded gevent workers) against the fake upstream, real PostgreSQL and Redis when set,
spoken to over HTTP as a browser and the page's script do.

One test (or a small group) per numbered failure, each asserting what a visitor notices.
The servers are started once for the module, by name (see ``SERVERS``):

- "openrouter": the fake plays OpenRouter; 2 workers, retries on, a short read timeout
  and a fast heartbeat;
- "local": the fake plays a local model server (llama.cpp), named by its host and port;
- "unreachable": the upstream's port is closed;
- "redis-down": the session store's port is closed.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from chat.failures import CUT_OFF_NOTICE, STOPPED_EMPTY, STOPPED_NOTICE
from tests.support import TEST_REDIS_URL, empty_tables, free_port
from tests.support.fake_openrouter import (
    DEFAULT_MODELS,
    TOOLS_REFUSED,
    ContextLimit,
    Error,
    Reply,
    Stream,
    ToolCalls,
    llamacpp_model_entry,
    model_entry,
    prompt_tokens,
)
from tests.support.live import LiveServer, events_until_end, run_together, wait_for
from tests.support.streaming import parse_sse

pytestmark = pytest.mark.slow

DEFAULT = "deepseek/deepseek-chat-v3-0324:free"
EIGHT_K = "qwen/qwen-8k-instruct"
LOCAL = "llama-3.2-3b-instruct-q4_k_m.gguf"

# The catalog every server reads. OpenRouter lists "tools" for the default free model; its
# free endpoints still refuse them (item 5). The local model is listed as llama.cpp's
# server lists it: its GGUF's training window (128k), nothing of the 2,048 it runs with.
CATALOG = [
    model_entry(DEFAULT, context_length=163840, tools=True),
    *[entry for entry in DEFAULT_MODELS if entry["id"] != DEFAULT],
    model_entry(EIGHT_K, context_length=8192),
    llamacpp_model_entry(LOCAL, n_ctx_train=131072),
]

# What one worker learns from a refusal, every worker knows through Redis: the refusal
# comes once. Without Redis (a laptop's embedded defaults) each worker learns for itself.
LEARNING_REFUSALS = 1 if TEST_REDIS_URL else 2

SERVERS = {
    "openrouter": {
        "WORKERS": "2",
        "OPENROUTER_MAX_RETRIES": "2",
        "OPENROUTER_READ_TIMEOUT": "3",
        "STREAM_KEEPALIVE": "0.2",
    },
    "local": {
        "WORKERS": "2",
        "UPSTREAM_NAME": None,  # named by what OPENROUTER_BASE_URL points at
        "DEFAULT_MODEL": LOCAL,
        "MAX_REPLY_TOKENS": "400",  # a small local model's replies
    },
    "unreachable": {"WORKERS": "1", "UPSTREAM_NAME": None},
    "redis-down": {"WORKERS": "1"},
}


@pytest.fixture
def upstream(fake):
    fake.state.models = CATALOG
    return fake


@pytest.fixture
def servers(gunicorn_servers, upstream, migrated):
    """Start (or reuse) a server by name; its log is read from this test's first line on."""
    used: list[LiveServer] = []

    def start(name: str) -> LiveServer:
        env = dict(SERVERS[name])
        if name == "unreachable":
            env["OPENROUTER_BASE_URL"] = f"http://127.0.0.1:{free_port()}/v1"
        if name == "redis-down":
            env["REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/0"
        live = gunicorn_servers.start(name, **env)
        live.mark()
        used.append(live)
        return live

    yield start
    empty_tables(migrated)
    for live in used:
        live.close_browsers()
        assert live.trouble() == [], live.log()[-3000:]


@pytest.fixture
def openrouter(servers) -> LiveServer:
    return servers("openrouter")


def rows(database_url: str, conversation_id: str) -> list[dict]:
    """The conversation's messages as stored, oldest first."""
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        result = connection.execute(
            sa.text(
                "SELECT role, status, content, error_kind, CAST(error_detail AS TEXT) AS detail,"
                " reasoning, finish_reason, context_dropped FROM message"
                " WHERE conversation_id = :c ORDER BY id"
            ),
            {"c": conversation_id},
        )
        found = [dict(row._mapping) for row in result]
    engine.dispose()
    return found


def count(database_url: str, sql: str, **params) -> int:
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        value = connection.execute(sa.text(sql), params).scalar_one()
    engine.dispose()
    return value


def last_user_text(request) -> str:
    return next(m["content"] for m in reversed(request.messages) if m["role"] == "user")


# ---------------------------------------------------------------- 1. Stop


def test_1_stop_keeps_the_partial_marked_stopped_with_retry_at_once(openrouter, upstream, migrated):
    gate = threading.Event()
    upstream.queue(Stream(["Partial answer", *["."] * 200], gate=gate, delay=0.02))
    browser = openrouter.browser()
    response = browser.open_stream("Explain a misfire on cylinder 3, at length")
    seen = events_until_end(response, stop_at="delta")
    cid = seen[0][1]["conversation_id"]
    assert seen[-1][0] == "delta" and seen[-1][1]["text"] == "Partial answer"
    response.close()  # the visitor pressed Stop
    gate.set()

    wait_for(lambda: upstream.state.disconnects == 1, 10, "the upstream request to be closed")
    assert upstream.state.completed_streams == 0
    wait_for(lambda: len(rows(migrated, cid)) == 2, 10, "the partial reply to be saved")
    reply = rows(migrated, cid)[-1]
    assert reply["status"] == "stopped"
    assert reply["content"].startswith("Partial answer")
    assert len(reply["content"]) < len("Partial answer") + 200

    page = browser.conversation(cid)  # a reload
    assert "badge-stopped" in page
    assert "Partial answer" in page and STOPPED_NOTICE in page
    assert f'action="/c/{cid}/retry"' in page
    # Retry at once, not after the longest upstream call has passed.
    upstream.queue(Reply("The whole answer this time."))
    retried = browser.post_json(f"/c/{cid}/retry", {})
    assert retried.status_code == 200, retried.text
    assert retried.json()["reply"] == "The whole answer this time."

    log = openrouter.log()
    assert "reentrant call" not in log and "Traceback" not in log


def test_1_closing_the_tab_before_the_first_token(openrouter, upstream, migrated):
    upstream.queue(Stream(["Too late"], first_delay=2.5, comments=0))
    browser = openrouter.browser()
    response = browser.open_stream("Stop me before anything arrives")
    seen = events_until_end(response, stop_at="conversation")
    cid = seen[0][1]["conversation_id"]
    response.close()
    # Noticed at the next heartbeat (0.2 s), well before the upstream's first byte.
    wait_for(lambda: len(rows(migrated, cid)) == 2, 2, "the closed tab to be noticed")
    assert rows(migrated, cid)[-1]["status"] == "stopped"
    assert rows(migrated, cid)[-1]["content"] == ""
    # The fake sees the closed connection only when it next writes, at 2.5 s.
    wait_for(lambda: upstream.state.disconnects == 1, 6, "the upstream request to be closed")
    assert upstream.state.completed_streams == 0

    page = browser.conversation(cid)
    assert "badge-stopped" in page and STOPPED_EMPTY in page
    assert f'action="/c/{cid}/retry"' in page
    retried = browser.post(f"/c/{cid}/retry")
    assert retried.status_code == 303
    log = openrouter.log()
    assert "reentrant call" not in log and "Traceback" not in log


# ---------------------------------------------------------------- 2. tool rounds out of time


def slow_tool_calls(count: int = 8) -> list[ToolCalls]:
    """A model that keeps asking for a tool, each round taking most of a second."""
    return [ToolCalls([("decode_vin", '{"vin": "1HGCM82633A004352"}')], delay=0.8)] * count


@pytest.mark.parametrize("mode", ["stream", "json"])
def test_2_tool_rounds_that_run_out_of_time_are_a_timeout(openrouter, upstream, mode):
    browser = openrouter.browser()
    browser.save_settings(model="openai/gpt-4o-mini")  # a model that calls tools
    upstream.queue(*slow_tool_calls())
    message = "Decode 1HGCM82633A004352 and tell me everything"
    if mode == "stream":
        _response, events = browser.stream(message)
        assert "tools" in [name for name, _ in events]
        name, body = events[-1]
        assert name == "error"
    else:
        response = browser.send_json(message)
        assert response.status_code == 504
        body = response.json()
    assert body["error"]["kind"] == "timeout"
    assert "did not answer in time" in body["error"]["message"]
    assert 2 <= len(upstream.chat_requests) <= 4  # rounds, then out of time
    assert "Working outside of application context" not in openrouter.log()


# ---------------------------------------------------------------- 3. double submit


def test_3_a_double_submitted_first_message_is_answered_once(openrouter, upstream, migrated):
    # Every upstream call answers differently: two calls for one pair would show.
    upstream.queue(*[Reply(f"Answer number {n}.", delay=0.5) for n in range(40)])
    pairs = []
    for n in range(20):
        first = openrouter.browser(new_connections=True)
        first.fresh_token()
        pairs.append((first, first.twin(), f"Pair {n}: brakes squeal when cold", uuid.uuid4().hex))
    calls = [
        (lambda browser=browser, text=text, key=key: browser.send_json(text, client_msg_id=key))
        for first, second, text, key in pairs
        for browser in (first, second)
    ]
    responses = run_together(*calls)

    for n, (_first, _second, text, _key) in enumerate(pairs):
        one, two = responses[2 * n], responses[2 * n + 1]
        assert not isinstance(one, Exception) and not isinstance(two, Exception), (one, two)
        assert (one.status_code, two.status_code) == (200, 200), (one.text, two.text)
        a, b = one.json(), two.json()
        assert a["conversation_id"] == b["conversation_id"]
        assert a["reply"] == b["reply"] and a["reply"].startswith("Answer number")
        assert sorted([a["duplicate"], b["duplicate"]]) == [False, True]
        asked = [r for r in upstream.chat_requests if last_user_text(r) == text]
        assert len(asked) == 1, f"{text}: {len(asked)} upstream calls"
        assert count(migrated, "SELECT count(*) FROM conversation WHERE title = :t", t=text) == 1
    # Both workers took part.
    assert len(set(openrouter.served("POST", "/chat"))) == 2

    # The same through plain form posts (no JavaScript): both land on one conversation.
    browser = openrouter.browser(new_connections=True)
    browser.fresh_token()
    twin, key, text = browser.twin(), uuid.uuid4().hex, "Form pair: my battery light flickers"
    upstream.state.queue.clear()
    upstream.queue(Reply("Check the alternator belt.", delay=0.5))
    one, two = run_together(
        lambda: browser.send(text, client_msg_id=key), lambda: twin.send(text, client_msg_id=key)
    )
    assert (one.status_code, two.status_code) == (303, 303)
    assert one.headers["Location"] == two.headers["Location"]
    assert len([r for r in upstream.chat_requests if last_user_text(r) == text]) == 1
    assert count(migrated, "SELECT count(*) FROM conversation WHERE title = :t", t=text) == 1
    page = browser.get(one.headers["Location"]).text
    assert page.count("Check the alternator belt.") == 1

    # And through the page's script (a stream each): the second stream waits for the
    # first one's answer and ends with it.
    browser = openrouter.browser(new_connections=True)
    browser.fresh_token()
    twin, key, text = browser.twin(), uuid.uuid4().hex, "Stream pair: wipers stop mid-sweep"
    upstream.queue(Stream(["Check the ", "wiper motor relay."], first_delay=0.5))
    streams = run_together(
        lambda: browser.stream(text, client_msg_id=key),
        lambda: twin.stream(text, client_msg_id=key),
    )
    ends = [events[-1] for _response, events in streams]
    assert [name for name, _ in ends] == ["done", "done"]
    assert {data["reply"] for _, data in ends} == {"Check the wiper motor relay."}
    assert len({data["conversation_id"] for _, data in ends}) == 1
    assert len([r for r in upstream.chat_requests if last_user_text(r) == text]) == 1


# ---------------------------------------------------------------- 4. context that heals itself


def test_4a_a_small_local_window_is_learned_once_and_every_turn_answered(servers, upstream):
    local = servers("local")
    window = 2048
    upstream.state.context_limit = ContextLimit(window, "llamacpp")
    answer = "Check the coil pack, then the plug gap, then the injector. " * 13  # ~770 chars
    upstream.queue(*[Reply(answer) for _ in range(40)])
    # One visitor on each worker: both workers ask this model before either learns.
    visitors = local.browser_per_worker()
    pids = [local.worker_for(visitor.get("/")) for visitor in visitors]
    conversations: list[str | None] = [None, None]

    def turn(n: int, who: int) -> None:
        question = f"Turn {n}: my engine misfires on cold mornings. " + "Details. " * 128
        response = visitors[who].send_json(question, conversations[who])
        assert response.status_code == 200, response.text[:500]
        body = response.json()
        assert body["status"] == "ok" and body["reply"] == answer
        conversations[who] = body["conversation_id"]
        assert local.worker_for(response) == pids[who]

    for n in range(2):  # the first long turns fit the window as they are
        turn(n, 0)
        turn(n, 1)
    assert upstream.state.context_refusals == 0
    turn(2, 0)  # over the window: refused once, the window learned, answered
    assert upstream.state.context_refusals == 1
    for n in range(2, 6):  # the other worker knows it too, and nobody asks too much again
        turn(n, 1)
        if n > 2:
            turn(n, 0)
    assert upstream.state.context_refusals == LEARNING_REFUSALS

    def fits(request) -> bool:
        return prompt_tokens(request.body) + request.body["max_tokens"] <= window

    asked = upstream.chat_requests
    refused = [n for n, request in enumerate(asked) if not fits(request)]
    assert len(refused) == LEARNING_REFUSALS
    # Once learned, the reply budget never exceeds what the window leaves.
    assert all(fits(request) for request in asked[refused[-1] + 1 :])
    for conversation_id, visitor in zip(conversations, visitors, strict=True):
        page = visitor.conversation(conversation_id)
        assert "earlier messages left out of the model" in page
        assert "badge-error" not in page


def test_4b_japanese_turns_fit_an_8k_window_with_at_most_the_notice(openrouter, upstream, migrated):
    upstream.state.context_limit = ContextLimit(8192, "openrouter")
    browser = openrouter.browser()
    browser.save_settings(model=EIGHT_K)
    question = "ブレーキを踏むと異音がします。原因は何でしょうか。" * 24  # 600 characters
    answer = "ブレーキパッドの摩耗が考えられます。点検してください。" * 23  # 598 characters
    upstream.queue(*[Reply(answer) for _ in range(8)])
    conversation_id = None
    for turn in range(6):
        response = browser.send_json(f"{turn}{question}", conversation_id)
        assert response.status_code == 200, response.text[:500]
        assert response.json()["status"] == "ok"
        conversation_id = response.json()["conversation_id"]
    assert upstream.state.context_refusals == 0
    assert len(upstream.chat_requests) == 6
    stored = rows(migrated, conversation_id)
    assert [row["status"] for row in stored] == ["ok"] * 12
    assert stored[-1]["context_dropped"]  # the oldest turns were left out, and said so
    page = browser.conversation(conversation_id)
    assert "earlier messages left out of the model" in page
    assert "badge-error" not in page


# ---------------------------------------------------------------- 5. no tools on this model


def test_5_a_model_whose_endpoints_refuse_tools_is_answered_without_them(openrouter, upstream):
    # One visitor on each worker: both workers offered this model tools before.
    visitors = openrouter.browser_per_worker()
    pids = [openrouter.worker_for(visitor.get("/")) for visitor in visitors]
    for visitor in visitors:
        assert visitor.send_json("Where is the fuse box?").status_code == 200
    assert all(r.body.get("tools") for r in upstream.chat_requests)
    upstream.state.refuse_tools = TOOLS_REFUSED
    before = len(upstream.chat_requests)

    first = visitors[0].send_json("My horn stopped working, what should I check?")
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "ok"
    refused, answered = upstream.chat_requests[before:]
    assert refused.body["tools"] and "tools" not in answered.body
    assert refused.messages[0] == answered.messages[0]  # the same brief and facts

    # Every later turn, on either worker, goes without tools at once.
    for who in (1, 0, 1):
        response = visitors[who].send_json("And where is the horn relay?")
        assert response.status_code == 200, response.text
        assert openrouter.worker_for(response) == pids[who]
    assert upstream.state.tools_refusals == LEARNING_REFUSALS
    offered = [
        n for n, r in enumerate(upstream.chat_requests) if n >= before and r.body.get("tools")
    ]
    assert len(offered) == LEARNING_REFUSALS  # only the refused requests offered tools
    assert not any(r.body.get("tools") for r in upstream.chat_requests[offered[-1] + 1 :])


# ---------------------------------------------------------------- 6. the daily free-model cap


@pytest.mark.parametrize("where", ["header", "metadata"])
def test_6_the_daily_free_model_cap_is_not_retried_and_says_when_it_resets(
    openrouter, upstream, where
):
    reset = (int(time.time()) // 60 + 150) * 60  # in 2.5 hours, on the minute
    headers = {
        "X-RateLimit-Limit": "50",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": str(reset * 1000),  # OpenRouter: epoch milliseconds
    }
    message = (
        "Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model "
        "requests per day"
    )
    cap = (
        Error(429, message, headers=headers)
        if where == "header"
        else Error(429, message, metadata={"headers": headers, "provider_name": None})
    )
    upstream.queue(cap, cap, cap)  # a retry would be refused the same way, and counted
    response = openrouter.browser().send_json("Is it safe to drive with the ABS light on?")
    assert response.status_code == 429
    assert "Retry-After" not in response.headers
    error = response.json()["error"]
    assert error["kind"] == "daily_limit"
    assert len(upstream.chat_requests) == 1  # OPENROUTER_MAX_RETRIES=2, none used
    hhmm = datetime.fromtimestamp(reset, UTC).strftime("%H:%M")
    assert f"resets at {hhmm} UTC" in error["message"]
    assert "add credits, or use another model" in error["message"].lower()
    assert "retry in" not in error["message"].lower()


# ---------------------------------------------------------------- 7. what the balance affords


def afford(tokens: int) -> Error:
    return Error(
        402,
        "This request requires more credits, or fewer max_tokens. You requested up to 2048 "
        f"tokens, but can only afford {tokens}. To increase, visit "
        "https://openrouter.ai/settings/credits and upgrade to a paid account",
    )


def test_7_a_reply_the_balance_affords_is_asked_for_once(openrouter, upstream):
    upstream.queue(afford(1310), Reply("Replace the cabin air filter."))
    response = openrouter.browser().send_json("Why does my AC smell musty?")
    assert response.status_code == 200, response.text
    assert response.json()["reply"] == "Replace the cabin air filter."
    first, second = upstream.chat_requests
    assert first.body["max_tokens"] == 2048
    assert second.body["max_tokens"] == 1310


def test_7_too_few_affordable_tokens_are_told_with_their_number(openrouter, upstream, migrated):
    upstream.queue(afford(40), Reply("never asked"))
    browser = openrouter.browser()
    response = browser.send_json("Why does my AC smell musty?")
    assert response.status_code == 402
    error = response.json()["error"]
    assert error["kind"] == "insufficient_credits"
    assert len(upstream.chat_requests) == 1
    sentence = error["message"]
    assert "the balance allows only 40 reply tokens" in sentence, sentence
    page = browser.conversation(response.json()["conversation_id"])
    assert "the balance allows only 40 reply tokens" in page


# ---------------------------------------------------------------- 8. cut off at the length limit


@pytest.mark.parametrize("mode", ["stream", "json"])
def test_8_a_reply_cut_off_at_the_length_limit_is_marked_with_retry(
    openrouter, upstream, migrated, mode
):
    browser = openrouter.browser()
    if mode == "stream":
        upstream.queue(Stream(["The wheel nut torque ", "for this car is"], finish_reason="length"))
        _response, events = browser.stream("Wheel nut torque?")
        name, body = events[-1]
        assert name == "done"
    else:
        upstream.queue(Reply("The wheel nut torque for this car is", finish_reason="length"))
        response = browser.send_json("Wheel nut torque?")
        assert response.status_code == 200
        body = response.json()
    assert body["status"] == "ok" and body["reply"] == "The wheel nut torque for this car is"
    cid = body["conversation_id"]
    assert rows(migrated, cid)[-1]["finish_reason"] == "length"
    page = browser.conversation(cid)
    assert CUT_OFF_NOTICE.startswith("Cut off at the length limit")
    assert CUT_OFF_NOTICE in page
    assert f'action="/c/{cid}/retry"' in page
    upstream.queue(Reply("The wheel nut torque for this car is 110 N·m."))
    retried = browser.post_json(f"/c/{cid}/retry", {})
    assert retried.status_code == 200 and retried.json()["reply"].endswith("110 N·m.")


@pytest.mark.parametrize("mode", ["stream", "json"])
def test_8_a_reasoning_model_that_spends_its_whole_budget_thinking(
    openrouter, upstream, migrated, mode
):
    browser = openrouter.browser()
    thought = "The customer asks about the relay. Let me consider every relay ever made..."
    if mode == "stream":
        upstream.queue(Stream([], reasoning=[thought], finish_reason="length"))
        _response, events = browser.stream("Which relay runs the fuel pump?")
        name, body = events[-1]
        assert name == "error"
    else:
        upstream.queue(Reply("", reasoning=thought, finish_reason="length"))
        response = browser.send_json("Which relay runs the fuel pump?")
        assert response.status_code == 502
        body = response.json()
    assert body["error"]["kind"] == "length_limit"
    assert "used its whole reply budget before writing an answer" in body["error"]["message"]
    cid = body["conversation_id"]
    assert rows(migrated, cid)[-1]["reasoning"] == thought  # kept, never as the answer
    page = browser.conversation(cid)
    assert "used its whole reply budget before writing an answer" in page
    assert f'action="/c/{cid}/retry"' in page


# ---------------------------------------------------------------- 9. reasoning


@pytest.mark.parametrize("shape", ["openrouter", "reasoning_content"])
def test_9_reasoning_streams_first_and_is_kept_folded_apart_from_the_answer(
    openrouter, upstream, migrated, shape
):
    thoughts = ["The horn clicks but stays silent, ", "so the relay works: the horn is dead."]
    answer = "Replace the horn itself."
    upstream.queue(Stream([answer], reasoning=thoughts, reasoning_shape=shape))
    browser = openrouter.browser()
    _response, events = browser.stream("My horn only clicks")
    names = [name for name, _ in events]
    assert [d["text"] for n, d in events if n == "reasoning"] == thoughts
    assert names.index("reasoning") < names.index("delta")
    assert max(i for i, n in enumerate(names) if n == "reasoning") < names.index("delta")
    done = events[-1][1]
    assert events[-1][0] == "done" and done["reply"] == answer
    cid = done["conversation_id"]
    stored = rows(migrated, cid)[-1]
    assert stored["content"] == answer and stored["reasoning"] == "".join(thoughts)

    page = browser.conversation(cid)
    assert '<details class="reasoning"><summary>Thinking</summary>' in page  # folded
    folded = page.split('<details class="reasoning">', 1)[1].split("</details>", 1)[0]
    assert "the relay works" in folded
    [body] = re.findall(r'<div class="msg-body markdown[^"]*"[^>]*>(.*?)</div>', page, re.S)
    assert answer in body and "relay works" not in body


# ---------------------------------------------------------------- 10. text PostgreSQL refuses


def test_10_nul_and_lone_surrogates_from_upstream_are_saved_and_shown(
    openrouter, upstream, migrated
):
    browser = openrouter.browser()
    # In streamed text, then in a mid-stream error's message.
    upstream.queue(
        Stream(
            ["Check the \x00fuse ", "box\ud800 first", " never sent"],
            error_after=2,
            error_message="Provider \x00crashed\ud800 badly",
        )
    )
    _response, events = browser.stream("Interior lights dead")
    name, body = events[-1]
    assert name == "error" and body["error"]["kind"] == "provider_unavailable"
    assert "crashed" in body["error"]["message"]
    cid = body["conversation_id"]
    stored = rows(migrated, cid)[-1]
    assert stored["status"] == "error"
    assert stored["content"].startswith("Check the fuse box")
    assert "\x00" not in stored["content"] and "\x00" not in stored["detail"]
    page = browser.conversation(cid)
    assert "Check the fuse box" in page and "crashed" in page

    # A whole streamed reply with both.
    upstream.queue(Stream(["Whole \x00reply ", "with\ud800 oddities."]))
    _response, events = browser.stream("And the dome light?", cid)
    assert events[-1][0] == "done"
    assert events[-1][1]["reply"].startswith("Whole reply with")
    assert "Whole reply with" in browser.conversation(cid)

    # In an error answer's message (JSON).
    upstream.queue(Error(400, "Bad \x00request\ud800 here"))
    response = browser.send_json("And the trunk light?", cid)
    assert response.status_code == 400
    assert "Bad request" in response.json()["error"]["message"]
    assert "Bad request" in browser.conversation(cid)
    assert [row["role"] for row in rows(migrated, cid)].count("user") == 3


# ---------------------------------------------------------------- 11. expired session, store down


@pytest.mark.parametrize("mode", ["json", "stream"])
def test_11_an_expired_session_recovers_with_a_fresh_token(openrouter, upstream, mode):
    browser = openrouter.browser()
    stale = browser.fresh_token()
    # The session idled out: the browser's cookie names one the store no longer has.
    [cookie] = [c for c in browser.session.cookies if c.name == "session"]
    cookie.value = uuid.uuid4().hex
    message = "Coolant smells sweet inside the cabin"

    def send(token: str):
        if mode == "json":
            return browser.post_json("/chat", {"message": message}, token=token)
        # As static/js/chat.js sends it: the form, with the token in the field and header.
        return browser.session.post(
            browser.base + "/chat",
            data={"message": message, "csrf_token": token},
            headers={"Accept": "text/event-stream", "X-CSRFToken": token},
            timeout=30,
        )

    refused = send(stale)
    assert refused.status_code == 400
    body = refused.json()
    assert body["error"]["kind"] == "csrf_failed"
    fresh = body["csrf_token"]
    assert fresh and fresh != stale
    assert upstream.chat_requests == []  # nothing was sent

    again = send(fresh)  # what the page's script does by itself, once
    assert again.status_code == 200, again.text[:500]
    if mode == "json":
        assert again.json()["status"] == "ok"
    else:
        assert parse_sse(again.text)[-1][0] == "done"
    assert len(upstream.chat_requests) == 1


def test_11_a_session_store_outage_is_named_keeps_the_draft_and_chats_go_on(servers, upstream):
    down = servers("redis-down")  # the server has a key of its own
    browser = down.browser()
    page = browser.get("/")
    assert page.status_code == 200
    assert "Sessions are unavailable right now" in page.text
    draft = "My transmission slips between second and third"

    # The page was drawn knowing: its token works without a session, and the chat goes on
    # with the server's key.
    upstream.queue(Reply("Check the transmission fluid level first."))
    sent = browser.send(draft)
    assert sent.status_code == 303, sent.text[:500]
    answered = browser.get(sent.headers["Location"]).text
    assert "Check the transmission fluid level first." in answered
    assert "Chats use this server's key meanwhile." in answered

    # A token from before the outage is refused in words, with one that works.
    stale = browser.post_json("/chat", {"message": draft}, token="stale-token")
    assert stale.status_code == 503
    error = stale.json()["error"]
    assert error["kind"] == "session_store_unavailable"
    assert "expired" not in error["message"].lower()
    upstream.queue(Reply("A worn clutch pack is likely."))
    again = browser.post_json("/chat", {"message": draft}, token=stale.json()["csrf_token"])
    assert again.status_code == 200 and again.json()["reply"] == "A worn clutch pack is likely."


# ---------------------------------------------------------------- 12. naming the upstream


@pytest.mark.parametrize(
    ("failure", "kind"),
    [
        (Error(401, "Invalid API Key"), "invalid_key"),
        (Error(402, "Insufficient balance"), "insufficient_credits"),
        (Error(400, "Invalid request: unknown field"), "bad_request"),
        (Error(429, "Too many requests", retry_after="30"), "rate_limited"),
        (Error(503, "Model is loading"), "provider_unavailable"),
    ],
    ids=lambda value: getattr(value, "status", value),
)
def test_12_a_local_model_server_is_named_by_its_host_and_port(servers, upstream, failure, kind):
    local = servers("local")
    host = urlsplit(upstream.url).netloc  # 127.0.0.1:port
    upstream.queue(failure)
    browser = local.browser()
    response = browser.send_json("Oil change interval?")
    error = response.json()["error"]
    assert error["kind"] == kind
    assert "openrouter" not in error["message"].lower(), error["message"]
    page = browser.conversation(response.json()["conversation_id"])
    assert "openrouter" not in page.split('<ol class="messages"', 1)[-1].lower()
    if kind in ("invalid_key", "bad_request", "rate_limited"):
        assert host in error["message"], error["message"]


@pytest.mark.parametrize("mode", ["json", "stream"])
def test_12_an_unreachable_model_server_is_named_by_its_host_and_port(servers, mode):
    down = servers("unreachable")
    browser = down.browser()
    if mode == "json":
        response = browser.send_json("Oil change interval?")
        assert response.status_code == 502
        error = response.json()["error"]
    else:
        _response, events = browser.stream("Oil change interval?")
        assert events[-1][0] == "error"
        error = events[-1][1]["error"]
    assert error["kind"] == "connection_error"
    assert error["message"].startswith("Could not reach 127.0.0.1:")
    assert "openrouter" not in error["message"].lower()
