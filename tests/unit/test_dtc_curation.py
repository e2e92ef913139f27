"""The curated trouble-code entries (issue 15): severity labels that agree with their text,
the technician's corrections, and the safety-relevant codes all curated."""

from __future__ import annotations

import re

import pytest

from automotive.dtc import DTC_TABLE, Severity
from automotive.dtc_titles import TITLES

ENTRIES = list(DTC_TABLE.values())

# An order to stop: the clause starts with it ("Pull over safely...", "Don't drive on...").
_STOP_ORDER = re.compile(
    r"^(?:and |then )?(?:pull over|stop\b|don't drive|do not drive|"
    r"switch (?:the engine |it )?off\b(?! non)|have (?:the car|it) towed|steer to a safe place)",
    re.IGNORECASE,
)
# A condition before the order makes it conditional ("If the light flashes, pull over"); so
# does "if" inside the order's own clause ("stop if the gauge climbs"). A flashing light is a
# condition too: the code alone never says that the light flashes.
_CONDITION_BEFORE = re.compile(r"\b(?:if|unless|when|whenever|otherwise|should|flash\w*)\b", re.I)
_CONDITION_INSIDE = re.compile(r"\b(?:if|unless)\b", re.IGNORECASE)


def _sentences(text: str) -> list[str]:
    return [sentence for sentence in re.split(r"(?<=[.!?])\s+", text) if sentence]


def _is_stop_order(sentence: str) -> bool:
    """Tell whether a sentence tells the driver, without condition, to stop driving."""
    before = ""
    for clause in re.split(r"[,;:]\s+", sentence):
        if _STOP_ORDER.match(clause):
            return not _CONDITION_BEFORE.search(before) and not _CONDITION_INSIDE.search(clause)
        before += f"{clause} "
    return False


@pytest.mark.parametrize(
    ("sentence", "is_order"),
    [
        ("Pull over safely and switch the engine off now: it can overheat.", True),
        ("Don't drive on: stop as soon as it is safe and have the car towed.", True),
        ("Pull over when it is safe and switch off, then let the engine cool.", True),
        ("If the light starts flashing, pull over safely and switch off.", False),
        ("Get it checked soon, and stop if the check-engine light starts flashing.", False),
        ("Switch off non-essential loads (heated seats) and get it checked soon.", False),
        # The misfire text a technician caught under a "stop" label: it only says stop for a
        # flashing light, and lets a steady light drive on.
        (
            "A flashing check-engine light means an active, severe misfire: pull over safely "
            "and switch off.",
            False,
        ),
    ],
)
def test_stop_order_reader(sentence, is_order):
    assert _is_stop_order(sentence) is is_order


@pytest.mark.parametrize("entry", ENTRIES, ids=[entry.code for entry in ENTRIES])
def test_stop_label_if_and_only_if_the_text_says_stop_driving(entry):
    sentences = _sentences(entry.drive_guidance)
    if entry.severity is Severity.STOP:
        # The first thing a driver reads is the order to stop.
        assert _is_stop_order(sentences[0]), entry.drive_guidance
    else:
        # "Soon" and "monitor" may say when to stop (a flashing light, a red warning), but
        # never to stop unconditionally.
        assert not any(_is_stop_order(sentence) for sentence in sentences), entry.drive_guidance
        assert not re.search(r"\b(?:stop driving|pull over) now\b", entry.drive_guidance, re.I)


# --- The technician's corrections ------------------------------------------------------------

PEDAL_CODES = [f"P{n}" for n in range(2120, 2135)] + ["P2138", "P2139", "P2140"]


@pytest.mark.parametrize("code", PEDAL_CODES)
def test_pedal_position_codes_start_at_the_pedal(code):
    # "D", "E" and "F" are the accelerator pedal's sensors: the throttle body is not the
    # first cause or the first check.
    entry = DTC_TABLE[code]
    assert "throttle" not in entry.causes[0].lower()
    assert "pedal" in entry.causes[0].lower()
    assert "throttle" not in entry.check_first[0].lower()
    assert "pedal" in entry.check_first[0].lower()


def test_throttle_correlation_still_starts_at_the_throttle():
    # P2135 compares throttle sensors "A" and "B" (the throttle body's, on most makes).
    assert "throttle position sensor" in DTC_TABLE["P2135"].causes[0]


PASSENGER_AIRBAG = [
    code
    for code, entry in DTC_TABLE.items()
    if "passenger" in entry.title.lower() or "occupant" in entry.title.lower()
]


@pytest.mark.parametrize("code", PASSENGER_AIRBAG)
def test_passenger_airbag_codes_do_not_test_the_drivers_clock_spring(code):
    entry = DTC_TABLE[code]
    text = " ".join([*entry.causes, *entry.check_first]).lower()
    assert "clock spring" not in text
    assert "steering" not in entry.check_first[0].lower()


def test_passenger_airbag_codes_exist():
    assert {"B0010", "U0154"} <= set(PASSENGER_AIRBAG)


@pytest.mark.parametrize("code", ["B0001", "B0002"])
def test_driver_airbag_codes_do_test_the_clock_spring(code):
    assert any("clock spring" in check for check in DTC_TABLE[code].check_first)


# --- The safety-relevant codes ------------------------------------------------------------

# Oil pressure and temperature, overheating and cooling, brakes, steering, airbags, high
# voltage, fuel leaks and over-speed: every generic code with a title about them is curated.
_SAFETY = re.compile(
    r"Oil Pressure|Oil Temperature|Oil Over|Coolant|Over Temperature|Overspeed|Brake|"
    r"Steering|Restraint|Deployment|High Voltage|Isolation|Hybrid Battery|Fuel System Leak|"
    r"large leak|\bFan\b|Anti-Lock|Vehicle Dynamics|Yaw|Thermostat|Cooling|"
    r"Throttle Actuator Control System|Forced",
    re.IGNORECASE,
)
SAFETY_CODES = [code for code, title in TITLES.items() if _SAFETY.search(title)]


def test_the_safety_list_is_substantial():
    assert len(SAFETY_CODES) >= 120


@pytest.mark.parametrize("code", SAFETY_CODES)
def test_every_titled_safety_code_is_curated(code):
    assert code in DTC_TABLE, TITLES[code]


@pytest.mark.parametrize(
    ("code", "severity"),
    [
        ("P0196", Severity.SOON),  # oil temperature sensor: the reading is unknown, not high
        ("P0197", Severity.SOON),
        ("P0198", Severity.SOON),
        ("P0298", Severity.STOP),  # engine oil over temperature
        ("P0217", Severity.STOP),
        ("P0118", Severity.SOON),
        ("P2560", Severity.STOP),  # coolant level low
        ("P0219", Severity.SOON),  # logged after the fact; stop if it raced on its own
        ("P0093", Severity.STOP),  # large fuel leak: fire risk
        ("P0094", Severity.SOON),
        ("P0455", Severity.MONITOR),  # EVAP vapour leak; liquid fuel smell means don't drive
        ("P0AA6", Severity.STOP),  # high-voltage isolation fault
        ("P0A0A", Severity.SOON),
        ("P2104", Severity.STOP),  # throttle forced to idle
        ("P2105", Severity.STOP),  # engine forced off
        ("P0571", Severity.SOON),
        ("P0504", Severity.SOON),
        ("U0121", Severity.SOON),
        ("U0129", Severity.SOON),
        ("U0131", Severity.SOON),
        ("U0151", Severity.SOON),
    ],
)
def test_safety_severities(code, severity):
    assert DTC_TABLE[code].severity is severity


def test_fuel_smell_means_do_not_drive():
    for code in ("P0094", "P0455"):
        guidance = DTC_TABLE[code].drive_guidance
        assert "fuel" in guidance and "don't drive" in guidance


@pytest.mark.parametrize("code", ["P0571", "P0572", "P0573", "P0504"])
def test_brake_switch_codes_check_the_brake_lights_first(code):
    entry = DTC_TABLE[code]
    assert "brake lights" in entry.check_first[0]
    assert "brake lights" in entry.drive_guidance


@pytest.mark.parametrize("code", ["P0AA6", "P0A0A", "P0A93", "U0111"])
def test_high_voltage_codes_warn_off_the_orange_cables(code):
    assert "orange" in DTC_TABLE[code].drive_guidance


@pytest.mark.parametrize("code", [f"U0{n}" for n in range(170, 180)] + ["U0152", "U0153"])
def test_airbag_network_codes_use_the_airbag_guidance(code):
    assert "airbag may not deploy" in DTC_TABLE[code].drive_guidance


def test_curated_count_by_severity():
    counts = {severity: 0 for severity in Severity}
    for entry in ENTRIES:
        counts[entry.severity] += 1
    assert counts[Severity.STOP] >= 10
    assert counts[Severity.SOON] > counts[Severity.MONITOR] > counts[Severity.STOP]
