"""Tire sizes against worked values."""

from __future__ import annotations

import pytest

from automotive.facts import facts_for
from automotive.tires import (
    LOAD_INDEX_KG,
    LOAD_RANGE_PLY,
    SPEED_RATING_KMH,
    TireSizeError,
    compare_tire_sizes,
    distinct_tire_sizes,
    find_tire_sizes,
    parse_tire_size,
    size_change,
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
    assert size.load_text() == "Load index 94: up to 670 kg (1477 lb) per tire"
    assert size.speed_text() == "Speed rating W: up to 270 km/h (168 mph)"


def test_zr_size_with_a_space():
    size = parse_tire_size("205/55 ZR16")
    assert size.zr is True
    assert size.diameter_mm == pytest.approx(631.9)
    assert "240 km/h" in size.describe()["zr"]
    # ZR with no service description: above 240, not up to it.
    assert (size.max_speed_kmh, size.speed_above_kmh) == (None, 240)
    assert size.speed_text().startswith("Speed rating ZR: above 240 km/h (149 mph)")


def test_zr_with_a_service_description_is_limited_by_it():
    size = parse_tire_size("225/45ZR17 91W")
    assert (size.zr, size.load_index, size.max_speed_kmh) == (True, 91, 270)
    assert size.speed_above_kmh is None
    assert size.max_load_kg == 615


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


def test_flotation_size_with_a_service_description_and_load_range():
    size = parse_tire_size("35x12.50R20LT 121Q load range E")
    assert (size.service_type, size.load_index, size.max_speed_kmh) == ("LT", 121, 160)
    assert (size.load_range, size.effective_ply_rating) == ("E", 10)
    assert size.text == "35X12.50R20LT 121Q Load Range E"


def test_dual_load_index_and_p_metric():
    size = parse_tire_size("P215/65R15 95H")
    assert (size.service_type, size.load_index, size.max_speed_kmh) == ("P", 95, 210)
    truck = parse_tire_size("LT245/75R16 120/116S")
    assert (truck.load_index, truck.dual_load_index) == (120, 116)
    assert truck.max_load_kg == 1400


# ---------------------------------------------------------------- speed symbols

# ETRTO / ISO 4000-1 / UN ECE R30, written out here rather than read from the module.
SPEED_TABLE = {
    "A1": 5, "A2": 10, "A3": 15, "A4": 20, "A5": 25, "A6": 30, "A7": 35, "A8": 40,
    "B": 50, "C": 60, "D": 65, "E": 70, "F": 80, "G": 90, "J": 100, "K": 110, "L": 120,
    "M": 130, "N": 140, "P": 150, "Q": 160, "R": 170, "S": 180, "T": 190, "U": 200,
    "H": 210, "V": 240, "W": 270, "Y": 300,
}  # fmt: skip
MPH = {100: 62, 110: 68, 120: 75, 130: 81, 140: 87, 150: 93, 160: 99, 170: 106, 180: 112,
       190: 118, 200: 124, 210: 130, 240: 149, 270: 168, 300: 186}  # fmt: skip


def test_the_speed_table_is_complete():
    assert SPEED_RATING_KMH == SPEED_TABLE


@pytest.mark.parametrize(("symbol", "kmh"), SPEED_TABLE.items())
def test_every_speed_symbol_is_read(symbol, kmh):
    size = parse_tire_size(f"225/45R17 91{symbol}")
    assert (size.speed_rating, size.max_speed_kmh, size.speed_above_kmh) == (symbol, kmh, None)
    assert f"up to {kmh} km/h" in size.speed_text()
    if kmh in MPH:  # the US charts' mph figures
        assert f"({MPH[kmh]} mph)" in size.speed_text()


@pytest.mark.parametrize(("text", "above"), [("245/40ZR18 (97Y)", 300), ("245/40ZR18 (97W)", 270)])
def test_a_bracketed_symbol_means_above_not_up_to(text, above):
    size = parse_tire_size(text)
    assert (size.max_speed_kmh, size.speed_above_kmh) == (None, above)
    assert size.speed_text().startswith(f"Speed rating ({text[-2]}): above {above} km/h")
    facts = size.describe()
    assert "max_speed_kmh" not in facts
    assert facts["rated_above_kmh"] == above
    assert facts["speed_rating"] == f"({text[-2]})"


def test_a_bracketed_service_description_is_found_with_its_size():
    message = "255/35ZR19 (96Y) on the rear only, is that ok?"
    # The plain finder keeps the eval set's contract; the markings finder keeps the brackets.
    assert find_tire_sizes(message) == ["255/35ZR19"]
    assert find_tire_sizes(message, markings=True) == ["255/35ZR19 (96Y)"]
    [card] = facts_for(message)
    assert "Speed rating (Y): above 300 km/h (186 mph); the tire maker states the maximum" in (
        card.lines
    )


# ---------------------------------------------------------------- load indexes

# Worked values from the standard load index table (kg per tire).
LOAD_SAMPLES = [
    (0, 45), (1, 46.2), (9, 58), (19, 77.5), (20, 80), (35, 121), (50, 190), (59, 243),
    (60, 250), (61, 257), (75, 387), (84, 500), (91, 615), (94, 670), (99, 775), (100, 800),
    (107, 975), (109, 1030), (115, 1215), (116, 1250), (118, 1320), (120, 1400),
    (121, 1450), (126, 1700), (133, 2060), (141, 2575), (147, 3075), (150, 3350),
    (155, 3875), (160, 4500),
]  # fmt: skip


@pytest.mark.parametrize(("index", "kg"), LOAD_SAMPLES)
def test_load_indexes(index, kg):
    size = parse_tire_size(f"LT245/75R16 {index:02d}S")  # indexes are written with 2+ digits
    assert size.max_load_kg == kg
    pounds = round(kg * 2.20462)
    assert size.load_text() == f"Load index {index}: up to {kg:g} kg ({pounds} lb) per tire"


def test_the_load_table_is_whole_and_follows_the_r80_series():
    assert sorted(LOAD_INDEX_KG) == list(range(161))
    loads = [LOAD_INDEX_KG[i] for i in range(161)]
    assert loads == sorted(set(loads))  # strictly increasing
    for index, kg in LOAD_INDEX_KG.items():
        # The table is 45 kg x 10^(index/80) rounded to preferred numbers.
        assert kg == pytest.approx(45 * 10 ** (index / 80), rel=0.025), index


# ---------------------------------------------------------------- C and LT sizes, load pairs


@pytest.mark.parametrize(
    ("text", "service", "single", "dual", "kmh"),
    [
        ("215/65R16C 109/107R", "C", 1030, 975, 170),
        ("215/65 R16 C 109/107 R", "C", 1030, 975, 170),
        ("195/75R16C 107/105R", "C", 975, 925, 170),
        ("LT245/75R16 120/116K", "LT", 1400, 1250, 110),
        ("LT285/70R17 121/118S", "LT", 1450, 1320, 180),
        ("245/75R16 120/116Q LT", "LT", 1400, 1250, 160),
    ],
)
def test_commercial_and_light_truck_load_pairs(text, service, single, dual, kmh):
    size = parse_tire_size(text)
    assert size.service_type == service
    assert (size.max_load_kg, size.dual_max_load_kg, size.max_speed_kmh) == (single, dual, kmh)
    load = size.load_text()
    assert f"up to {single} kg" in load and "per tire fitted single" in load
    assert f"{dual} kg" in load and "per tire fitted in twins" in load


def test_a_commercial_size_is_read_whole_in_a_message():
    # It used to be cut to "215/65R16", losing the C and the load pair.
    assert find_tire_sizes("van needs 215/65R16C 109/107R tires") == ["215/65R16C 109/107R"]
    [card] = facts_for("van needs 215/65R16C 109/107R tires")
    assert card.title == "Tire size 215/65R16C 109/107R"
    assert "Service type C: commercial (van and light truck, euro-metric)" in card.lines
    assert (
        "Load index 109/107: up to 1030 kg (2271 lb) per tire fitted single, 975 kg (2150 lb) "
        "per tire fitted in twins (dual wheels)"
    ) in card.lines
    assert "Speed rating R: up to 170 km/h (106 mph)" in card.lines


@pytest.mark.parametrize("text", ["LT245/75R16 120/116K", "225/45R17 91J"])
def test_slow_speed_symbols_are_ratings(text):
    # J and K used to be refused as "not a speed rating", so the size was not found at all.
    assert find_tire_sizes(f"is {text} ok?") == [text]
    assert parse_tire_size(text).max_speed_kmh in (100, 110)


@pytest.mark.parametrize(
    "written",
    ["Load Range E", "load range e", "LRE", "LR E", "load range: E", "Load Range  E"],
)
def test_load_range_spellings(written):
    size = parse_tire_size(f"LT285/70R17 121/118S {written}")
    assert (size.load_range, size.effective_ply_rating) == ("E", 10)
    assert size.text == "LT285/70R17 121/118S Load Range E"


@pytest.mark.parametrize(
    ("letter", "ply"), [("B", 4), ("C", 6), ("D", 8), ("E", 10), ("F", 12), ("G", 14)]
)
def test_load_range_letters_are_ply_ratings(letter, ply):
    size = parse_tire_size(f"LT235/85R16 120/116R Load Range {letter}")
    assert size.effective_ply_rating == ply
    [note] = size.marking_notes()
    assert note.startswith(f"Load Range {letter}: {ply}-ply rating (a strength rating")
    assert "molded on the sidewall" in note  # no made-up pressure figure


def test_the_load_range_table():
    assert {k: LOAD_RANGE_PLY[k] for k in "CDEF"} == {"C": 6, "D": 8, "E": 10, "F": 12}


def test_a_ply_rating_is_read():
    size = parse_tire_size("215/65R16C 109/107R 8PR")
    assert (size.ply_rating, size.load_range) == (8, None)
    assert size.marking_notes() == ["8-ply rating (a strength rating, not a count of plies)"]


def test_markings_are_found_with_their_size():
    message = "Trailer tires ST225/75R15 load range D and LT285/70R17 121/118S LRE, 8 ply?"
    assert find_tire_sizes(message) == ["ST225/75R15", "LT285/70R17 121/118S"]
    assert find_tire_sizes(message, markings=True) == [
        "ST225/75R15 load range D",
        "LT285/70R17 121/118S LRE",
    ]


# ---------------------------------------------------------------- extra load


@pytest.mark.parametrize("mark", ["XL", "xl", "Reinforced", "RF", "Extra Load", "REINF"])
def test_extra_load_markings(mark):
    size = parse_tire_size(f"255/35R19 96Y {mark}")
    assert size.extra_load is True
    assert (size.max_load_kg, size.max_speed_kmh) == (710, 300)
    assert size.marking_notes()[0].startswith("XL (extra load, reinforced)")
    assert size.describe()["extra_load"] is True


def test_xl_is_found_with_markings_but_not_in_the_plain_finder():
    message = "Winter tyres 195/65R15 91T XL for a Golf"
    assert find_tire_sizes(message) == ["195/65R15 91T"]
    assert find_tire_sizes(message, markings=True) == ["195/65R15 91T XL"]
    [card] = facts_for(message)
    assert card.title == "Tire size 195/65R15 91T XL"


# ---------------------------------------------------------------- spellings


@pytest.mark.parametrize(
    "text", ["225/45R17", "225/45 R17", "225/45r17", "225 / 45 R 17", "225/45-17", "225/45 r 17"]
)
def test_spellings_of_one_size(text):
    assert parse_tire_size(text).diameter_mm == pytest.approx(634.3)
    assert find_tire_sizes(f"fits {text} ok") == [text]


def test_lower_case_service_description():
    size = parse_tire_size("p215/65r15 95h")
    assert (size.text, size.service_type, size.max_speed_kmh) == ("P215/65R15 95H", "P", 210)


@pytest.mark.parametrize("message", ["225 45 17", "I drove 225 45 17 km", "225/45"])
def test_sizes_without_slash_and_rim_are_not_read_from_prose(message):
    assert find_tire_sizes(message) == []


def test_a_number_after_a_size_is_not_taken_as_its_load_index():
    # "91 a" is not a service description; the size alone is still found.
    assert find_tire_sizes("is 225/45R17 91 a good load index?") == ["225/45R17"]
    assert find_tire_sizes("215/65R16 C-rated?") == ["215/65R16"]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "hello",
        "999/99R99",
        "225/45R17 94X",
        "15x31R20",
        "245/40ZR18 (97V)",  # only W and Y are written in brackets
        "245/40ZR18 (97Y",  # unclosed
        "225/45R17 94W banana",
        "LT285/70R17 121/118S load range Z",
    ],
)
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
    text = "is 225/45 R17 the same as 225/45R17?"
    titles = [fact.title for fact in facts_for(text)]
    assert titles == ["Tire size 225/45 R17"]
    assert distinct_tire_sizes(text) == ["225/45 R17"]
    assert size_change(text) is None


# ---------------------------------------------------------------- which size is fitted now

CURRENT, NEW = "245/75R16", "265/70R17"


@pytest.mark.parametrize(
    "message",
    [
        "can I put 265/70R17 instead of the stock 245/75R16",
        "Can I put 265/70R17 instead of 245/75R16?",
        "265/70R17 in place of my OEM 245/75R16?",
        "265/70R17 rather than the original 245/75R16",
        "replace 245/75R16 with 265/70R17",
        "I want to replace my 245/75R16 with 265/70R17",
        "from 245/75R16 to 265/70R17",
        "going from 245/75R16 to 265/70R17",
        "245/75R16 → 265/70R17",
        "245/75R16 -> 265/70R17",
        "265/70R17 <- 245/75R16",
        "currently on 245/75R16, thinking about 265/70R17",
        "stock 245/75R16, would 265/70R17 fit?",
        "factory size is 245/75R16. Is 265/70R17 ok?",
        "My Tacoma came with 245/75R16. Is 265/70R17 ok?",
        "upsize to 265/70R17 from 245/75R16",
        "upsize to 265/70R17 from my stock 245/75R16",
        "Upsize to 265/70R17? My truck has 245/75R16",
        "swap 245/75R16 for 265/70R17",
        "can I fit 265/70R17 on a car that has 245/75R16",
        "Can I fit 265/70R17? Stock is 245/75R16",
        "Will 265/70R17 fit if 245/75R16 is stock?",
        "Should 265/70R17 replace 245/75R16?",
        "I run 245/75R16, can I run 265/70R17?",
        "265/70R17? I run 245/75R16",
        "Is it ok to put 265/70R17 on my truck? It came with 245/75R16.",
        "用265/70R17代替245/75R16可以吗",
    ],
)
def test_which_size_is_fitted_now(message):
    assert size_change(message) == (CURRENT, NEW)


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        # No cue: the order written, first = current.
        ("265/70R17 vs 245/75R16", ("265/70R17", "245/75R16")),
        ("245/75R16 vs 265/70R17", ("245/75R16", "265/70R17")),
        ("Can I run 265/70R17 or 245/75R16?", ("265/70R17", "245/75R16")),
        ("Speedometer error going from 225/45 R17 to 225/50 R17", ("225/45 R17", "225/50 R17")),
        ("Posso usar pneus 205/55R16 no lugar dos 195/65R15?", ("195/65R15", "205/55R16")),
        ("轮胎225/45R17可以换成235/40R18吗", ("225/45R17", "235/40R18")),
    ],
)
def test_order_without_or_with_foreign_cues(message, expected):
    assert size_change(message) == expected


@pytest.mark.parametrize(
    "message",
    [
        "My 120/70ZR17 front and 180/55ZR17 rear are cupping on my CBR600",
        "front 245/40R18, rear 275/35R18 on my staggered setup",
        "only one size here: 225/45R17",
        "three sizes: 225/45R17, 235/40R18 and 245/35R19",
    ],
)
def test_no_change_of_size(message):
    assert size_change(message) is None


# ---------------------------------------------------------------- two sizes compared


def test_comparison_and_speedometer_error():
    result = compare_tire_sizes("225/45R17", "225/50R17")
    # 656.8 / 634.3 = 1.0355: the car goes 103.5 when the speedometer shows 100.
    assert result["diameter_difference_mm"] == pytest.approx(22.5)
    assert result["diameter_difference_percent"] == pytest.approx(3.55, abs=0.01)
    assert result["actual_speed_when_speedometer_shows_100"] == pytest.approx(103.5)
    assert result["within_3_percent"] is False
    same = compare_tire_sizes("225/45R17", "245/40R17")
    assert same["within_3_percent"] is True


def test_a_taller_new_tire_makes_the_speedometer_under_read():
    # 245/75R16: 406.4 + 2 x 183.75 = 773.9 mm. 265/70R17: 431.8 + 2 x 185.5 = 802.8 mm.
    # 802.8 / 773.9 = 1.03734: at an indicated 100 the car does 103.7; at a true 100 the
    # speedometer shows 100 / 1.03734 = 96.4 (3.6% low).
    result = compare_tire_sizes("245/75R16", "265/70R17")
    assert result["current"]["overall_diameter_mm"] == 773.9
    assert result["new"]["overall_diameter_mm"] == 802.8
    assert result["diameter_difference_mm"] == 28.9
    assert result["diameter_difference_percent"] == 3.73
    assert result["actual_speed_when_speedometer_shows_100"] == 103.7
    assert result["speedometer_shows_at_actual_100"] == 96.4
    assert result["speedometer_reads"] == "low"
    assert result["speedometer_error_percent"] == -3.6
    assert result["within_3_percent"] is False
    assert result["speedometer"].startswith("The speedometer will under-read")


def test_a_shorter_new_tire_makes_the_speedometer_over_read():
    result = compare_tire_sizes("265/70R17", "245/75R16")
    assert result["diameter_difference_mm"] == -28.9
    assert result["diameter_difference_percent"] == -3.6
    assert result["actual_speed_when_speedometer_shows_100"] == 96.4
    assert result["speedometer_shows_at_actual_100"] == 103.7
    assert result["speedometer_reads"] == "high"
    assert result["speedometer_error_percent"] == 3.73
    assert result["speedometer"].startswith("The speedometer will over-read")


def test_the_card_for_the_issue_example_says_under_reads():
    [*_cards, comparison] = facts_for("can I put 265/70R17 instead of the stock 245/75R16")
    assert comparison.title == "Tire sizes compared: 245/75R16 → 265/70R17"
    assert comparison.lines == (
        "265/70R17 is 28.9 mm (3.7%) taller than 245/75R16",
        "The speedometer will under-read: you go faster than it shows. At an indicated "
        "100 km/h (or mph) you are really doing 103.7; at a true 100 it shows 96.4. The "
        "odometer counts 3.6% short",
        "Outside the usual ±3% diameter tolerance: speedometer, ABS and gearing are affected",
    )


def test_the_card_the_other_way_says_over_reads():
    [*_cards, comparison] = facts_for("can I put 245/75R16 instead of the stock 265/70R17")
    assert comparison.title == "Tire sizes compared: 265/70R17 → 245/75R16"
    assert comparison.lines[0] == "245/75R16 is 28.9 mm (3.6%) shorter than 265/70R17"
    assert comparison.lines[1] == (
        "The speedometer will over-read: you go slower than it shows. At an indicated "
        "100 km/h (or mph) you are really doing 96.4; at a true 100 it shows 103.7. The "
        "odometer counts 3.7% long"
    )


def test_the_same_diameter_is_said_plainly():
    [*_cards, comparison] = facts_for("Is 205/55 ZR16 the same as 205/55R16?")
    assert comparison.lines[:2] == (
        "205/55R16 has the same overall diameter as 205/55 ZR16",
        "The speedometer and odometer read the same as with the current tires",
    )


def test_a_staggered_pair_gets_no_comparison_card():
    kinds = [f.kind for f in facts_for("front 245/40R18, rear 275/35R18 on my staggered setup")]
    assert kinds == ["tire", "tire"]


# ---------------------------------------------------------------- mechanic's review


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("stock 225/55R17, now on 215/55R17", ("225/55R17", "215/55R17")),
        ("Instead of the stock 225/55R17, I run 215/55R17", ("225/55R17", "215/55R17")),
        ("instead of 225/55R17 I have 215/55R17", ("225/55R17", "215/55R17")),
        ("instead of 205/55R16 I fitted 195/65R15", ("205/55R16", "195/65R15")),
        ("rather than the original 225/55R17, I use 215/55R17", ("225/55R17", "215/55R17")),
        # The rules that already held still do.
        ("215/55R17 instead of 225/55R17", ("225/55R17", "215/55R17")),
        ("replaced 225/55R17 with 215/55R17", ("225/55R17", "215/55R17")),
        ("went from 225/55R17 to 215/55R17", ("225/55R17", "215/55R17")),
        ("I have 225/55R17, can I fit 215/55R17?", ("225/55R17", "215/55R17")),
    ],
)
def test_a_cue_before_the_first_size_makes_it_the_current_one(message, expected):
    assert size_change(message) == expected


def test_a_smaller_tire_than_stock_makes_the_speedometer_over_read():
    current, new = size_change("Instead of the stock 225/55R17, I run 215/55R17")
    assert compare_tire_sizes(current, new)["speedometer_reads"] == "high"


@pytest.mark.parametrize(
    ("size", "construction"),
    [
        ("100/90-19", "diagonal (bias-ply)"),
        ("195/65-15", "diagonal (bias-ply)"),
        ("31x10.50-15", "diagonal (bias-ply)"),
        ("195/65D15", "diagonal (bias-ply)"),
        ("195/65B15", "belted bias"),
        ("195/65R15", "radial"),
        ("195/65R-15", "radial"),
        ("195/65 R15", "radial"),
    ],
)
def test_a_dash_before_the_rim_is_bias_ply_not_radial(size, construction):
    assert parse_tire_size(size).construction == construction


def test_the_card_for_a_dash_size_says_bias_ply():
    lines = " ".join(facts_for("what does 100/90-19 on my front tire mean")[0].lines)
    assert "diagonal (bias-ply) construction" in lines
    assert "radial" not in lines
