"""The SAE J2012 generic titles (issue 15): coverage, shape, agreement with the curated table,
and where they show."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from automotive.dtc import DTC_TABLE, decode_structure, explain_dtc
from automotive.dtc_titles import TITLE_SOURCE, TITLES, generic_title
from automotive.facts import dtc_fact

CODES = list(TITLES)


@pytest.mark.parametrize("code", CODES)
def test_every_titled_code_is_a_well_formed_generic_code(code):
    structure = decode_structure(code)
    assert structure.code == code
    assert structure.scope == "generic", code
    title = TITLES[code]
    assert title == title.strip() and "  " not in title
    assert title[0].isupper() or title[0] in '"1234', title
    # Quotes around sensor letters are balanced; brackets close.
    assert title.count('"') % 2 == 0 and title.count("(") == title.count(")"), title


def test_titles_are_unique():
    repeated = [title for title, count in Counter(TITLES.values()).items() if count > 1]
    assert repeated == []


def test_every_curated_entry_uses_the_standard_title():
    # One spelling of each title: the curated table and the titles table must agree.
    assert set(DTC_TABLE) <= set(TITLES)
    assert {code: entry.title for code, entry in DTC_TABLE.items()} == {
        code: TITLES[code] for code in DTC_TABLE
    }


@pytest.mark.parametrize(
    ("prefix", "at_least"),
    [("P0", 700), ("P2", 350), ("P34", 98), ("U0", 250)],
)
def test_the_systematic_ranges_are_well_covered(prefix, at_least):
    assert sum(code.startswith(prefix) for code in TITLES) >= at_least


def test_body_and_chassis_titles_stay_few_and_settled():
    # Makers (GM above all) use many B0/C0 numbers with their own meanings: only the settled
    # ones carry a title, and the GM wheel-speed numbers do not.
    body_chassis = {code for code in TITLES if code[:2] in ("B0", "C0")}
    assert body_chassis == {
        "B0001", "B0002", "B0010", "C0020", "C0031", "C0034", "C0035", "C0037", "C003A",
        "C0040", "C0063",
    }  # fmt: skip
    assert generic_title("C0045") is None and generic_title("C0050") is None


@pytest.mark.parametrize(
    ("code", "title"),
    [
        # Systematic families: cylinders, banks and sensors, coils, solenoids, modules.
        ("P0201", "Injector Circuit/Open - Cylinder 1"),
        ("P0212", "Injector Circuit/Open - Cylinder 12"),
        ("P0263", "Cylinder 1 Contribution/Balance"),
        ("P0296", "Cylinder 12 Contribution/Balance"),
        ("P0312", "Cylinder 12 Misfire Detected"),
        ("P0362", 'Ignition Coil "L" Primary/Secondary Circuit'),
        ("P0142", "O2 Sensor Circuit (Bank 1 Sensor 3)"),
        ("P0167", "O2 Sensor Heater Circuit (Bank 2 Sensor 3)"),
        ("P0064", "HO2S Heater Control Circuit High (Bank 2 Sensor 3)"),
        ("P0682", "Cylinder 12 Glow Plug Circuit"),
        ("P0774", 'Shift Solenoid "E" Intermittent'),
        ("P2122", 'Throttle/Pedal Position Sensor/Switch "D" Circuit Low Input'),
        ("P2335", 'Ignition Coil "L" Secondary Circuit'),
        ("P2347", "Cylinder 12 Above Knock Threshold"),
        ("P3401", "Cylinder 1 Deactivation/Intake Valve Control Circuit/Open"),
        ("P3496", "Cylinder 12 Exhaust Valve Control Circuit High"),
        ("P3497", "Cylinder Deactivation System (Bank 2)"),
        ("U0121", "Lost Communication With Anti-Lock Brake System (ABS) Control Module"),
        ("U0199", 'Lost Communication With Door Control Module "A"'),
        ("U0415", "Invalid Data Received From Anti-Lock Brake System (ABS) Control Module"),
        ("U0428", "Invalid Data Received From Steering Angle Sensor Module"),
        # The safety codes named in the issue.
        ("P0196", "Engine Oil Temperature Sensor Range/Performance"),
        ("P0219", "Engine Overspeed Condition"),
        ("P0298", "Engine Oil Over Temperature"),
        ("P0571", 'Brake Switch "A" Circuit'),
        ("P0AA6", "Hybrid Battery Voltage System Isolation Fault"),
        ("P0093", "Fuel System Leak Detected - Large Leak"),
    ],
)
def test_known_titles(code, title):
    assert TITLES[code] == title


def test_bank_and_sensor_numbers_follow_the_code_numbers():
    # O2 sensors: six codes per position, bank 1 sensors 1-3 from P0130, bank 2 from P0150.
    for bank, sensor, base in ((1, 1, 130), (1, 2, 136), (1, 3, 142), (2, 1, 150)):
        for offset in range(6):
            assert TITLES[f"P0{base + offset}"].endswith(f"(Bank {bank} Sensor {sensor})")
    # Injector circuit low/high and contribution/balance: three codes per cylinder.
    for cylinder in range(1, 13):
        base = 261 + 3 * (cylinder - 1)
        assert TITLES[f"P0{base}"] == f"Cylinder {cylinder} Injector Circuit Low"
        assert TITLES[f"P0{base + 1}"] == f"Cylinder {cylinder} Injector Circuit High"


def test_codes_left_out_on_purpose_have_no_title():
    # Retitled between editions or disputed between public lists: no title beats a wrong one.
    for code in ("P2706", "P2707", "P0513", "B0011", "B0012", "C0032", "C0051", "U0116"):
        assert generic_title(code) is None, code


def test_generic_title_normalises_and_never_raises():
    assert generic_title(" p0420 ") == "Catalyst System Efficiency Below Threshold (Bank 1)"
    assert generic_title("P1456") is None  # manufacturer-specific
    assert generic_title("") is None
    assert generic_title(None) is None  # type: ignore[arg-type]
    assert generic_title("nonsense") is None


def test_titles_table_is_read_only_and_sorted():
    with pytest.raises(TypeError):
        TITLES["P0000"] = "x"  # type: ignore[index]
    assert sorted(CODES) == CODES


def test_every_title_carries_its_source_wherever_it_shows():
    for code in ("P0420", "U0232", "P3401"):  # curated, titled only, titled only
        explanation = explain_dtc(code)
        assert explanation.title_source == TITLE_SOURCE == "SAE J2012 generic title"
        assert explanation.to_dict()["title_source"] == TITLE_SOURCE
        assert f"Title source: {TITLE_SOURCE}." in dtc_fact(code).lines
    untitled = explain_dtc("P0999")
    assert untitled.title is None and untitled.title_source is None
    assert not any(line.startswith("Title source") for line in dtc_fact("P0999").lines)


def test_no_title_names_a_make():
    makes = re.compile(r"\b(GM|Ford|Toyota|Honda|Chrysler|VW|BMW|Nissan)\b")
    assert [title for title in TITLES.values() if makes.search(title)] == []


def test_the_coverage_script_counts_every_title():
    from bench.dtc_coverage import coverage

    rows = coverage()
    assert [label for label, *_ in rows] == ["P0", "P2", "P3 generic", "U0", "B0", "C0"]
    assert sum(titled for _, titled, _, _ in rows) == len(TITLES)
    assert sum(curated for *_, curated in rows) == len(DTC_TABLE)
    assert all(titled <= size for _, titled, size, _ in rows)
