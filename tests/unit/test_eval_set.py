"""The staying-on-topic evaluation set: its shape, and the entities found in every question.

The data is in tests/support/eval_questions.py. tests/app/test_eval_chat.py sends every
question through POST /chat.
"""

from __future__ import annotations

import re
import unicodedata

import pytest

from automotive.tires import find_tire_sizes, parse_tire_size
from automotive.vin import check_digit_applies, check_vin, find_vins
from tests.support.eval_questions import (
    OTHER_LANGUAGES,
    QUESTIONS,
    SECTIONS,
    TRUNCATED_VIN,
    WRONG_CHECK_DIGIT_VIN,
    EvalQuestion,
    car_questions,
    off_topic_questions,
)

DTC_FORMAT = re.compile(r"[PCBU][0-3][0-9A-F]{3}")

REQUIRED_LANGUAGES = ("de", "es", "fr", "it", "pt", "pl", "nl", "ja", "zh", "ru", "tr", "ar")


def _id(index: int, question: EvalQuestion) -> str:
    ascii_text = unicodedata.normalize("NFKD", question.text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:40]
    return f"q{index:03d}-{slug}" if slug else f"q{index:03d}"


def _params(finder: str) -> list[object]:
    params = []
    for index, question in enumerate(QUESTIONS):
        params.append(pytest.param(question, id=_id(index, question)))
    return params


# ---------------------------------------------------------------- the set's shape


def test_the_set_is_big_enough():
    assert len(QUESTIONS) >= 150
    assert len(car_questions()) >= 120
    assert len(off_topic_questions()) >= 30
    assert len(car_questions()) + len(off_topic_questions()) == len(QUESTIONS)


def test_no_duplicate_or_blank_texts():
    normalised = [" ".join(q.text.casefold().split()) for q in QUESTIONS]
    duplicates = sorted({t for t in normalised if normalised.count(t) > 1})
    assert duplicates == []
    assert all(q.text and q.text == q.text.strip() for q in QUESTIONS)


def test_the_cases_the_keyword_filter_got_wrong_are_in():
    by_text = {q.text: q for q in QUESTIONS}
    assert by_text["P0420 code meaning"].car
    assert by_text["Is a Miata reliable"].car
    assert not by_text["Explain quantum physics"].car


def test_every_category_is_represented():
    for name, section in SECTIONS.items():
        assert len(section) >= 5, name
        if name == "other_languages":
            continue
        assert all(q.car == (name != "off_topic") for q in section), name


def test_other_languages_and_non_ascii_text():
    car_languages = {lang for lang, group in OTHER_LANGUAGES.items() if any(q.car for q in group)}
    assert set(REQUIRED_LANGUAGES) <= car_languages
    foreign_car = [q for group in OTHER_LANGUAGES.values() for q in group if q.car]
    assert len(foreign_car) >= 10
    assert any(not q.car for group in OTHER_LANGUAGES.values() for q in group)
    assert sum(not q.text.isascii() for q in QUESTIONS) >= 20


def test_entities_are_well_represented():
    cars = car_questions()
    assert sum(bool(q.dtcs) for q in cars) >= 10
    assert sum(bool(q.vins) for q in cars) >= 5
    assert sum(bool(q.tires) for q in cars) >= 5
    assert sum(len(q.dtcs) > 1 for q in cars) >= 3
    assert sum(len(q.tires) > 1 for q in cars) >= 3


def test_off_topic_questions_carry_no_car_entities():
    for question in off_topic_questions():
        assert (question.vins, question.dtcs, question.tires) == ((), (), ()), question.text


# ---------------------------------------------------------------- the labels themselves


def test_expected_vins_are_well_formed_with_right_check_digits():
    vins = {vin for q in QUESTIONS for vin in q.vins}
    assert WRONG_CHECK_DIGIT_VIN in vins
    # European and Asian VINs, not just North American ones.
    assert {"W", "V", "S", "J", "K", "L"} <= {vin[0] for vin in vins}
    for vin in vins:
        result = check_vin(vin)
        assert result.valid_format, vin
        if vin == WRONG_CHECK_DIGIT_VIN:
            assert result.check_digit == "invalid"
        elif check_digit_applies(vin):
            assert result.check_digit == "valid", vin


def test_the_truncated_vin_is_not_a_vin():
    assert len(TRUNCATED_VIN) == 16
    carrying = [q for q in QUESTIONS if re.search(rf"\b{TRUNCATED_VIN}\b", q.text)]
    assert carrying
    assert all(q.vins == () for q in carrying)


def test_expected_codes_are_uppercase_and_unique():
    for question in QUESTIONS:
        assert len(set(question.dtcs)) == len(question.dtcs), question.text
        for code in question.dtcs:
            assert DTC_FORMAT.fullmatch(code), (question.text, code)


def test_expected_tire_sizes_parse():
    for question in QUESTIONS:
        for size in question.tires:
            assert size in question.text, (question.text, size)
            parse_tire_size(size)


# ---------------------------------------------------------------- the finders on every question


@pytest.mark.parametrize("question", _params("vins"))
def test_vins_found(question: EvalQuestion):
    assert find_vins(question.text) == list(question.vins)


@pytest.mark.parametrize("question", _params("tires"))
def test_tire_sizes_found(question: EvalQuestion):
    assert find_tire_sizes(question.text) == list(question.tires)


@pytest.mark.parametrize("question", _params("dtcs"))
def test_dtcs_found(question: EvalQuestion):
    from automotive.dtc import find_dtcs  # automotive/dtc.py is being written alongside

    assert find_dtcs(question.text) == list(question.dtcs)
