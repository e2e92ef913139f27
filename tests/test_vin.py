"""VIN format and check digit."""

from __future__ import annotations

import pytest

from automotive.vin import check_vin, compute_check_digit, find_vins


def test_a_north_american_vin_with_a_valid_check_digit():
    result = check_vin("1HGCM82633A004352")  # a 2003 Honda Accord
    assert (result.valid_format, result.check_digit) == (True, "valid")
    assert compute_check_digit("1HGCM82633A004352") == "3"


def test_a_mistyped_character_breaks_the_check_digit():
    result = check_vin("1HGCM82633A004353")
    assert result.check_digit == "invalid"
    assert "should be" in result.reason


def test_european_vins_are_not_applicable_not_invalid():
    result = check_vin("WVWZZZ1JZXW000001")
    assert result.valid_format is True
    assert result.check_digit == "not applicable"


@pytest.mark.parametrize(
    ("text", "phrase"),
    [("1HGCM82633A00435", "17 characters"), ("1HGCM82633A0O4352", "never contains O")],
)
def test_malformed_vins_say_why(text, phrase):
    result = check_vin(text)
    assert result.valid_format is False
    assert phrase in result.reason


def test_vins_are_found_in_a_message():
    text = "My VIN is 1hgcm82633a004352, order 12345678901234567, not WVWZZZ1JZXW000001."
    assert find_vins(text) == ["1HGCM82633A004352", "WVWZZZ1JZXW000001"]
