"""Car knowledge in the chat: the visitor's vehicle, fact cards, model tools, offline answers."""

from __future__ import annotations

import json
import re

import pytest

from automotive.prompts import SYSTEM_PROMPT
from automotive.tools import TOOL_NAMES
from chat.tool_rounds import MAX_TOOL_ROUNDS
from tests.support import conversation_id_from
from tests.support.fake_openrouter import Error, Raw, Reply, Stream, ToolCalls

TOOL_MODEL = "openai/gpt-4o-mini"  # lists "tools" in the fake catalog
PLAIN_MODEL = "deepseek/deepseek-chat-v3-0324:free"  # does not


def save_vehicle(visitor, **fields):
    data = {"mileage_unit": "mi", **fields}
    return visitor.post("/vehicle", data, source="/vehicle")


def system_prompt(request) -> str:
    assert request.messages[0]["role"] == "system"
    return request.messages[0]["content"]


def tool_messages(request) -> list[dict]:
    return [m for m in request.messages if m["role"] == "tool"]


# ---------------------------------------------------------------- my vehicle


def test_saved_vehicle_shows_in_the_chat_header_and_reaches_the_system_prompt(keyed_visitor, fake):
    response = save_vehicle(
        keyed_visitor, year="2016", make="Mazda", model="MX-5", engine="2.0L", mileage="84,000"
    )
    assert response.status_code == 303
    page = keyed_visitor.get("/").get_data(as_text=True)
    assert "2016 Mazda MX-5 · 2.0L · 84,000 mi" in page

    keyed_visitor.send("When should I change the spark plugs?")
    prompt = system_prompt(fake.chat_requests[0])
    assert prompt.startswith(SYSTEM_PROMPT)
    for line in ("- Year: 2016", "- Make: Mazda", "- Model: MX-5", "- Engine: 2.0L"):
        assert line in prompt
    assert "- Mileage: 84,000 mi" in prompt


def test_a_vin_alone_fills_year_make_and_model(visitor):
    response = save_vehicle(visitor, vin="jm1ndab71g0100001")
    assert response.status_code == 303
    page = visitor.get("/vehicle").get_data(as_text=True)
    assert "The VIN decodes to a 2016 Mazda MX-5 Sport/GX." in page
    assert 'value="JM1NDAB71G0100001"' in page
    assert 'value="Mazda"' in page and 'value="2016"' in page


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [
        ({"year": "16"}, "year", "four-digit model year"),
        ({"make": "Ford", "mileage": "lots"}, "mileage", "whole number"),
        ({"make": "Ford", "mileage": "8²"}, "mileage", "whole number"),
        ({"make": "Ford", "mileage": "9" * 5000}, "mileage", "whole number"),
        ({"vin": "1HGCM82613A004352"}, "vin", "should be 3"),
        ({"vin": "1HGCM82633A00435"}, "vin", "this has 16"),
        ({"make": "x" * 61}, "make", "limited to 60"),
        ({}, "make", "at least one field"),
    ],
)
def test_bad_vehicle_fields_are_named_and_the_form_keeps_its_values(visitor, fields, field, reason):
    response = save_vehicle(visitor, model="Civic", **fields)
    page = response.get_data(as_text=True) if fields else None
    if not fields:
        response = visitor.post("/vehicle", {"mileage_unit": "mi"}, source="/vehicle")
        page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'id="{field}-error"' in page and reason in page
    if fields:
        assert 'value="Civic"' in page  # nothing typed is lost


def test_control_characters_are_dropped_not_fatal(visitor):
    assert save_vehicle(visitor, make="Ford\x00", model="F-150\x07 Lariat").status_code == 303
    assert "Ford F-150 Lariat" in visitor.get("/").get_data(as_text=True)


def test_vehicle_is_per_owner_and_can_be_forgotten(make_app, fake):
    from tests.support import Visitor

    app = make_app()
    alice, bob = Visitor(app.test_client()), Visitor(app.test_client())
    save_vehicle(alice, year="2008", make="Subaru", model="Impreza WRX")
    assert "Subaru" not in bob.get("/").get_data(as_text=True)
    assert "2008 Subaru Impreza WRX" in alice.get("/").get_data(as_text=True)
    alice.post("/vehicle/forget", source="/vehicle")
    assert "Add your vehicle" in alice.get("/").get_data(as_text=True)


# ---------------------------------------------------------------- grounding


def test_codes_vins_and_tire_sizes_become_fact_cards_and_context(keyed_visitor, fake):
    text = "P0524 and P0420 on 1HGCM82633A004352, also fitting 225/45R17 94W"
    cid = conversation_id_from(keyed_visitor.send(text))
    prompt = system_prompt(fake.chat_requests[0])
    assert "tools" not in fake.chat_requests[0].body  # a model without tool support
    assert "Facts the app decoded" in prompt
    assert "VIN 1HGCM82633A004352: 2003 Honda Accord EX-V6" in prompt
    assert "P0524: Engine Oil Pressure Too Low" in prompt
    assert "P0420:" in prompt
    assert "Tire size 225/45R17 94W" in prompt and "Load index 94: up to 670 kg" in prompt
    # The message itself goes upstream as typed.
    assert fake.chat_requests[0].messages[-1] == {"role": "user", "content": text}

    page = keyed_visitor.get(f"/c/{cid}").get_data(as_text=True)
    cards = re.findall(r'<section class="fact fact-(\w+)', page)
    assert cards == ["vin", "dtc", "dtc", "tire"]
    # Low oil pressure is a stop-driving warning, shown first on its card.
    assert re.search(r"fact-warning.*?P0524.*?Stop:", page, re.S)


def test_two_tire_sizes_are_compared(keyed_visitor, fake):
    keyed_visitor.send("Can I put 245/40R18 instead of 225/45R18?")
    prompt = system_prompt(fake.chat_requests[0])
    assert "Tire sizes compared: 225/45R18 → 245/40R18" in prompt
    assert "Within the usual ±3% diameter tolerance" in prompt


def test_a_message_without_car_identifiers_adds_no_facts(keyed_visitor, fake):
    keyed_visitor.send("My brakes squeal in the morning")
    assert system_prompt(fake.chat_requests[0]) == SYSTEM_PROMPT


def test_streamed_turn_sends_the_stored_message_with_its_cards_first(keyed_visitor, fake):
    fake.queue(Stream(["Likely ", "the cat."]))
    response = keyed_visitor.send("P0420 again", headers={"Accept": "text/event-stream"})
    body = response.get_data(as_text=True)
    first = body.split("\n\n")[0]
    assert first.startswith("event: conversation")
    html = json.loads(first.split("data: ", 1)[1])["html"]
    assert "fact fact-dtc" in html and "P0420" in html


# ---------------------------------------------------------------- tools


@pytest.fixture
def tool_visitor(keyed_visitor):
    keyed_visitor.post("/settings", {"model": TOOL_MODEL}, source="/settings")
    return keyed_visitor


def test_tool_models_get_the_schemas_and_the_loop_feeds_results_back(tool_visitor, fake):
    fake.queue(
        ToolCalls([("decode_vin", '{"vin": "1HGCM82633A004352"}')]),
        Reply("That is a 2003 Honda Accord EX-V6."),
    )
    response = tool_visitor.send_json("What car is 1HGCM82633A004352?")
    assert response.status_code == 200
    body = response.get_json()
    assert body["reply"] == "That is a 2003 Honda Accord EX-V6."
    # Both rounds counted.
    assert body["usage"]["prompt_tokens"] == 30 + 42

    first, second = fake.chat_requests
    names = [tool["function"]["name"] for tool in first.body["tools"]]
    assert names == list(TOOL_NAMES)
    # The facts already decoded are handed over too, in case the model skips its tools.
    assert "VIN 1HGCM82633A004352: 2003 Honda Accord EX-V6" in system_prompt(first)
    assert second.messages[-2]["role"] == "assistant" and second.messages[-2]["tool_calls"]
    (tool,) = tool_messages(second)
    result = json.loads(tool["content"])
    assert (result["make"], result["model"], result["model_year"]) == ("Honda", "Accord", 2003)
    assert tool["tool_call_id"] == second.messages[-2]["tool_calls"][0]["id"]

    page = tool_visitor.get(f"/c/{body['conversation_id']}").get_data(as_text=True)
    assert "Used 1 tool call: decode_vin" in page
    assert "&#34;model&#34;: &#34;Accord&#34;" in page  # readable, and escaped


def test_bad_tool_calls_go_back_to_the_model_as_errors(tool_visitor, fake):
    fake.queue(
        ToolCalls(
            [
                ("explain_dtc", '{"code": "P04X0"}'),
                ("open_the_pod_bay_doors", "{}"),
                ("decode_tire_size", '{"size": '),  # broken JSON
                ("get_my_vehicle", ""),
            ]
        ),
        Reply("Let me answer without those."),
    )
    body = tool_visitor.send_json("help").get_json()
    assert body["status"] == "ok"
    results = [json.loads(m["content"]) for m in tool_messages(fake.chat_requests[1])]
    assert "not a trouble code" in results[0]["error"]
    assert "Unknown tool 'open_the_pod_bay_doors'" in results[1]["error"]
    assert "not valid JSON" in results[2]["error"]
    assert results[3] == {
        "saved": False,
        "note": "The user has not saved a vehicle in 'My vehicle'.",
    }


def test_get_my_vehicle_returns_the_saved_profile(tool_visitor, fake):
    save_vehicle(tool_visitor, year="2019", make="Tesla", model="Model 3", mileage="30000")
    fake.queue(ToolCalls([("get_my_vehicle", "{}")]), Reply("Your Model 3..."))
    tool_visitor.send_json("How is my car?")
    (tool,) = tool_messages(fake.chat_requests[1])
    assert json.loads(tool["content"]) == {
        "saved": True,
        "year": 2019,
        "make": "Tesla",
        "model": "Model 3",
        "mileage": 30000,
        "mileage_unit": "mi",
    }


def test_a_runaway_tool_loop_is_cut_off_with_a_clear_error(make_app, fake):
    from tests.support import CANARY_KEY, Visitor

    visitor = Visitor(make_app().test_client())
    visitor.save_key(CANARY_KEY, model=TOOL_MODEL)
    fake.default = lambda: ToolCalls([("explain_dtc", '{"code": "P0171"}')])
    try:
        response = visitor.send_json("P0171?")
    finally:
        fake.default = None
    assert response.status_code == 502
    body = response.get_json()
    assert body["error"]["kind"] == "tool_loop"
    assert "kept calling tools" in body["error"]["message"]
    requests = fake.chat_requests
    assert len(requests) == MAX_TOOL_ROUNDS + 1
    assert [r.body.get("tool_choice") for r in requests] == [None] * MAX_TOOL_ROUNDS + ["none"]
    page = visitor.get(f"/c/{body['conversation_id']}").get_data(as_text=True)
    assert f"Used {MAX_TOOL_ROUNDS} tool calls" in page


def test_streamed_tool_calls_are_assembled_and_shown(tool_visitor, fake):
    fake.queue(
        ToolCalls([("compare_tire_sizes", '{"current": "225/45R17", "new": "235/45R17"}')],
                  text="Checking. "),
        Stream(["It is ", "2.9% taller."]),
    )  # fmt: skip
    response = tool_visitor.send(
        "Compare 225/45R17 and 235/45R17", headers={"Accept": "text/event-stream"}
    )
    events = response.get_data(as_text=True)
    assert 'event: tools\ndata: {"names":["compare_tire_sizes"]}' in events
    done = json.loads(events.split("event: done\ndata: ", 1)[1].split("\n\n")[0])
    # Each round's words are a paragraph of the reply, streamed and stored alike.
    assert done["reply"] == "Checking.\n\nIt is 2.9% taller."
    deltas = [
        json.loads(line[6:])["text"]
        for line in events.splitlines()
        if line.startswith('data: {"text"')
    ]
    assert "".join(deltas).split() == done["reply"].split()
    assert "".join(deltas).count("\n\n") == 1
    (tool,) = tool_messages(fake.chat_requests[1])
    assert json.loads(tool["content"])["diameter_difference_mm"] == 9.0
    assert "Used 1 tool call: compare_tire_sizes" in done["html"]


# ---------------------------------------------------------------- offline


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("what does p0420 mean", "P0420:"),
        ("decode 1HGCM82633A004352 please", "2003 Honda Accord EX-V6"),
        ("is 205/55 ZR16 ok for my golf", "Tire size 205/55 ZR16"),
    ],
)
def test_without_a_key_car_identifiers_still_get_real_offline_answers(
    visitor, fake, text, expected
):
    body = visitor.send_json(text).get_json()
    assert body["status"] == "offline"
    assert body["reply"].startswith("**Offline answer** from the built-in tools.")
    assert expected in body["reply"]
    assert "no OpenRouter API key is set" in body["reply"]
    assert fake.chat_requests == []


def test_without_a_key_other_questions_get_the_offline_notice(visitor, fake):
    body = visitor.send_json("Is a Miata reliable?").get_json()
    assert body["status"] == "offline"
    assert body["reply"].startswith("**The assistant is offline:**")
    assert "Offline answer" not in body["reply"]


def test_rounds_already_answered_are_still_counted_when_a_later_one_fails(tool_visitor, fake):
    fake.queue(ToolCalls([("explain_dtc", '{"code": "P0420"}')]), Error(503, "No provider"))
    body = tool_visitor.send_json("P0420?").get_json()
    assert body["error"]["kind"] == "provider_unavailable"
    # The first round was answered (and billed): its tokens stay on the failed reply.
    assert body["usage"]["prompt_tokens"] == 30 and body["usage"]["completion_tokens"] == 8
    page = tool_visitor.get(f"/c/{body['conversation_id']}").get_data(as_text=True)
    assert "Used 1 tool call: explain_dtc" in page


def test_reasoning_details_are_sent_back_with_the_tool_calls(tool_visitor, fake):
    details = [{"type": "reasoning.encrypted", "data": "opaque-state", "id": "r1"}]
    fake.queue(
        Raw(
            200,
            json.dumps(
                {
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": "tool_calls",
                            "message": {
                                "role": "assistant",
                                "content": None,
                                "reasoning_details": details,
                                "tool_calls": [
                                    {
                                        "id": "call_1",
                                        "type": "function",
                                        "function": {"name": "get_my_vehicle", "arguments": "{}"},
                                    }
                                ],
                            },
                        }
                    ]
                }
            ).encode(),
            "application/json",
        ),
        Reply("No vehicle saved yet."),
    )
    tool_visitor.send_json("what do I drive?")
    assistant = fake.chat_requests[1].messages[-2]
    assert assistant["reasoning_details"] == details


def test_tool_rounds_share_one_read_timeout(make_app, fake):
    from tests.support import CANARY_KEY, Visitor

    visitor = Visitor(
        make_app(OPENROUTER_READ_TIMEOUT="2", OPENROUTER_CONNECT_TIMEOUT="1").test_client()
    )
    visitor.save_key(CANARY_KEY, model=TOOL_MODEL)
    fake.default = lambda: ToolCalls([("explain_dtc", '{"code": "P0171"}')], delay=0.8)
    try:
        body = visitor.send_json("P0171?").get_json()
    finally:
        fake.default = None
    assert body["error"]["kind"] == "timeout"
    assert "rounds of tool calls took over 2 s" in body["error"]["message"]
    # Cut off by time, well before the round limit would have stopped it.
    assert len(fake.chat_requests) < MAX_TOOL_ROUNDS


def test_a_tool_that_crashes_is_told_to_the_model_not_the_visitor(tool_visitor, fake, monkeypatch):
    # A bug inside a decoder must not end the turn: the model hears that the tool failed.
    import dataclasses

    from automotive import tools

    def broken(args, vehicle):
        raise RuntimeError("decoder bug")

    crashing = dataclasses.replace(tools._BY_NAME["decode_vin"], run=broken)
    monkeypatch.setitem(tools._BY_NAME, "decode_vin", crashing)
    fake.queue(
        ToolCalls([("decode_vin", '{"vin": "JTNB23HK203029472"}')]),
        Reply("I could not decode it here; the 11th character is the plant."),
    )
    response = tool_visitor.send("What is JTNB23HK203029472?")
    assert response.status_code == 303
    tool_message = fake.chat_requests[-1].messages[-1]
    assert tool_message["role"] == "tool"
    assert "failed inside the app" in tool_message["content"]
    page = tool_visitor.get(response.headers["Location"]).get_data(as_text=True)
    assert "the 11th character is the plant" in page


@pytest.mark.parametrize("vin", ["JTNB23HK203029472", "WVWZZZ1JZXW000001", "JM3KE4BY1G0636881"])
def test_vins_from_any_market_are_answered_in_chat_and_my_vehicle(keyed_visitor, fake, vin):
    # Issue 15, item 1: a European-market Toyota used to end in a 500 with the message lost.
    fake.queue(Reply("Here is what the VIN says."))
    response = keyed_visitor.send(f"What car is {vin}?")
    assert response.status_code == 303
    page = keyed_visitor.get(response.headers["Location"]).get_data(as_text=True)
    assert f"What car is {vin}?" in page and f"VIN {vin}" in page
    saved = save_vehicle(keyed_visitor, vin=vin)
    assert saved.status_code in (303, 400)
    if saved.status_code == 400:  # a mistyped VIN is refused with the reason, form kept
        assert "check digit" in saved.get_data(as_text=True).lower()
