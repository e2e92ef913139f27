"""VIN format and check digit."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from automotive.vin import check_vin, compute_check_digit, decode_vin, find_vins


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


@pytest.mark.parametrize(
    ("vin", "year", "make", "model", "country"),
    [
        ("1HGCM82633A004352", 2003, "Honda", "Accord", "United States of America"),  # US
        ("1FTFW1ET9DFC10312", 2013, "Ford", "F-150", "United States of America"),
        ("5YJ3E1EA2KF317000", 2019, "Tesla", "Model 3", "United States of America"),
        ("WBA3A5C51DF354155", 2013, "BMW", "328i", "Germany"),  # European
        ("WDDGF8AB7EA000001", 2014, "Mercedes-Benz", "C-Class", "Germany"),
        ("SALGS2EF8DA000001", 2013, "Land Rover", "Range Rover", "United Kingdom"),
        ("JM1NDAB71G0100001", 2016, "Mazda", "MX-5", "Japan"),  # Asian
        ("JTDKB20U873000001", 2007, "Toyota", "Prius", "Japan"),
        ("KNDJP3A52H7000001", 2017, "Kia", "Soul", "Korea"),
    ],
)
def test_known_vins_decode_to_their_vehicles(vin, year, make, model, country):
    decoded = decode_vin(vin)
    assert decoded.decoded and decoded.source == "NHTSA vPIC"
    assert (decoded.year, decoded.make, decoded.model) == (year, make, model)
    assert decoded.country.startswith(country)
    assert decoded.summary.startswith(f"{year} {make} {model}")
    assert f"Vehicle: {decoded.summary}" in decoded.facts()


def test_european_vin_outside_vpic_falls_back_to_the_manufacturer():
    decoded = decode_vin("WVWZZZ1J0XW000001")  # a European-market Golf
    assert decoded.decoded and decoded.make is None
    assert (decoded.manufacturer, decoded.country, decoded.region) == (
        "Volkswagen",
        "Germany",
        "Europe",
    )
    assert "Only the manufacturer could be read" in decoded.reason
    assert decoded.check.check_digit == "not applicable"


def test_bad_check_digit_is_not_decoded_but_says_why():
    decoded = decode_vin("1HGCM82613A004352")  # check digit mistyped
    assert not decoded.decoded and decoded.make is None
    assert "should be 3" in decoded.reason and "type it again" in decoded.reason
    assert decoded.manufacturer == "Honda"  # the WMI is still readable


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1HGCM82633A00435", "this has 16"),  # truncated
        ("1HGCM82633A0O4352", "never contains O"),
    ],
)
def test_malformed_vin_gets_a_clear_reason(text, reason):
    decoded = decode_vin(text)
    assert not decoded.decoded and reason in decoded.reason


def test_unknown_manufacturer_code_says_so():
    decoded = decode_vin("ZZZ00000000000000")
    assert not decoded.decoded and "not in the bundled data" in decoded.reason


def test_concurrent_decodes_from_eight_threads_finish():
    vins = ["1HGCM82633A004352", "WBA3A5C51DF354155", "JM1NDAB71G0100001", "WVWZZZ1J0XW000001"]
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(decode_vin, vins[n % len(vins)]) for n in range(64)]
        results = [future.result(timeout=60) for future in futures]
    assert [r.vin for r in results] == [vins[n % len(vins)] for n in range(64)]
    assert all(r.decoded for r in results)
    assert {r.summary for r in results if r.make} == {
        "2003 Honda Accord EX-V6",
        "2013 BMW 328i",
        "2016 Mazda MX-5 Sport/GX",
    }
