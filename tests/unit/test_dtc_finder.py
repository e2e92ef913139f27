"""find_dtcs on what people type (issue 15): spaced and O-for-zero codes, lists, and model
names that look like codes but are not."""

from __future__ import annotations

import pytest

from automotive.dtc import find_dtcs


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A generic code alone is found without any context: the most common question.
        ("P0420", ["P0420"]),
        ("P0420?", ["P0420"]),
        ("u0100", ["U0100"]),
        ("what does p0171 mean", ["P0171"]),
        # What people type instead of the standard shape.
        ("p 0420", ["P0420"]),
        ("P-0420 again", ["P0420"]),
        ("po300", ["P0300"]),
        ("PO420 after a new cat", ["P0420"]),
        ("POA80 on my prius", []),  # the letter O counts as 0 only before three digits
        ("code P0420/P0171", ["P0420", "P0171"]),
        ("P0420,P0171", ["P0420", "P0171"]),
        ("P0420;P0171;P0300", ["P0420", "P0171", "P0300"]),
        ("got po171 and P0174", ["P0171", "P0174"]),
        # Lower-case manufacturer codes with a code word.
        ("code p1456 on my accord", ["P1456"]),
        ("DTC c1201", ["C1201"]),
    ],
)
def test_typed_codes_are_found(text, expected):
    assert find_dtcs(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "1995 Chevy C1500",
        "Tesla P100D",
        "mazda B2300",
        "Is a used Tesla P100D worth it?",
        "Chevy C1500 won't start after sitting a month",
        "B16A2 swap into an EG hatch, which ECU?",
        "C1500 or C2500 for towing?",
        "Mazda B2300 or B3000, which is the better truck?",
        "Volvo B230F timing belt interval",
        "2004 Mazda B2300 check engine light is on",  # the model, not a code
        "P1456 and P1457",  # manufacturer codes with nothing saying they are codes
        "the message was coded",
        "I coded a script that reads codes",
        "p 2019 is a page number",  # spaced, and not a titled code with a zero in second place
        "my C1500 has an electrical fault",  # "fault" alone names no code
    ],
)
def test_model_names_and_look_alikes_are_not_codes(text):
    assert find_dtcs(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The model name stays out, the code comes in.
        ("my C1500 shows code P0300", ["P0300"]),
        ("1995 Chevy C1500 check engine light, code P0171", ["P0171"]),
        ("Mazda B2300 check engine light, code P1345", ["P1345"]),
        ("P1345 code on my C1500", ["P1345"]),
        ("Tesla P100D throws P0A80?", ["P0A80"]),
        # A code word claims the nearest code-shaped word, even a manufacturer one.
        ("Honda P1456 code", ["P1456"]),
        ("B1318 battery voltage low code on a Ford Escape", ["B1318"]),
        ("Fehlercode P1570 beim Golf", ["P1570"]),
        ("código B1342 en mi Ford", ["B1342"]),
        # With no code word, a situational word (check engine light, scanner) does the same.
        ("C1201 on my Lexus RX with the VSC and check engine lights", ["C1201"]),
        ("scanner shows P1135", ["P1135"]),
        ("OBD2 reader gave U1900", ["U1900"]),
        ("ABS fault C1201 after a wheel bearing job", ["C1201"]),
        # Listed with a code, a manufacturer code is a code too.
        ("P0420, P1456 and P1457", ["P0420", "P1456", "P1457"]),
        ("P1456 / P0455", ["P1456", "P0455"]),
        ("codes P1456 P1457 P1458", ["P1456", "P1457", "P1458"]),
        ("P1456, P1457 and P0420", ["P1456", "P1457", "P0420"]),  # the list runs leftwards too
        # A model name in a list, or a new sentence, does not join the codes.
        ("Chevy C1500, P0300 and P0171", ["P0300", "P0171"]),
        ("I got P0420. C1500 runs rough since", ["P0420"]),
    ],
)
def test_context_decides_for_manufacturer_shaped_words(text, expected):
    assert find_dtcs(text) == expected


def test_a_code_word_far_away_does_not_reach_a_model_name():
    text = (
        "I have a 1995 C1500 with 200k miles on it and a new water pump. Yesterday it started "
        "to miss at idle, and my cheap reader does not show any code."
    )
    assert find_dtcs(text) == []


def test_every_code_is_returned_in_order_without_duplicates():
    # facts.py counts the codes it leaves out, so find_dtcs never caps the list.
    codes = [f"P03{n:02d}" for n in range(13)] + ["P0171", "P0174", "P0420", "P0430"]
    text = "Scan report: " + ", ".join(codes) + ", p0300 again, PO171 again"
    assert find_dtcs(text) == codes
    assert len(find_dtcs(text)) == 17


def test_manufacturer_codes_in_a_long_scan_report_are_all_found():
    text = "DTC list: " + " ".join(f"P1{n:03d}" for n in range(20))
    assert find_dtcs(text) == [f"P1{n:03d}" for n in range(20)]
