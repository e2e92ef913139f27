"""Red-flag triage: the labelled set's floors, the categories, and the cards it puts first.

Behaviour, not timing: bench/red_flags.py prints the same figures in full.
"""

from __future__ import annotations

import re

import pytest

from automotive.facts import MAX_FACTS, facts_for, grounding_text, offline_answer
from automotive.triage import CATEGORIES, find_red_flags, is_red_flag
from automotive.warning_lights import LIGHTS
from tests.support.eval_questions import QUESTIONS
from tests.support.red_flag_messages import HELD_OUT, MESSAGES, NEGATIVES, POSITIVES, score

RECALL_FLOOR = 0.95
FALSE_ALARM_CEILING = 0.05


def flag_ids(text: str) -> list[str]:
    return [flag.id for flag in find_red_flags(text)]


# ---------------------------------------------------------------- the labelled set


def test_the_set_is_big_varied_and_balanced():
    assert len(MESSAGES) >= 100
    assert sum(m.red_flag for m in MESSAGES) >= 50
    assert sum(not m.red_flag for m in MESSAGES) >= 50
    assert {"en", "de", "fr", "es"} <= {m.language for m in MESSAGES}
    assert sum("typo" in m.note for m in MESSAGES) >= 3
    texts = [" ".join(m.text.casefold().split()) for m in MESSAGES]
    assert len(texts) == len(set(texts))
    for message in MESSAGES:
        assert (message.category in CATEGORIES) == message.red_flag, message.text


def test_the_issue_s_examples_are_in_the_set():
    labels = {m.text: m.red_flag for m in MESSAGES}
    for text in (
        "oil pressure light came on",
        "temperature gauge in the red and steam from the hood",
        "brake pedal goes to the floor",
    ):
        assert labels[text] is True
    for text in (
        "how often should I change brake fluid",
        "my brake pads squeal a bit",
        "smoke machine test for EVAP leak",
    ):
        assert labels[text] is False


def test_every_category_has_positives_in_the_set():
    assert {m.category for m in MESSAGES if m.red_flag} == set(CATEGORIES)


def test_recall_and_false_alarms_stay_within_their_floors():
    result = score(MESSAGES, flag_ids)
    assert result.recall >= RECALL_FLOOR, [m.text for m in result.misses]
    assert result.false_alarm_rate <= FALSE_ALARM_CEILING, [m.text for m in result.false_alarms]


def test_the_held_out_messages_are_not_worse_than_the_floors_allow():
    # Never tuned on: a floor that only the tuned sections meet would be a fit, not a rule.
    result = score(HELD_OUT, flag_ids)
    assert result.recall >= RECALL_FLOOR, [m.text for m in result.misses]
    assert len(result.false_alarms) <= 1, [m.text for m in result.false_alarms]


@pytest.mark.parametrize("message", POSITIVES, ids=lambda m: m.text[:40])
def test_each_tuned_positive_gets_its_category(message):
    assert message.category in flag_ids(message.text)


@pytest.mark.parametrize("message", NEGATIVES, ids=lambda m: m.text[:40])
def test_each_tuned_negative_stays_quiet(message):
    assert not is_red_flag(message.text)


def test_the_eval_set_s_red_flags():
    for question in QUESTIONS:
        assert is_red_flag(question.text) == question.red_flag, question.text


# ---------------------------------------------------------------- the rules


def test_negations_cancel_a_symptom_but_no_brakes_is_one():
    assert flag_ids("no smoke from the hood, just a smell") == []
    assert flag_ids("the engine is not overheating") == []
    assert flag_ids("I have no brakes") == ["brake_failure"]


def test_one_flag_per_emergency_however_often_it_is_described():
    assert flag_ids("oil pressure light came on, low oil pressure, oil pressure gone") == [
        "oil_pressure"
    ]


def test_several_emergencies_come_most_dangerous_first():
    assert flag_ids("temperature gauge in the red and now smoke from under the hood") == [
        "fire",
        "overheating",
    ]


def test_stop_level_lights_raise_their_emergency_and_others_do_not():
    assert flag_ids("red brake warning light came on") == ["brake_warning"]
    assert flag_ids("check engine light flashing") == ["engine_light"]
    assert flag_ids("check engine light on, steady") == []
    assert flag_ids("amber power steering light") == []
    # A stop-level light without an emergency category of its own still says stop.
    (flag,) = find_red_flags("red master warning light came on")
    assert flag.id == "light_master_warning"
    assert flag.lights == ("master_warning",)
    assert flag.warning == LIGHTS["master_warning"].action
    assert flag.label == "Master warning light"  # not "Master warning warning light"
    # The red transmission light has its own emergency, with its own advice.
    assert flag_ids("red transmission temperature light came on") == ["transmission_overheating"]


def test_a_pedal_that_sinks_is_brake_failure_before_the_red_brake_light():
    assert flag_ids("red BRAKE light and the pedal goes to the floor") == [
        "brake_failure",
        "brake_warning",
    ]
    assert flag_ids("the brake light is on and the pedal goes to the floor") == ["brake_failure"]
    assert flag_ids("is it normal for brakes to be a bit soft when cold?") == []
    assert flag_ids("my car won't stop beeping") == []


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("transmission overheating while towing", "transmission_overheating"),
        ("my automatic gearbox is overheating", "transmission_overheating"),
        ("gearbox overheating light", "transmission_overheating"),
        ("ATF temp warning", "transmission_overheating"),
        ("brakes overheating on a long downhill", "brake_fade"),
        ("battery overheating warning on my Leaf", "ev_fault"),
    ],
)
def test_hot_but_not_the_engine_gets_its_own_advice_not_the_coolant_one(text, category):
    flags = find_red_flags(text)
    assert [flag.id for flag in flags] == [category]
    advice = " ".join([flags[0].warning, *flags[0].steps])
    assert "radiator" not in advice and "heater to full hot" not in advice
    lights = [fact.title for fact in facts_for(text) if fact.kind == "warning_light"]
    assert not any("Coolant" in title or "Battery charging" in title for title in lights)


def test_turbo_overheating_gets_no_coolant_card():
    assert "overheating" not in flag_ids("turbo overheating")


def test_someone_else_s_emergency_or_a_question_is_not_one():
    for text in (
        "how to prevent brake failure",
        "my neighbour's car overheated yesterday",
        "I passed a car on fire on the highway, anyway what oil for a Civic",
        "can a loose gas cap cause a fuel smell?",
        "what is a blowout preventer",
        "how do I reset the oil light after an oil change",
    ):
        assert flag_ids(text) == [], text


def test_categories_are_complete():
    for flag in CATEGORIES.values():
        assert flag.label and flag.warning and flag.steps, flag.id
        assert all(light in LIGHTS for light in flag.lights), flag.id


# ---------------------------------------------------------------- cards, context, offline


def test_a_red_flag_card_comes_first_and_its_light_does_not_repeat_the_stop():
    facts = facts_for("oil pressure light came on")
    assert [fact.kind for fact in facts] == ["red_flag", "warning_light"]
    flag, light = facts
    assert flag.title == "Oil pressure lost"
    assert flag.warning.startswith("Pull over as soon as it is safe")
    assert light.warning is None  # the red flag above already says stop


@pytest.mark.parametrize(
    "text",
    [
        "oil pressure light came on",
        "temperature gauge in the red and steam from the hood",
        "brake pedal goes to the floor",
    ],
)
def test_offline_the_stop_advice_opens_the_answer(text):
    answer = offline_answer(facts_for(text))
    first, second = answer.split("\n\n")[:2]
    assert first.startswith("**Offline answer**")
    assert second.startswith("> [!CAUTION] Stop safely now\n> ### ")
    assert "[" in second and "(#fact-1)" in second


def test_the_model_is_told_to_open_with_the_stop_advice():
    text = grounding_text(facts_for("smoke coming from under the hood"))
    assert "Open your answer with that advice" in text
    assert "RED FLAG: Smoke or fire\nWARNING: Pull over" in text
    assert "Open your answer" not in grounding_text(facts_for("P0420"))


def test_a_red_flag_stays_first_before_codes_and_vins():
    facts = facts_for("P0420 on 1HGCM82633A004352 and the brake pedal goes to the floor")
    assert [fact.kind for fact in facts] == ["red_flag", "vin", "dtc"]
    answer = offline_answer(facts)
    assert answer.index("Stop safely now") < answer.index("### P0420")


# ---------------------------------------------------------------- nothing dropped silently


TEN_CODES = "P0100 P0101 P0102 P0103 P0104 P0105 P0106 P0107 P0108 P0109"


def test_ten_codes_get_eight_cards_and_a_note_naming_the_other_two():
    facts = facts_for(TEN_CODES)
    assert [fact.kind for fact in facts] == ["dtc"] * MAX_FACTS + ["note"]
    note = facts[-1]
    assert note.title == "2 more trouble codes not shown"
    assert "trouble codes P0108, P0109" in note.lines[0]
    answer = offline_answer(facts)
    assert answer.rstrip().endswith("Ask about them in another message, a few at a time.")
    assert "**2 more trouble codes not shown.**" in answer
    assert "P0108" in grounding_text(facts)  # the model hears it too


def test_a_red_flag_takes_a_place_and_the_note_counts_every_kind():
    facts = facts_for(
        f"brake pedal goes to the floor, {TEN_CODES}, can I fit 245/40R18 instead of 225/45R18?"
    )
    kinds = [fact.kind for fact in facts]
    assert kinds == ["red_flag"] + ["dtc"] * (MAX_FACTS - 1) + ["note"]
    note = facts[-1]
    assert note.title == "6 more items not shown"
    assert "trouble codes P0107, P0108, P0109; tire sizes 245/40R18, 225/45R18; " in note.lines[0]
    assert re.search(r"tire-size comparison 2\d5/4\dR18 → 2\d5/4\dR18\.", note.lines[0])


def test_no_note_when_everything_fits():
    assert all(fact.kind != "note" for fact in facts_for("P0420 and P0171"))
