"""Red flags and warning lights in the chat turn: stop advice first, online and offline.

The cards are decoded when the user's message is saved (chat/intake.py), shown under it
before any reply text, put into the model's system message (chat/context.py) and make
up the offline answer (automotive.facts.offline_answer).
"""

from __future__ import annotations

import json
import re

import pytest

from models import Message, db
from tests.support import conversation_id_from
from tests.support.fake_openrouter import Reply, Stream, ToolCalls

TOOL_MODEL = "openai/gpt-4o-mini"  # lists "tools" in the fake catalog
ISSUE_MESSAGES = (
    "oil pressure light came on",
    "temperature gauge in the red and steam from the hood",
    "brake pedal goes to the floor",
)


def cards_on(page: str) -> list[str]:
    return re.findall(r'<section class="fact fact-(\w+)', page)


def stored_facts(app, conversation_id: str) -> list[dict]:
    with app.app_context():
        message = db.session.scalars(
            db.select(Message).filter_by(conversation_id=conversation_id, role="user")
        ).one()
        return list(message.facts or [])


# ---------------------------------------------------------------- offline


@pytest.mark.parametrize("text", ISSUE_MESSAGES)
def test_offline_a_red_flag_gets_stop_now_advice_first_not_the_generic_notice(visitor, fake, text):
    body = visitor.send_json(text).get_json()
    assert body["status"] == "offline"
    reply = body["reply"]
    assert reply.startswith("**Offline answer** from the built-in tools.")
    first_item = reply.split("\n\n")[1]
    assert first_item.startswith("> [!CAUTION] Stop safely now\n> ### ")
    assert re.search(r"Pull over|Pump the brake pedal", first_item)
    # The notice on how to go online still follows, after the answer.
    assert reply.index("Stop safely now") < reply.index("no OpenRouter API key is set")
    assert fake.chat_requests == []


def test_offline_the_page_shows_the_red_card_first_and_the_caution_in_red(visitor, fake):
    response = visitor.send("oil pressure light came on")
    cid = conversation_id_from(response)
    page = visitor.get(f"/c/{cid}").get_data(as_text=True)
    assert cards_on(page) == ["red_flag", "warning_light"]
    assert re.search(
        r'class="fact fact-red_flag fact-warning".*?Oil pressure lost.*?'
        r"<strong>Stop:</strong> Pull over as soon as it is safe",
        page,
        re.S,
    )
    assert '<blockquote class="note note-caution">' in page
    assert "<strong>Stop safely now</strong>" in page


def test_offline_a_warning_light_described_in_words_is_answered(visitor, fake):
    reply = visitor.send_json("a tortoise appeared on my dashboard").get_json()["reply"]
    assert reply.startswith("**Offline answer**")
    assert "### Reduced power (tortoise / turtle) warning light" in reply
    assert "Stop safely now" not in reply  # amber: soon, not stop


def test_offline_a_long_scan_report_says_what_was_left_out(visitor, fake):
    codes = " ".join(f"P010{n}" for n in range(10))
    reply = visitor.send_json(f"scanner shows {codes}").get_json()["reply"]
    assert "**2 more trouble codes not shown.**" in reply
    assert "P0108, P0109" in reply


# ---------------------------------------------------------------- online


def test_online_the_red_flag_is_stored_and_reaches_the_model_first(app, keyed_visitor, fake):
    fake.queue(Reply("Stop the engine now; the oil pump may have failed."))
    body = keyed_visitor.send_json("oil pressure light came on").get_json()
    assert body["status"] == "ok"

    facts = stored_facts(app, body["conversation_id"])
    assert [fact["kind"] for fact in facts] == ["red_flag", "warning_light"]
    assert facts[0]["title"] == "Oil pressure lost"
    assert facts[0]["warning"].startswith("Pull over as soon as it is safe")
    assert facts[1]["warning"] is None  # one "stop" per emergency

    (request,) = fake.chat_requests
    system = request.messages[0]
    assert system["role"] == "system"
    assert "Open your answer with that advice" in system["content"]
    assert "RED FLAG: Oil pressure lost\nWARNING: Pull over" in system["content"]
    assert "Oil pressure warning light" in system["content"]
    assert system["content"].index("RED FLAG") < system["content"].index("Oil pressure warning")
    # The user's words go upstream as typed.
    assert request.messages[-1] == {"role": "user", "content": "oil pressure light came on"}


def test_streamed_the_red_card_arrives_before_any_reply_text(keyed_visitor, fake):
    fake.queue(Stream(["Pull over ", "now."]))
    response = keyed_visitor.send(
        "smoke coming from under the hood", headers={"Accept": "text/event-stream"}
    )
    events = response.get_data(as_text=True)
    first = events.split("\n\n")[0]
    assert first.startswith("event: conversation")
    html = json.loads(first.split("data: ", 1)[1])["html"]
    assert cards_on(html)[0] == "red_flag"
    assert "Smoke or fire" in html
    assert events.index("fact-red_flag") < events.index('"text"')


def test_a_calm_question_gets_no_red_flag(app, keyed_visitor, fake):
    body = keyed_visitor.send_json("how often should I change brake fluid").get_json()
    assert stored_facts(app, body["conversation_id"]) == []
    assert "RED FLAG" not in fake.chat_requests[0].messages[0]["content"]


def test_a_tool_model_can_ask_for_a_warning_light(keyed_visitor, fake):
    keyed_visitor.post("/settings", {"model": TOOL_MODEL}, source="/settings")
    fake.queue(
        ToolCalls([("explain_warning_light", '{"description": "horseshoe with an exclamation"}')]),
        Reply("That is the tire pressure light."),
    )
    body = keyed_visitor.send_json("there's a horseshoe thing with a ! on my dash").get_json()
    assert body["reply"] == "That is the tire pressure light."
    first, second = fake.chat_requests
    names = [tool["function"]["name"] for tool in first.body["tools"]]
    assert "explain_warning_light" in names
    (tool,) = [m for m in second.messages if m["role"] == "tool"]
    result = json.loads(tool["content"])
    assert result["found"] is True and result["lights"][0]["id"] == "tpms"
