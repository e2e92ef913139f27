"""VINs: finding them, the check digit by market, the model year, and decoding."""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest

from automotive import vin as vin_module
from automotive.vehicle import VehicleError, VehicleProfile, fill_from_vin, validate_vehicle
from automotive.vin import (
    OTHER_MAKERS_SOURCE,
    VPIC_WMI_SOURCE,
    VinDecode,
    check_digit_applies,
    check_vin,
    compute_check_digit,
    decode_vin,
    find_vins,
)


def with_check_digit(vin: str) -> str:
    """The VIN with its ninth character replaced by the right check digit."""
    return vin[:8] + compute_check_digit(vin) + vin[9:]


def with_wrong_check_digit(vin: str) -> str:
    right = compute_check_digit(vin)
    return vin[:8] + ("1" if right != "1" else "2") + vin[9:]


@pytest.fixture
def fresh_caches():
    """Empty the decode caches before and after a test that swaps the data out."""
    caches = (vin_module._vpic_query, vin_module._wmi_query, vin_module._read_cached)
    for cache in caches:
        cache.cache_clear()
    yield
    for cache in caches:
        cache.cache_clear()


# ---------------------------------------------------------------- format and check digit


def test_a_north_american_vin_with_a_valid_check_digit():
    result = check_vin("1HGCM82633A004352")  # a 2003 Honda Accord
    assert (result.valid_format, result.check_digit) == (True, "valid")
    assert compute_check_digit("1HGCM82633A004352") == "3"
    assert "North American" in result.rule


def test_a_mistyped_character_breaks_the_check_digit():
    result = check_vin("1HGCM82633A004353")
    assert result.check_digit == "invalid"
    assert "should be" in result.reason and "mistyped" in result.reason


def test_european_vins_are_not_applicable_not_invalid():
    result = check_vin("WVWZZZ1JZXW000001")
    assert result.valid_format is True
    assert result.check_digit == "not applicable"
    assert result.rule is None


@pytest.mark.parametrize(
    ("text", "phrase"),
    [("1HGCM82633A00435", "17 characters"), ("1HGCM82633A0O4352", "never contains O")],
)
def test_malformed_vins_say_why(text, phrase):
    result = check_vin(text)
    assert result.valid_format is False
    assert phrase in result.reason


# ---------------------------------------------------------------- issue 15, item 2


def test_a_mistyped_mazda_sold_in_north_america_fails_its_check_digit():
    # JM3 is a Japanese WMI, but vPIC decodes this VIN as a 2016 CX-5 sold in the US,
    # where every VIN carries a valid check digit.
    result = check_vin("JM3KE4BY1G0636881")
    assert result.check_digit == "invalid"
    assert "is 1 but should be 6" in result.reason
    assert "probably mistyped" in result.reason
    assert "2016 Mazda CX-5 sold in North America" in result.reason
    assert "49 CFR 565" in result.reason
    assert check_digit_applies("JM3KE4BY1G0636881")


def test_the_mistyped_mazda_is_not_decoded_but_its_make_is_named():
    decoded = decode_vin("JM3KE4BY1G0636881")
    assert not decoded.decoded
    assert (decoded.make, decoded.manufacturer) == ("Mazda", "Mazda Motor Corporation")
    assert decoded.model is None and decoded.year is None
    assert "type it again" in decoded.reason
    facts = decoded.facts()
    assert "Make: Mazda" in facts
    assert "Check digit: wrong (1 where 6 belongs)" in facts
    assert not any(line.startswith("Check digit: not applicable") for line in facts)
    assert decoded.to_dict()["check_digit"] == "invalid"


def test_the_corrected_mazda_decodes_as_a_2016_cx5():
    decoded = decode_vin("JM3KE4BY6G0636881")
    assert decoded.check.check_digit == "valid"
    assert decoded.check.rule.startswith("vehicle sold in North America")
    assert (decoded.year, decoded.make, decoded.model) == (2016, "Mazda", "CX-5")
    assert "Check digit: valid" in decoded.facts()


@pytest.mark.parametrize(
    "vin",
    ["WBA3A5C51DF354155", "KNDJP3A52H7000001", "SALGS2EF8DA000001", "JTDKB20U873000001"],
)
def test_any_vin_vpic_decodes_must_carry_a_valid_check_digit(vin):
    assert check_vin(vin).check_digit == "valid"
    mistyped = with_wrong_check_digit(vin)
    result = check_vin(mistyped)
    assert result.check_digit == "invalid", mistyped
    assert "sold in North America" in result.reason


def test_a_chinese_vin_must_carry_a_valid_check_digit():
    assert check_vin("LSVAU218XN2183294").check_digit == "valid"
    assert check_vin("LSVAU218XN2183294").rule == "Chinese VIN (GB 16735)"
    result = check_vin("LSVAU2181N2183294")
    assert result.check_digit == "invalid"
    assert "should be X" in result.reason and "GB 16735" in result.reason
    decoded = decode_vin("LSVAU2181N2183294")
    assert not decoded.decoded
    assert decoded.manufacturer == "SAIC Volkswagen" and decoded.country == "China"


def test_a_chinese_vin_decodes_to_its_manufacturer():
    decoded = decode_vin("LSVAU218XN2183294")
    assert decoded.decoded and decoded.check.check_digit == "valid"
    assert (decoded.manufacturer, decoded.country, decoded.region) == (
        "SAIC Volkswagen",
        "China",
        "Asia",
    )
    assert "1992 or 2022" in decoded.year_text  # no position-7 rule in China


@pytest.mark.parametrize("ninth", ["0", "5", "X", "Z"])
def test_a_european_vin_outside_vpic_never_fails_its_check_digit(ninth):
    vin = f"WVWZZZ1J{ninth}XW000001"
    assert check_vin(vin).check_digit == "not applicable"
    assert decode_vin(vin).decoded


def test_a_vin_without_a_year_code_is_not_judged_as_a_us_vehicle():
    # vPIC matches JTNB23HK... without a year, but position 10 holds no year code, which
    # no VIN made for North America lacks: the check digit stays optional.
    mistyped = with_wrong_check_digit("JTNB23HK203029472")
    assert check_vin(mistyped).check_digit == "not applicable"


def test_a_matching_optional_check_digit_is_said_to_match():
    facts = decode_vin("JTNB23HK203029472").facts()
    assert any(line.startswith("Check digit: matches (optional here") for line in facts)
    facts = decode_vin("WVWZZZ1JZXW000001").facts()
    assert any(line.startswith("Check digit: not applicable") for line in facts)


def test_my_vehicle_refuses_the_mistyped_mazda():
    with pytest.raises(VehicleError) as caught:
        validate_vehicle({"vin": "JM3KE4BY1G0636881"})
    assert "should be 6" in caught.value.errors["vin"]


# ---------------------------------------------------------------- issue 15, item 1


def test_the_european_toyota_decodes_without_a_crash():
    decoded = decode_vin("JTNB23HK203029472")
    assert isinstance(decoded, VinDecode)
    assert decoded.decoded
    assert decoded.make == "Toyota" and decoded.model
    assert decoded.year is None and decoded.model_year_candidates == ()
    assert decoded.year_note.startswith("not encoded: position 10 is 0")
    assert decoded.source == "NHTSA vPIC (matched without a model year)"
    assert "likeliest match" in decoded.reason
    assert any(line.startswith("Model year: not encoded") for line in decoded.facts())
    assert decoded.to_dict()["year_note"].startswith("not encoded")


@pytest.mark.parametrize("code", ["0", "U", "Z"])
@pytest.mark.parametrize(
    "base", ["JTNB23HK203029472", "1HGCM82633A004352", "WBA3A5C51DF354155", "JM1NDAB71G0100001"]
)
def test_no_year_code_in_position_10_never_crashes(base, code):
    vin = with_check_digit(base[:9] + code + base[10:])
    decoded = decode_vin(vin)
    assert isinstance(decoded, VinDecode)
    assert decoded.year is None and "not encoded" in decoded.year_note
    assert decoded.make  # the bundled data knows these models
    assert check_vin(vin).valid_format


def test_a_north_american_vin_without_a_year_code_points_at_a_typo():
    decoded = decode_vin(with_check_digit("1HGCM82633A004352"[:9] + "0A004352"))
    assert "North American VINs carry one there" in decoded.year_note


def test_the_european_toyota_fills_my_vehicle():
    profile = validate_vehicle({"vin": "jtnb23hk203029472"})
    filled, note = fill_from_vin(profile)
    assert (filled.make, filled.year) == ("Toyota", None)
    assert filled.model and "Toyota" in note


@pytest.mark.parametrize(
    "error",
    [sqlite3.OperationalError("disk I/O error"), ValueError("bad"), LookupError("gone")],
)
def test_a_failing_vpic_database_does_not_make_decoding_raise(monkeypatch, fresh_caches, error):
    class BrokenDatabase:
        def decode_vin(self, *args):
            raise error

        def query(self, *args):
            raise error

        def get_vpic_version(self):
            raise error

    monkeypatch.setattr(vin_module, "_vehicle_db", BrokenDatabase)
    for text in ("JTNB23HK203029472", "1HGCM82633A004352", "JM3KE4BY1G0636881"):
        decoded = decode_vin(text)
        assert isinstance(decoded, VinDecode) and decoded.reason
        assert isinstance(check_vin(text).check_digit, str)
    # Without vPIC the WMI still names the maker (vininfo).
    assert decode_vin("1HGCM82633A004352").manufacturer == "Honda"


def test_the_vin_package_exceptions_are_caught(monkeypatch, fresh_caches):
    import vin as vpic

    class Raising:
        def decode_vin(self, *args):
            raise vpic.DecodingRequiredError()

        def query(self, *args):
            raise vpic.DecodingError()

    monkeypatch.setattr(vin_module, "_vehicle_db", Raising)
    decoded = decode_vin("JTNB23HK203029472")
    assert isinstance(decoded, VinDecode)
    assert decoded.reason


def test_a_bug_anywhere_still_gives_a_decode(monkeypatch, fresh_caches):
    def broken(_vin):
        raise RuntimeError("bug")

    monkeypatch.setattr(vin_module, "_maker", broken)
    monkeypatch.setattr(vin_module, "_read", broken)
    decoded = decode_vin("JTNB23HK203029472")
    assert isinstance(decoded, VinDecode) and not decoded.decoded
    assert "decoder failed" in decoded.reason
    assert check_vin("JTNB23HK203029472").check_digit == "not applicable"


# ---------------------------------------------------------------- issue 15, item 3


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
    assert decoded.year_note is None and decoded.model_year_candidates == ()
    assert decoded.country.startswith(country)
    assert decoded.summary.startswith(f"{year} {make} {model}")
    assert f"Vehicle: {decoded.summary}" in decoded.facts()
    assert not any(line.startswith("Model year:") for line in decoded.facts())


def test_the_us_honda_keeps_decoding_as_a_2003_accord():
    decoded = decode_vin("1HGCM82633A004352")
    assert decoded.summary == "2003 Honda Accord EX-V6"
    assert decoded.check.check_digit == "valid" and decoded.reason is None


@pytest.mark.parametrize(
    ("vin", "year"),
    [
        ("1HGCM82633A004352", 2003),  # position 7 a digit: 1980-2009
        ("JM1NDAB71G0100001", 2016),  # position 7 a letter: 2010-2039
        ("JTDKB20U873000001", 2007),
        ("5YJ3E1EA2KF317000", 2019),
    ],
)
def test_position_7_picks_the_cycle_for_light_vehicles(vin, year):
    assert decode_vin(vin).year == year


def test_a_north_american_car_outside_the_patterns_keeps_the_ruled_year():
    decoded = decode_vin(with_check_digit("1HGZZ82633A004352"))  # no such Honda model code
    assert decoded.year == 2003
    assert "49 CFR 565.15" in decoded.year_note
    assert decoded.make == "Honda" and decoded.source == VPIC_WMI_SOURCE
    assert "may be mistyped or newer than the bundled data" in decoded.reason


def test_a_heavy_truck_gets_both_candidate_years():
    # Kenworth: a heavy-truck WMI, where position 7 says nothing about the cycle, and
    # vPIC's patterns fit 1985 as well as 2015.
    decoded = decode_vin(with_check_digit("1XKYDP9X0FJ123456"))
    assert decoded.decoded and decoded.make == "Kenworth"
    assert decoded.year is None
    assert decoded.model_year_candidates == (1985, 2015)
    assert "Model year: 1985 or 2015" in " ".join(decoded.facts())
    assert decoded.to_dict()["model_year_candidates"] == [1985, 2015]
    assert not decoded.summary[:1].isdigit()


def test_a_heavy_truck_takes_the_year_vpic_describes():
    decoded = decode_vin(with_check_digit("1M1AW07Y0GM012345"))  # Mack
    # vPIC's patterns name a model for 2016 only (1986 gives the make alone).
    assert (decoded.year, decoded.make, decoded.model) == (2016, "Mack", "CXU")
    assert decoded.model_year_candidates == ()


def test_a_heavy_truck_takes_the_year_whose_patterns_say_more():
    decoded = decode_vin(with_check_digit("1HSDJAPR0FN123456"))  # International
    assert (decoded.year, decoded.make) == (2015, "International")
    assert "1985 or 2015" in decoded.year_note and "more fully" in decoded.year_note


def test_a_light_vehicle_year_not_on_sale_yet_points_at_a_typo():
    # Position 7 a letter puts 9 in 2039.
    decoded = decode_vin(with_check_digit("1HGCV1F309A004352"))
    assert decoded.year is None and decoded.model_year_candidates == ()
    assert "2039" in decoded.year_note and "mistyped" in decoded.year_note


@pytest.mark.parametrize(
    ("vin", "make", "kind", "plural"),
    [
        ("1HD1KEM10FB123456", "Harley-Davidson", "Motorcycle", "motorcycles"),
        ("JYARN23E0FA123456", "Yamaha", "Motorcycle", "motorcycles"),
        ("1BAKGCPA0FF123456", "Blue Bird", "Bus", "buses"),  # vininfo says Dodge
        ("1M8PDMPA0FP123456", "Motor Coach Industries", "Bus", "buses"),  # vininfo: Mercury
        ("1HTMMAAL0FH123456", "International", "Truck", "medium and heavy trucks"),  # Honda
        ("1NPXGGGG0FD123456", "Peterbilt", "Truck", "medium and heavy trucks"),  # Nissan
        ("1JJV532D0FL123456", "Wabash", "Trailer", "trailers"),  # vininfo says Jeep
    ],
)
def test_motorcycles_buses_trucks_and_trailers_get_their_make_and_a_true_reason(
    vin, make, kind, plural
):
    decoded = decode_vin(with_check_digit(vin))
    assert decoded.decoded and decoded.check.check_digit in ("valid", "not applicable")
    assert (decoded.make, decoded.manufacturer, decoded.vehicle_type) == (make, make, kind)
    assert decoded.source == OTHER_MAKERS_SOURCE
    assert plural in decoded.reason
    assert "outside North America" not in decoded.reason
    assert decoded.model_year_candidates == (1985, 2015)  # no position-7 rule for these
    assert decoded.summary == make


def test_a_year_code_of_the_next_cycle_not_yet_reached_is_ruled_out():
    decoded = decode_vin(with_check_digit("1HD1KEM109B123456"))  # 9: 2009, not 2039
    assert decoded.year == 2009 and decoded.year_note is None


def test_a_european_vin_reads_its_year_with_a_caveat():
    decoded = decode_vin("WVWZZZ1JZXW000001")  # a Golf IV: X is 1999 (2029 not yet)
    assert 1999 in (decoded.year, *decoded.model_year_candidates)
    if decoded.year:
        assert "ISO 3779" in decoded.year_note


def test_a_european_filler_in_position_10_is_not_a_year():
    decoded = decode_vin("WVWZZZ1JZZW000001")
    assert decoded.year is None and decoded.model_year_candidates == ()
    assert decoded.year_note.startswith("not encoded: position 10 is Z")
    assert "Model year: not encoded" in " ".join(decoded.facts())


def test_european_vin_outside_vpic_falls_back_to_the_manufacturer():
    decoded = decode_vin("WVWZZZ1J0XW000001")  # a European-market Golf
    assert decoded.decoded and decoded.model is None
    assert decoded.make == "Volkswagen"
    assert (decoded.manufacturer, decoded.country, decoded.region) == (
        "Volkswagen AG",
        "Germany",
        "Europe",
    )
    assert "Only the manufacturer could be read" in decoded.reason
    assert "outside North America" in decoded.reason
    assert decoded.check.check_digit == "not applicable"
    assert decoded.source == VPIC_WMI_SOURCE


def test_a_make_vpic_lists_for_the_us_only_is_not_given_to_a_european_vin():
    # vPIC lists VF1 under Eagle (the Renault-built Medallion sold in the US).
    decoded = decode_vin("VF1RFB00X56789012")
    assert decoded.make is None and decoded.manufacturer == "Renault Group"
    assert decoded.summary == "Renault Group"  # not "2005" alone


def test_vpic_is_asked_again_without_a_year_when_the_year_misses():
    decoded = decode_vin("JM1NDAB71A0100001")  # an MX-5 code with an impossible year
    assert (decoded.make, decoded.model) == ("Mazda", "MX-5")
    assert decoded.source == "NHTSA vPIC (matched without a model year)"
    assert "No NHTSA vPIC pattern fits this VIN for 1980 or 2010" in decoded.reason


def test_a_small_manufacturer_code_has_six_characters():
    decoded = decode_vin(with_check_digit("1G9AB12C0FG123456"))
    assert not decoded.decoded
    assert "characters 1-3 and 12-14" in decoded.reason and "1G9123" in decoded.reason
    assert decoded.manufacturer is None  # vininfo's 1G9 entry is one small maker among many


def test_a_wmi_read_from_two_characters_says_so():
    decoded = decode_vin("JTZAE92E0F3123456")  # JTZ is in no table; JT is Toyota's
    assert decoded.decoded and decoded.manufacturer == "Toyota"
    assert decoded.source == "World manufacturer identifier (vininfo)"
    assert "first two characters (JT) alone" in decoded.reason


def test_bad_check_digit_is_not_decoded_but_says_why():
    decoded = decode_vin("1HGCM82613A004352")  # check digit mistyped
    assert not decoded.decoded and decoded.model is None
    assert "should be 3" in decoded.reason and "type it again" in decoded.reason
    assert decoded.make == "Honda"  # the WMI is still readable
    assert decoded.manufacturer == "American Honda Motor Co., Inc."


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


def test_years_are_never_in_the_future():
    latest = date.today().year + 1
    for code in "ABCDEFGHJKLMNPRSTVWXY123456789":
        decoded = decode_vin(with_check_digit(f"1HD1KEM10{code}B123456"))
        years = [decoded.year, *decoded.model_year_candidates]
        assert all(1980 <= year <= latest for year in years if year), code


def test_concurrent_decodes_from_eight_threads_finish():
    vins = ["1HGCM82633A004352", "WBA3A5C51DF354155", "JM1NDAB71G0100001", "WVWZZZ1J0XW000001"]
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(decode_vin, vins[n % len(vins)]) for n in range(64)]
        results = [future.result(timeout=60) for future in futures]
    assert [r.vin for r in results] == [vins[n % len(vins)] for n in range(64)]
    assert all(r.decoded for r in results)
    assert {r.summary for r in results if r.source == "NHTSA vPIC"} == {
        "2003 Honda Accord EX-V6",
        "2013 BMW 328i",
        "2016 Mazda MX-5 Sport/GX",
    }


def test_fill_from_vin_still_names_a_us_vehicle():
    filled, note = fill_from_vin(VehicleProfile(vin="1HGCM82633A004352"))
    assert (filled.year, filled.make) == (2003, "Honda")
    assert note == "The VIN decodes to a 2003 Honda Accord EX-V6."


# ---------------------------------------------------------------- issue 15, item 4


def test_vins_are_found_in_a_message():
    text = "My VIN is 1hgcm82633a004352, order 12345678901234567, not WVWZZZ1JZXW000001."
    assert find_vins(text) == ["1HGCM82633A004352", "WVWZZZ1JZXW000001"]


@pytest.mark.parametrize(
    "text",
    [
        "1hgcm82633a004352",
        "1HG CM826 33A 004352",
        "1HG-CM826-33A-004352",
        "1hg-cm826-33a-004352",
        "my vin is 1HG CM826 33A 004352, what year?",
        "VIN: 1HGCM826 33A004352.",
        "VIN 1HG CM82633A 004352 please",
        "see (1HG-CM826-3-3A-004352) on the plate",
        "车架号1HG CM826 33A 004352是",
    ],
)
def test_vins_written_in_groups_or_lower_case_are_found(text):
    assert find_vins(text) == ["1HGCM82633A004352"]


def test_grouped_and_whole_vins_are_found_in_order_once():
    text = "Car WVW ZZZ1JZ XW000001 and 1HG-CM826-33A-004352, again 1HGCM82633A004352."
    assert find_vins(text) == ["WVWZZZ1JZXW000001", "1HGCM82633A004352"]


@pytest.mark.parametrize(
    "text",
    [
        "The quick brown fox jumps over the lazy dog near 1234 Main Street",
        "We drove 1200 miles in 3 days and spent 450 dollars on gas and tolls",
        "my car has a dent near the back door and the paint is 2 years old",
        "Set the tire pressure to 35 psi front and 33 psi rear when cold, 2019 spec",
        "Codes P0171 P0174 P0300 12 times since Monday",  # adds up to 17
        "Part AB12-CD34-EF56-78901 is on back order",  # adds up to 17, not VIN groups
        "ORDER 12345 ABCDE 6789012 SHIPPED",
        "Call 555-123-4567 or 800 555 0199 8877",  # digits only
        "uuid 123e4567-e89b-12d3-a456-426614174000",
        "a b c d e f g h j k l m n p r s 1234",
        "THE CAR NEEDS NEW BRAKE PADS AND 4 TIRES 1234",
        "1HG  CM826 33A 004352",  # a double space: not one VIN
        "1HG CM826 33A 00435",  # 16 characters
        "1HG CM826 33A 0O4352",  # the letter O
        "order 12345678901234567 shipped",  # 17 digits: a number
    ],
)
def test_prose_and_numbers_are_not_vins(text):
    assert find_vins(text) == []


def test_a_grouped_vin_needs_groups_split_where_vin_sections_meet():
    assert find_vins("1HGC M826 33A0 04352") == []  # split every four: not a VIN layout
    assert find_vins("1HGCM 82633 A0043 52") == []


def test_a_mistyped_north_american_vin_is_titled_as_such_on_its_card():
    from automotive.facts import facts_for

    card = facts_for("Is JM3KE4BY1G0636881 a CX-5?")[0]
    assert card.title == "VIN JM3KE4BY1G0636881: Mazda (check digit wrong)"
    assert "Check digit: wrong (1 where 6 belongs)" in card.lines


# ---------------------------------------------------------------- mechanic's review


def test_a_brazilian_vin_names_brazil_not_mexico():
    # vPIC lists 9BW under Volkswagen Group of America, with Mexico as its country.
    decoded = decode_vin("9BWSU19F98B302158")
    assert (decoded.country, decoded.region) == ("Brazil", "South America")
    assert "Country (manufacturer code): Brazil" in decoded.facts()
    assert not any("Mexico" in line for line in decoded.facts())


@pytest.mark.parametrize(
    ("vin", "country"),
    [
        ("9BWSU19F98B302158", "Brazil"),
        ("93HGD18806Z123456", "Brazil"),
        ("8AP17200060123456", "Argentina"),
        ("3VWFE21C04M000001", "Mexico"),
        ("3MW5R1J04M8B12345", "Mexico"),  # BMW San Luis Potosí: vPIC says Germany
        ("2G1WT55K079123456", "Canada"),
        ("1HGCM82633A004352", "United States of America"),
    ],
)
def test_the_country_is_the_one_iso_3780_assigns(vin, country):
    assert vin_module._iso_country(vin) == country
    decoded = decode_vin(vin)
    if decoded.country:
        assert decoded.country == country


def test_countries_outside_the_table_are_left_to_the_data():
    assert vin_module._iso_country("WVWZZZ1JZXW000001") is None
    assert vin_module._iso_country("3XA00000000000000") is None  # 3X: not Mexico
    assert decode_vin("WVWZZZ1JZXW000001").country == "Germany"


@pytest.mark.parametrize(
    "text",
    [
        "Order number ABCDEFGHJKLMNPRST",
        "ECU part no is 8966133B0000ABCDE",
        "Bosch part 0986AF1234ABCDEFG",
        "AAAAAAAAAAAAAAAAA",
        "ZZZZZZZZZZZZZZZZZ",
        "vin 11111111111111111",
        "ref 0WVZZZ1JZXW000001",  # ISO 3780 has no region 0
        "code ABCDE123456789012",
    ],
)
def test_part_numbers_and_filler_are_not_vins(text):
    assert find_vins(text) == []


@pytest.mark.parametrize(
    "vin",
    [
        "1HGCM82633A004352",
        "JTNB23HK203029472",
        "WVWZZZ1JZXW000001",
        "JM3KE4BY1G0636881",
        "LSVAU218XN2183294",
        "SAJAJ4BN1HA123456",
        "YV1CZ91H741123456",
        "TMBJJ7NE8J0123456",
        "9BWSU19F98B302158",
        "WDB1240301A123456",
        "VF1BB05CF12345678",
    ],
)
def test_real_vins_are_still_found_in_text(vin):
    assert find_vins(f"my VIN is {vin}, what is it?") == [vin]
    assert find_vins(f"VIN {vin[:3]} {vin[3:8]} {vin[8:11]} {vin[11:]}") == [vin]


def test_check_vin_refuses_one_character_repeated():
    for text in ("AAAAAAAAAAAAAAAAA", "ZZZZZZZZZZZZZZZZZ", "11111111111111111"):
        result = check_vin(text)
        assert result.valid_format is False
        assert "placeholder" in result.reason
        assert not decode_vin(text).decoded


def test_check_vin_stays_lenient_for_a_vin_typed_in_the_form():
    # Not plausible in free text (no digits at the end), but the user said it is a VIN.
    assert check_vin("WVWZZZ1JZXWABCDEF").valid_format


@pytest.mark.parametrize(
    ("vin", "year"),
    [("WDB1240301A123456", 2001), ("VF1BB05CF12345678", 2001)],
)
def test_an_old_european_vin_gives_its_year_only_as_a_possibility(vin, year):
    decoded = decode_vin(vin)
    assert decoded.year is None
    assert decoded.model_year_candidates == (year,)
    assert decoded.year_text.startswith(f"possibly {year}, not certain")
    assert "optional outside North America" in decoded.year_text
    facts = decoded.facts()
    assert not any(line.startswith(f"Model year: {year}") for line in facts)
    assert any(line.startswith(f"Model year: possibly {year}") for line in facts)
    assert decoded.to_dict()["model_year_candidates"] == [year]
    assert "model_year" not in decoded.to_dict()
