"""Tire sizes against worked values."""

from __future__ import annotations

import pytest

from automotive.tires import (
    TireSizeError,
    compare_tire_sizes,
    find_tire_sizes,
    parse_tire_size,
)


def test_metric_size_with_service_description():
    size = parse_tire_size("225/45R17 94W")
    # 17 in x 25.4 = 431.8 mm of rim, plus two sidewalls of 225 x 0.45 = 101.25 mm.
    assert size.sidewall_mm == pytest.approx(101.25)
    assert size.diameter_mm == pytest.approx(634.3)
    assert size.diameter_in == pytest.approx(24.97, abs=0.01)
    facts = size.describe()
    assert facts["max_load_kg"] == 670
    assert facts["max_speed_kmh"] == 270
    assert facts["construction"] == "radial"
    assert facts["service_type"] == "passenger car (euro-metric)"


def test_zr_size_with_a_space():
    size = parse_tire_size("205/55 ZR16")
    assert size.zr is True
    assert size.diameter_mm == pytest.approx(631.9)
    assert "240 km/h" in size.describe()["zr"]


def test_light_truck_metric():
    size = parse_tire_size("LT265/75R16")
    assert size.service_type == "LT"
    assert size.diameter_mm == pytest.approx(803.9)
    assert size.describe()["service_type"] == "light truck"


def test_flotation_size():
    size = parse_tire_size("31x10.50R15")
    assert size.diameter_mm == pytest.approx(787.4)
    assert size.width_mm == pytest.approx(266.7)
    assert size.sidewall_mm == pytest.approx(203.2)
    assert size.aspect_ratio is None


def test_dual_load_index_and_p_metric():
    size = parse_tire_size("P215/65R15 95H")
    assert (size.service_type, size.load_index, size.max_speed_kmh) == ("P", 95, 210)
    truck = parse_tire_size("LT245/75R16 120/116S")
    assert (truck.load_index, truck.dual_load_index) == (120, 116)
    assert truck.max_load_kg == 1400


def test_comparison_and_speedometer_error():
    result = compare_tire_sizes("225/45R17", "225/50R17")
    # 656.8 / 634.3 = 1.0355: the car goes 103.5 when the speedometer shows 100.
    assert result["diameter_difference_mm"] == pytest.approx(22.5)
    assert result["diameter_difference_percent"] == pytest.approx(3.55, abs=0.01)
    assert result["actual_speed_when_speedometer_shows_100"] == pytest.approx(103.5)
    assert result["within_3_percent"] is False
    same = compare_tire_sizes("225/45R17", "245/40R17")
    assert same["within_3_percent"] is True


@pytest.mark.parametrize("text", ["", "hello", "999/99R99", "225/45R17 94X", "15x31R20"])
def test_unreadable_sizes_say_why(text):
    with pytest.raises(TireSizeError):
        parse_tire_size(text)


def test_sizes_are_found_in_a_message():
    message = "Can I swap my 225/45R17 94W for 235/40 R18, or go to 31x10.50R15 LT?"
    assert find_tire_sizes(message) == ["225/45R17 94W", "235/40 R18", "31x10.50R15 LT"]


def test_truck_rims_in_half_inches_are_found_whole():
    assert find_tire_sizes("215/75R17.5 on my box truck") == ["215/75R17.5"]


def test_a_flotation_size_needs_a_real_width():
    with pytest.raises(TireSizeError):
        parse_tire_size("31x0R15")


def test_one_size_spelled_two_ways_is_one_card_and_no_comparison():
    from automotive.facts import facts_for

    titles = [fact.title for fact in facts_for("is 225/45 R17 the same as 225/45R17?")]
    assert titles == ["Tire size 225/45 R17"]
