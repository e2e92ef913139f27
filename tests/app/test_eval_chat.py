"""The staying-on-topic evaluation set sent through the app, question by question.

Every question of tests/support/eval_questions.py goes through POST /chat: with a key, each
reaches the model as typed (nothing is filtered out); without one, each gets the built-in
tools' answer or the offline notice. The set itself is checked in tests/unit/test_eval_set.py.
"""

from __future__ import annotations

from automotive.prompts import SYSTEM_PROMPT
from tests.support.eval_questions import QUESTIONS


def test_no_car_question_is_refused_every_one_reaches_the_model(keyed_visitor, fake):
    """No pre-filter: every question goes upstream as typed, under the on-topic prompt."""
    refused = []
    for question in QUESTIONS:
        response = keyed_visitor.send_json(question.text)
        body = response.get_json()
        sent = fake.chat_requests[-1].messages if fake.chat_requests else []
        if (
            response.status_code != 200
            or body["status"] != "ok"
            or not sent
            or sent[-1] != {"role": "user", "content": question.text}
        ):
            refused.append((question.text, response.status_code, body.get("status")))
            continue
        system = sent[0]["content"]
        # Staying on topic is the model's job, asked of it in every request.
        assert system.startswith(SYSTEM_PROMPT)
        assert "do not refuse questions that are about vehicles" in system
    assert refused == []
    assert len(fake.chat_requests) == len(QUESTIONS)


def test_offline_every_question_is_answered_from_the_tools_or_told_how_to_go_online(visitor, fake):
    for question in QUESTIONS:
        body = visitor.send_json(question.text).get_json()
        assert body["status"] == "offline", question.text
        reply = body["reply"]
        has_entities = (
            bool(question.vins or question.dtcs or question.tires or question.lights)
            or question.red_flag
        )
        if has_entities:
            assert reply.startswith("**Offline answer**"), question.text
            if question.red_flag:  # the stop advice comes before anything else
                second = reply.split("\n\n")[1]
                assert second.startswith("> [!CAUTION] Stop safely now"), question.text
            for code in question.dtcs:
                assert f"### {code}:" in reply, (question.text, code)
            for vin in question.vins:
                assert f"### VIN {vin}" in reply, (question.text, vin)
        else:
            assert reply.startswith("**The assistant is offline:**"), question.text
        assert "Settings" in reply  # where to add a key
    assert fake.chat_requests == []
