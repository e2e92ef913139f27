"""Recalls for my vehicle: the My vehicle page and the check_recalls tool, with a fake NHTSA."""

from __future__ import annotations

import json
import re
import time

import pytest

from models import db
from tests.support import TEST_REDIS_URL, Visitor, free_port
from tests.support.fake_nhtsa import FakeNhtsa, Outage, Slow, recall_entry
from tests.support.fake_openrouter import Reply, ToolCalls

TOOL_MODEL = "openai/gpt-4o-mini"  # lists "tools" in the fake catalog
UNREACHABLE = "NHTSA&#39;s recall service could not be reached; try again later."


@pytest.fixture(scope="module")
def nhtsa_server():
    server = FakeNhtsa()
    yield server
    server.close()


@pytest.fixture
def nhtsa(nhtsa_server):
    nhtsa_server.reset()
    return nhtsa_server


@pytest.fixture
def app(make_app, nhtsa):
    """The app, asking the fake NHTSA (the visitor fixtures use this one)."""
    return make_app(NHTSA_RECALLS_URL=nhtsa.url, RECALLS_TIMEOUT="1")


def save_vehicle(visitor, **fields):
    response = visitor.post("/vehicle", {"mileage_unit": "mi", **fields}, source="/vehicle")
    assert response.status_code == 303
    return response


def recalls_section(page: str) -> str:
    match = re.search(r'<section class="card recalls".*?</section>', page, re.S)
    assert match, "no recalls section"
    return match.group(0)


def text_of(html: str) -> str:
    words = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    return re.sub(r" ([.,])", r"\1", words)  # "Accord, <strong>1 urgent</strong>."


# ---------------------------------------------------------------- the My vehicle page


def test_the_page_lists_each_campaign_park_it_first(visitor, nhtsa):
    save_vehicle(visitor, year="2003", make="Honda", model="Accord", mileage="150000")
    section = recalls_section(visitor.get("/vehicle").get_data(as_text=True))
    text = text_of(section)
    assert "3 recalls for 2003 Honda Accord, 1 urgent." in text
    # The park-it campaign first, its warning before anything else about it.
    order = [section.index(f'id="recall-{c}"') for c in ("15V320000", "08V270000", "03V123000")]
    assert order == sorted(order)
    first = section[order[0] : order[1]]
    assert first.index("Park it: do not drive") < first.index("AIR BAGS")
    assert '<li class="recall recall-urgent" id="recall-15V320000">' in section
    assert "AIR BAGS › FRONTAL › DRIVER SIDE › INFLATOR MODULE" in first
    assert 'href="https://www.nhtsa.gov/recalls?nhtsaId=15V320000"' in first
    assert '<time datetime="2015-05-22">22 May 2015</time>' in first
    for label in ("Summary", "Consequence", "Remedy"):
        assert f"<dt>{label}</dt>" in first
    assert "inflator may rupture" in first and "Metal fragments" in first
    assert "Dealers will replace the driver&#39;s air bag inflator" in first
    others = section[order[1] :]
    assert "Park it" not in others
    assert "Dealers will replace the ignition switch" in others
    assert "checked" in text and "nhtsa.gov/recalls" in text
    (asked,) = nhtsa.recall_requests
    assert asked.params == {"make": "honda", "model": "accord", "modelYear": "2003"}


def test_nhtsa_text_is_escaped(visitor, nhtsa):
    nhtsa.add_vehicle(
        2018,
        "Acme",
        "Roadster",
        [recall_entry("18V666000", "<b>WIRING</b>", summary="<script>alert(1)</script> & more",
                      park_outside=True)],
    )  # fmt: skip
    save_vehicle(visitor, year="2018", make="Acme", model="Roadster")
    section = recalls_section(visitor.get("/vehicle").get_data(as_text=True))
    assert (
        "<script>alert(1)" not in section
        and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in section
    )
    assert "&lt;b&gt;WIRING&lt;/b&gt;" in section
    assert "Park outside: fire risk" in section and "1 recall</strong>" in section


def test_a_vehicle_nhtsa_does_not_list_has_no_recalls(visitor, nhtsa):
    save_vehicle(visitor, year="2016", make="Mazda", model="MX-5")
    text = text_of(recalls_section(visitor.get("/vehicle").get_data(as_text=True)))
    assert "No recalls found for 2016 Mazda MX-5." in text
    assert "MX-5 MIATA" in text  # how to find it under NHTSA's own name
    assert len(nhtsa.recall_requests) == 1


def test_the_second_view_is_served_from_the_cache(visitor, nhtsa):
    save_vehicle(visitor, year="2003", make="honda", model="ACCORD")
    for _ in range(3):
        assert "3 recalls for 2003 honda ACCORD" in text_of(
            visitor.get("/vehicle").get_data(as_text=True)
        )
    assert len(nhtsa.recall_requests) == 1


@pytest.mark.skipif(not TEST_REDIS_URL, reason="workers share the cache through Redis")
def test_every_worker_shares_the_cache_through_redis(make_app, nhtsa, visitor):
    save_vehicle(visitor, year="2003", make="Honda", model="Accord")
    visitor.get("/vehicle")
    other = make_app(NHTSA_RECALLS_URL=nhtsa.url)  # another worker: its own memory, same Redis
    owner = visitor.client.get_cookie("owner")
    second = other.test_client()
    second.set_cookie(owner.key, owner.value)
    assert "3 recalls" in second.get("/vehicle").get_data(as_text=True)
    assert len(nhtsa.recall_requests) == 1


def test_an_unreachable_service_is_said_plainly(make_app, nhtsa):
    app = make_app(NHTSA_RECALLS_URL=f"http://127.0.0.1:{free_port()}")
    visitor = Visitor(app.test_client())
    save_vehicle(visitor, year="2003", make="Honda", model="Accord")
    response = visitor.get("/vehicle")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    section = recalls_section(page)
    assert UNREACHABLE in section and 'role="status"' in section
    assert "Traceback" not in page and "ConnectionError" not in page
    assert 'id="vehicle-form"' in page  # the rest of the page is whole


def test_a_timeout_is_said_plainly_and_not_retried_on_every_view(visitor, nhtsa):
    save_vehicle(visitor, year="2003", make="Honda", model="Accord")
    nhtsa.fail_next(Slow(2))
    started = time.monotonic()
    page = visitor.get("/vehicle").get_data(as_text=True)
    assert time.monotonic() - started < 1.9  # RECALLS_TIMEOUT is 1 s
    assert "did not answer in time; try again later." in recalls_section(page)
    visitor.get("/vehicle")
    assert len(nhtsa.recall_requests) == 1  # the failure is remembered for a minute


def test_a_stale_answer_is_shown_with_a_note_while_nhtsa_is_down(app, visitor, nhtsa):
    save_vehicle(visitor, year="2003", make="Honda", model="Accord")
    visitor.get("/vehicle")
    service = app.extensions["recalls"]
    service.clock = lambda: time.time() + 2 * 86400  # two days later
    nhtsa.fail_next(Outage(503), Outage(503))
    section = recalls_section(visitor.get("/vehicle").get_data(as_text=True))
    assert 'class="notice recalls-stale"' in section
    assert UNREACHABLE in section and "Below: what it listed on" in section
    assert "3 recalls for 2003 Honda Accord" in text_of(section)


@pytest.mark.parametrize(
    ("fields", "needed"),
    [
        ({}, "Save the model year, make and model above"),
        ({"make": "Honda"}, "Save the model year and model above"),
        ({"year": "2003", "make": "Honda", "engine": "2.4L"}, "Save the model above"),
    ],
)
def test_without_year_make_and_model_the_page_says_what_is_needed(visitor, nhtsa, fields, needed):
    if fields:
        save_vehicle(visitor, **fields)
    text = text_of(recalls_section(visitor.get("/vehicle").get_data(as_text=True)))
    assert needed in text
    assert nhtsa.asked == []


def test_no_database_connection_is_held_while_nhtsa_answers(app, visitor, nhtsa):
    save_vehicle(visitor, year="2003", make="Honda", model="Accord")
    with app.app_context():
        engine = db.engine
    held = []
    nhtsa.on_request = lambda _asked: held.append(engine.pool.checkedout())
    visitor.get("/vehicle")
    assert held == [0]


def test_a_form_error_does_not_ask_nhtsa(visitor, nhtsa):
    response = visitor.post("/vehicle", {"year": "20x3", "make": "Honda"}, source="/vehicle")
    assert response.status_code == 400
    assert 'id="recalls"' not in response.get_data(as_text=True)
    assert nhtsa.asked == []


# ---------------------------------------------------------------- the check_recalls tool


@pytest.fixture
def tool_visitor(keyed_visitor):
    keyed_visitor.post("/settings", {"model": TOOL_MODEL}, source="/settings")
    return keyed_visitor


def tool_results(request) -> list[dict]:
    return [json.loads(m["content"]) for m in request.messages if m["role"] == "tool"]


def test_the_model_checks_the_saved_vehicle_through_the_tool(tool_visitor, fake, nhtsa):
    save_vehicle(tool_visitor, year="2003", make="Honda", model="Accord")
    fake.queue(
        ToolCalls([("check_recalls", "{}")]),
        Reply("Your Accord has an open air bag recall: do not drive it until it is fixed."),
    )
    body = tool_visitor.send_json("Any recalls on my car?").get_json()
    assert body["status"] == "ok"
    first, second = fake.chat_requests
    assert "check_recalls" in [tool["function"]["name"] for tool in first.body["tools"]]
    (result,) = tool_results(second)
    assert result["vehicle"] == "2003 Honda Accord" and result["count"] == 3
    assert result["recalls"][0]["campaign"] == "15V320000"
    assert result["recalls"][0]["park_it"] == "DO NOT DRIVE until repaired"
    page = tool_visitor.get(f"/c/{body['conversation_id']}").get_data(as_text=True)
    assert "Used 1 tool call: check_recalls" in page
    # The page and the tool share the cache.
    tool_visitor.get("/vehicle")
    assert len(nhtsa.recall_requests) == 1


def test_a_streamed_turn_runs_the_tool_beside_the_request(tool_visitor, fake, nhtsa):
    fake.queue(
        ToolCalls([("check_recalls", '{"year": 2016, "make": "Mazda", "model": "MX-5 Miata"}')]),
        Reply("NHTSA lists none."),
    )
    response = tool_visitor.send("Recalls on a 2016 MX-5?", headers={"Accept": "text/event-stream"})
    assert "event: done" in response.get_data(as_text=True)
    (result,) = tool_results(fake.chat_requests[1])
    assert result["count"] == 0 and result["vehicle"] == "2016 Mazda MX-5 Miata"


def test_the_tool_tells_the_model_when_nhtsa_cannot_be_reached(tool_visitor, fake, nhtsa):
    save_vehicle(tool_visitor, year="2003", make="Honda", model="Accord")
    nhtsa.fail_next(Outage(503), Outage(503))
    fake.queue(ToolCalls([("check_recalls", "{}")]), Reply("I could not check recalls just now."))
    assert tool_visitor.send_json("Any recalls?").get_json()["status"] == "ok"
    (result,) = tool_results(fake.chat_requests[1])
    assert result == {
        "error": "NHTSA's recall service could not be reached; try again later.",
        "vehicle": "2003 Honda Accord",
    }
