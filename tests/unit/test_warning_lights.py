"""Dashboard warning lights: the registry, the finder on drivers' words, cards and the tool."""

from __future__ import annotations

import json

import pytest

from automotive.dtc import Severity
from automotive.facts import warning_light_fact
from automotive.tools import TOOL_NAMES, TOOL_SCHEMAS, run_tool
from automotive.warning_lights import (
    LIGHTS,
    VOCABULARY,
    Colour,
    explain_warning_light,
    find_warning_lights,
    normalise,
)
from tests.support.eval_questions import QUESTIONS

STOP, SOON, MONITOR = Severity.STOP, Severity.SOON, Severity.MONITOR
RED, AMBER, BLUE = Colour.RED, Colour.AMBER, Colour.BLUE


def found(text: str) -> list[tuple[str, Colour | None, bool | None, Severity]]:
    return [(m.light.id, m.colour, m.flashing, m.severity) for m in find_warning_lights(text)]


# ---------------------------------------------------------------- the registry


def test_the_issue_s_lights_are_all_there():
    wanted = {
        "oil_pressure", "coolant_temperature", "charging", "brake_system", "abs", "airbag",
        "power_steering", "tpms", "check_engine", "esc", "glow_plug", "dpf", "adblue",
        "ev_system", "reduced_power",
    }  # fmt: skip
    assert wanted <= set(LIGHTS)
    # Check engine: steady and flashing are different answers.
    engine = LIGHTS["check_engine"]
    assert engine.severity(AMBER, False) is SOON and engine.severity(AMBER, True) is STOP


def test_every_light_is_complete():
    for light in LIGHTS.values():
        assert light.name and light.symbol and light.meaning and light.action, light.id
        assert light.colours and light.patterns, light.id
        assert (light.flashing is None) == (light.flashing_severity is None) or (
            light.flashing and light.flashing_severity is None
        ), light.id
        assert light.usual is None or light.usual in light.colours, light.id
        json.dumps(light.to_dict())


def test_colours_follow_the_convention():
    # Amber never means stop (flashing aside); red means stop, except where the card says
    # why not: a dead alternator leaves battery time, a faulty airbag leaves a drivable car.
    red_but_not_stop = {"charging", "airbag", "adblue"}
    for light in LIGHTS.values():
        assert light.colours.get(AMBER) in (None, SOON, MONITOR), light.id
        if RED in light.colours and light.id not in red_but_not_stop:
            assert light.colours[RED] is STOP, light.id
    for light_id in red_but_not_stop:
        assert LIGHTS[light_id].colours[RED] is SOON


def test_an_unknown_colour_is_taken_at_its_word_only_when_red():
    oil_level = LIGHTS["oil_level"]  # amber only
    assert oil_level.severity(RED, None) is STOP
    assert oil_level.severity(BLUE, None) is SOON
    # Not said: the usual colour, else the worst.
    assert LIGHTS["master_warning"].severity(None, None) is SOON
    assert LIGHTS["brake_system"].severity(None, None) is STOP
    assert LIGHTS["oil_pressure"].severity(None, None) is STOP


# ---------------------------------------------------------------- the finder


@pytest.mark.parametrize(
    ("text", "light", "colour", "flashing", "severity"),
    [
        # names
        ("oil pressure light came on", "oil_pressure", None, None, STOP),
        ("check engine light is on", "check_engine", None, None, SOON),
        ("TPMS light on", "tpms", None, None, SOON),
        ("ABS light", "abs", None, None, SOON),
        ("airbag light stays on", "airbag", None, False, SOON),
        ("DPF light came on", "dpf", None, None, SOON),
        ("AdBlue warning on the dash", "adblue", None, None, SOON),
        ("glow plug light", "glow_plug", None, None, MONITOR),
        ("power steering warning light", "power_steering", None, None, SOON),
        ("check hybrid system", "ev_system", None, None, STOP),
        ("low fuel light", "low_fuel", None, None, MONITOR),
        # shapes, as drivers describe them
        ("red oil can", "oil_pressure", RED, None, STOP),
        ("yellow oil can on the dash", "oil_level", AMBER, None, SOON),
        ("genie lamp symbol lit up", "oil_pressure", None, None, STOP),
        ("thermometer in water light", "coolant_temperature", None, None, STOP),
        ("blue thermometer light on a cold morning", "coolant_temperature", BLUE, None, MONITOR),
        ("red battery symbol", "charging", RED, None, SOON),
        ("exclamation mark in a circle", "brake_system", None, None, STOP),
        ("the (!) light", "brake_system", None, None, STOP),
        ("horseshoe with exclamation", "tpms", None, None, SOON),
        ("coil light", "glow_plug", None, None, MONITOR),
        ("spring symbol flashing while driving", "glow_plug", None, True, SOON),
        ("tortoise on the dash", "reduced_power", None, None, SOON),
        ("turtle mode", "reduced_power", None, None, SOON),
        ("car with squiggly lines", "esc", None, None, SOON),
        ("car with squiggly lines flashing on ice", "esc", None, True, MONITOR),
        ("engine outline light", "check_engine", None, None, SOON),
        ("steering wheel with exclamation mark, red", "power_steering", RED, None, STOP),
        ("triangle with an exclamation mark", "master_warning", None, None, SOON),
        ("gear with thermometer light", "transmission_temperature", None, None, SOON),
        # flashing vs steady
        ("yellow engine light flashing", "check_engine", AMBER, True, STOP),
        ("check engine light blinking", "check_engine", None, True, STOP),
        ("check engine light steady", "check_engine", None, False, SOON),
        ("tpms light flashing then stays on", "tpms", None, True, SOON),
        # typos
        ("check engin light on", "check_engine", None, None, SOON),
        ("oil presure light", "oil_pressure", None, None, STOP),
        ("temprature warning light red", "coolant_temperature", RED, None, STOP),
        ("tire presure light keeps comming on", "tpms", None, None, SOON),
        ("batery light", "charging", None, None, SOON),
        # other languages, for the lights that matter most
        ("Öldruckkontrollleuchte leuchtet", "oil_pressure", None, None, STOP),
        ("Öllampe leuchtet rot", "oil_pressure", RED, None, STOP),
        ("Motorkontrollleuchte blinkt", "check_engine", None, True, STOP),
        ("Kühlmitteltemperatur Warnleuchte rot", "coolant_temperature", RED, None, STOP),
        ("Bremswarnleuchte leuchtet", "brake_system", None, None, STOP),
        ("voyant de pression d'huile allumé", "oil_pressure", None, None, STOP),
        ("le voyant moteur clignote", "check_engine", None, True, STOP),
        ("voyant de température rouge", "coolant_temperature", RED, None, STOP),
        ("voyant de frein allumé", "brake_system", None, None, STOP),
        ("se encendió la luz de presión de aceite", "oil_pressure", None, None, STOP),
        ("la luz del motor parpadea", "check_engine", None, True, STOP),
        ("testigo de temperatura en rojo", "coolant_temperature", RED, None, STOP),
        ("testigo de freno encendido", "brake_system", None, None, STOP),
        ("luz de la batería encendida", "charging", None, None, SOON),
        ("luz de frenos encendida", "brake_system", None, None, STOP),
        ("Batterieleuchte leuchtet", "charging", None, None, SOON),
        ("Batteriesymbol leuchtet rot", "charging", RED, None, SOON),
        ("Kühlmittelleuchte blinkt", "coolant_temperature", None, True, STOP),
        ("Motorleuchte gelb", "check_engine", AMBER, None, SOON),
        ("chek engin lite flashin", "check_engine", None, True, STOP),
        ("oil presure lite on", "oil_pressure", None, None, STOP),
        ("tmps light", "tpms", None, None, SOON),
        ("water in fuel light", "water_in_fuel", None, None, SOON),
        ("ATF temp warning", "transmission_temperature", None, None, SOON),
        ("battery overheating warning on my Leaf", "ev_system", None, None, STOP),
    ],
)
def test_descriptions_find_their_light(text, light, colour, flashing, severity):
    assert found(text) == [(light, colour, flashing, severity)]


def test_several_lights_in_one_message_in_order():
    assert [m.light.id for m in find_warning_lights("ABS and traction lights on")] == [
        "abs",
        "esc",
    ]
    matches = find_warning_lights("red oil light and a yellow check engine light")
    assert [(m.light.id, m.colour) for m in matches] == [
        ("oil_pressure", RED),
        ("check_engine", AMBER),
    ]


def test_look_alikes_are_settled_by_colour_then_words_then_safety():
    assert found("yellow oil light")[0][0] == "oil_level"
    assert found("red oil light")[0][0] == "oil_pressure"
    assert found("oil light came on")[0][0] == "oil_pressure"  # unclear: the urgent one
    assert found("oil level warning light")[0][0] == "oil_level"
    assert found("amber coolant light")[0][0] == "coolant_level"
    assert found("coolant light")[0][0] == "coolant_temperature"


@pytest.mark.parametrize(
    "text",
    [
        "How often should I change the oil?",
        "my brake lights are not working, is it the bulb?",
        "brake light bulb replacement",
        "Turtle Wax on the dashboard?",
        "ignition coil replacement cost",
        "coil springs sagging",
        "please check engine oil level",
        "oil change light is on, how do I reset it",
        "the oil light is not on, but the engine ticks",
        "no check engine light, but it shakes",
        "My laptop battery drains overnight",
        "Explain how a Tesla coil works",
        "red lights at the intersection",
        "Can I mix green and orange coolant?",
        "steering wheel vibrates at 70 mph",
        "Does DEF fluid freeze in winter?",
        "My car charger port light is green",
        "how do I reset the oil light after an oil change",
        "turbo overheating",
    ],
)
def test_words_that_are_not_a_dashboard_light(text):
    assert find_warning_lights(text) == []


def test_the_eval_set_s_lights_are_found():
    for question in QUESTIONS:
        ids = tuple(m.light.id for m in find_warning_lights(question.text))
        assert ids == question.lights, question.text


# ---------------------------------------------------------------- text handling


def test_normalise_keeps_the_symbols_drivers_type():
    assert normalise("Öldruck-Kontrollleuchte (!)") == "oldruck kontrollleuchte exclamation circle"
    assert normalise("Voyant allumé ⚠") == "voyant allume triangle exclamation"


@pytest.mark.parametrize(
    ("typo", "word"),
    [("presure", "pressure"), ("temprature", "temperature"), ("stearing", "steering"),
     ("enigne", "engine"), ("batery", "battery"), ("ligth", "light"), ("flahsing", "flashing")],
)  # fmt: skip
def test_typos_are_corrected_to_domain_words(typo, word):
    assert VOCABULARY.correct(typo) == word


@pytest.mark.parametrize(
    "word",
    ["fine", "rough", "rogue", "warming", "change", "fuses", "looked", "small", "flushing",
     "right", "night", "leaving", "wording", "start", "times", "spoke", "drifting"],
)  # fmt: skip
def test_real_words_are_never_corrected_into_triggers(word):
    assert VOCABULARY.correct(word) == word


# ---------------------------------------------------------------- cards


def test_a_card_says_meaning_colour_severity_and_what_to_do():
    (match,) = find_warning_lights("yellow oil can on the dash")
    fact = warning_light_fact(match)
    assert fact.kind == "warning_light" and fact.key == "Oil level"
    assert fact.title == "Oil level warning light (amber)"
    assert fact.warning is None
    assert fact.lines[0].startswith("What it means: The oil level")
    assert any(line.startswith("Severity: SOON") for line in fact.lines)
    assert any(line.startswith("What to do: At the next safe stop") for line in fact.lines)
    assert any(line.startswith("Symbol (ISO 2575): An oil can") for line in fact.lines)
    assert "If the oil can is red" in fact.lines[-1]


def test_a_stop_light_leads_with_what_to_do_unless_a_red_flag_says_it():
    (match,) = find_warning_lights("yellow engine light flashing")
    alone = warning_light_fact(match)
    assert alone.title == "Check engine warning light (flashing, amber)"
    assert alone.warning.startswith("Flashing: misfires")
    covered = warning_light_fact(match, covered=True)
    assert covered.warning is None
    assert any(line.startswith("What to do: Flashing: misfires") for line in covered.lines)


# ---------------------------------------------------------------- the tool


def test_the_tool_is_registered_with_a_schema():
    assert "explain_warning_light" in TOOL_NAMES
    (schema,) = [s for s in TOOL_SCHEMAS if s["function"]["name"] == "explain_warning_light"]
    parameters = schema["function"]["parameters"]
    assert parameters["required"] == ["description"]
    assert set(parameters["properties"]) == {"description", "colour", "flashing"}


def test_the_tool_explains_a_description():
    result = run_tool("explain_warning_light", '{"description": "red oil can"}', None)
    assert result["found"] is True
    (light,) = result["lights"]
    assert (light["id"], light["described_colour"], light["severity"]) == (
        "oil_pressure",
        "red",
        "stop",
    )
    tortoise = run_tool("explain_warning_light", '{"description": "tortoise"}', None)
    assert tortoise["lights"][0]["id"] == "reduced_power"


def test_the_tool_s_colour_and_flashing_override_the_words():
    result = explain_warning_light("engine light", colour="yellow", flashing=True)
    (light,) = result["lights"]
    assert (light["described_colour"], light["described_flashing"], light["severity"]) == (
        "amber",
        True,
        "stop",
    )


def test_the_tool_says_what_it_knows_when_nothing_matches():
    result = run_tool("explain_warning_light", '{"description": "a purple banana"}', None)
    assert result["found"] is False
    assert len(result["known_lights"]) == len(LIGHTS)


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ('{"description": "engine light", "colour": "purple"}', "unknown colour 'purple'"),
        ('{"description": "engine light", "flashing": "yes"}', "'flashing' must be true"),
        ('{"description": "engine light", "colour": 3}', "'colour' must be a string"),
        ("{}", "'description' must be a non-empty string"),
    ],
)
def test_bad_tool_arguments_go_back_as_errors(arguments, error):
    result = run_tool("explain_warning_light", arguments, None)
    assert error in result["error"]


def test_titles_never_double_the_word_warning():
    assert LIGHTS["master_warning"].title == "Master warning light"
    assert LIGHTS["oil_pressure"].title == "Oil pressure warning light"
    for light in LIGHTS.values():
        assert "warning warning" not in light.title.casefold(), light.id
        assert "light warning light" not in light.title.casefold(), light.id
