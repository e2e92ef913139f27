"""VINs: find them in text, check them, and decode what they say about the vehicle.

A VIN has 17 characters: digits and the letters other than I, O and Q (ISO 3779; in the
US, 49 CFR 565).

- Positions 1-3 are the world manufacturer identifier (WMI, ISO 3780): region, country
  and maker. A maker of fewer than 1,000 vehicles a year has a 9 in position 3 and is
  identified by positions 1-3 and 12-14 together (49 CFR 565.15(a), ISO 3780).
- Positions 4-8 describe the vehicle in the maker's own codes. For vehicles sold in the
  US the maker files how to read them with NHTSA (49 CFR 565.16), which publishes them
  as vPIC.
- Position 9 is the check digit. It is mandatory on vehicles for North America
  (49 CFR 565.15(c)) and China (GB 16735), and optional elsewhere (ISO 3779).
- Position 10 is the model year (49 CFR 565.15(d); optional under ISO 3779), position 11
  the plant, and 12-17 the serial number.

The data comes from three places. The NHTSA vPIC subset bundled with the `vin` package
holds passenger cars, multipurpose vehicles and trucks, and no motorcycles, buses or
trailers. The `vininfo` package has a WMI table. A short table kept here (_OTHER_MAKERS)
names motorcycle, bus, truck and trailer makers that vPIC's subset lacks and that
vininfo gets wrong. This module has no Flask.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
from bisect import bisect_left
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from itertools import accumulate
from typing import Any

log = logging.getLogger(__name__)

VIN_LENGTH = 17
# ASCII look-arounds instead of \b: in "车架号LSVAU218XN2183294是" the CJK characters
# count as word characters, so \b would never match.
VIN_PATTERN = re.compile(r"(?<![A-Za-z0-9])[A-HJ-NPR-Z0-9]{17}(?![A-Za-z0-9])", re.IGNORECASE)
# Words joined by single spaces or dashes: a VIN written in groups ("1HG CM826 33A 004352")
# is looked for inside such runs.
_WORD_RUN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]+(?:[ -][A-Za-z0-9]+)+")
_WORD = re.compile(r"[A-Za-z0-9]+")
# Where people split a VIN: after the WMI (3), the descriptor (8 in 49 CFR 565, 9 in
# ISO 3779), the year (10), the plant (11), or a small maker's code (14). Splits anywhere
# else are more likely a list of codes or part numbers that happens to add up to 17.
_GROUP_EDGES = frozenset({3, 8, 9, 10, 11, 14})

_TRANSLITERATION = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
NOT_APPLICABLE = "not applicable"


@dataclass(frozen=True)
class VinCheck:
    """A VIN's format and check digit.

    ``vin`` is the text upper-cased without spaces or dashes. ``check_digit`` is "valid",
    "invalid" or "not applicable": not applicable means the format is wrong, or the check
    digit is optional for this VIN. ``reason`` says what is wrong. ``rule`` says why the
    check digit is mandatory here, or is None where it is not.
    """

    vin: str
    valid_format: bool
    check_digit: str  # "valid", "invalid" or "not applicable"
    reason: str | None = None
    rule: str | None = None


def find_vins(text: str) -> list[str]:
    """Find the VINs written in a message: upper-cased, in order of appearance, each once.

    A VIN is 17 characters without I, O or Q (ISO 3779), in any case. It may be written
    whole ("1hgcm82633a004352") or in groups split by single spaces or dashes
    ("1HG CM826 33A 004352", "1HG-CM826-33A-004352").

    A VIN found whole must look like one too (see _plausible): "0986AF1234ABCDEFG" is a
    part number, "AAAAAAAAAAAAAAAAA" filler, "ABCDEFGHJKLMNPRST" the alphabet.

    A grouped VIN must also look like one, so that words and lists of codes are never
    joined into a VIN. It needs letters and digits, and its last four characters are
    digits (ISO 3779). Its groups are split only where a VIN's sections meet. No group is
    letters alone in lower case, because that is a word.
    """
    text = str(text or "")
    found: list[tuple[int, str]] = []
    for match in VIN_PATTERN.finditer(text):
        candidate = match.group(0).upper()
        if _plausible(candidate):
            found.append((match.start(), candidate))
    for run in _WORD_RUN.finditer(text):
        found.extend(_grouped_vins(run.group(0), run.start()))
    vins: list[str] = []
    for _, vin in sorted(found):
        if vin not in vins:
            vins.append(vin)
    return vins


# The VIN alphabet in order, without I, O and Q: "ABCDE" and "HJKLM" are runs in it.
_LETTER_ORDER = "ABCDEFGHJKLMNPRSTUVWXYZ"
_LETTER_RUN = 5
_LETTER_RUNS = frozenset(
    _LETTER_ORDER[i : i + _LETTER_RUN] for i in range(len(_LETTER_ORDER) - _LETTER_RUN + 1)
)


def _plausible(vin: str) -> bool:
    """Tell whether 17 VIN characters found in free text look like a VIN (upper case).

    Part and order numbers, filler and keyboard runs often have 17 such characters. A VIN
    does not start with 0 (ISO 3780 has no region 0), and its serial number (positions
    12-17) ends in digits (ISO 3779): the last four for a maker of 500 or more vehicles a
    year, the last three for a small maker (a 9 in position 3). A run of 17 digits is a
    number; one character repeated or a run of the alphabet ("ABCDE") is filler.
    """
    numeric_tail = 3 if vin[2] == "9" else 4
    return (
        vin[0] != "0"
        and vin[-numeric_tail:].isdigit()
        and not vin.isdigit()
        and sum(c.isdigit() for c in vin) >= 2
        and len(set(vin)) > 1
        and not any(vin[i : i + _LETTER_RUN] in _LETTER_RUNS for i in range(len(vin)))
    )


def _grouped_vins(run: str, offset: int) -> list[tuple[int, str]]:
    """Find the VINs written in groups in one run of words, with their positions."""
    words = [(m.start(), m.group(0)) for m in _WORD.finditer(run)]
    # ends[k]: characters in words 0..k, so the words start..end hold 17 characters
    # exactly when ends[end] == ends[start - 1] + 17 (found by bisection, not a scan).
    ends = list(accumulate(len(word) for _, word in words))
    found = []
    start = 0
    while start < len(words):
        target = (ends[start - 1] if start else 0) + VIN_LENGTH
        end = bisect_left(ends, target)
        if end < len(words) and ends[end] == target and end > start:
            groups = [word for _, word in words[start : end + 1]]
            if _looks_grouped(groups) and _plausible("".join(groups).upper()):
                found.append((offset + words[start][0], "".join(groups).upper()))
                start = end + 1
                continue
        start += 1
    return found


def _looks_grouped(groups: list[str]) -> bool:
    """Tell whether words that add up to 17 characters are a VIN written in groups."""
    joined = "".join(groups).upper()
    # Cheapest tests first: most runs of words fail on their last four characters.
    return (
        joined[-4:].isdigit()
        and set(accumulate(len(group) for group in groups[:-1])) <= _GROUP_EDGES
        and all(group.isupper() or any(c.isdigit() for c in group) for group in groups)
        and all(c in _TRANSLITERATION for c in joined)
        and any(c.isalpha() for c in joined)
    )


def compute_check_digit(vin: str) -> str:
    """Compute the ninth-position check digit (0-9 or X) of a 17-character VIN.

    The method is the one in 49 CFR 565.15(c) and ISO 3779: transliterate, weight, sum,
    and take the remainder by 11. Raises KeyError for a character a VIN never has, and
    ValueError if the text is not 17 characters long.
    """
    total = sum(_TRANSLITERATION[c] * w for c, w in zip(vin.upper(), _WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def check_digit_applies(vin: str) -> bool:
    """Tell whether this VIN must carry a valid check digit.

    It must if it is North American (first character 1-5, 49 CFR 565.15(c)) or Chinese
    (L, GB 16735). It must also if the bundled NHTSA vPIC data decodes it for its model
    year, because vPIC lists vehicles sold in the US, where 49 CFR 565 requires the check
    digit whatever the country of manufacture. Malformed text gives False.
    """
    vin = str(vin or "").upper()
    if len(vin) != VIN_LENGTH or any(c not in _TRANSLITERATION for c in vin):
        return False
    return _check_digit_rule(vin) is not None


@dataclass(frozen=True)
class _Rule:
    name: str  # shown with a valid check digit
    why: str  # completes "a character is probably mistyped: ..."


def _check_digit_rule(vin: str) -> _Rule | None:
    if vin[0] in "12345":
        return _Rule(
            "North American VIN (49 CFR 565)",
            "a VIN that starts with 1-5 is North American, and those always carry a valid "
            "check digit (49 CFR 565.15(c))",
        )
    if vin[0] == "L":
        return _Rule(
            "Chinese VIN (GB 16735)",
            "a VIN that starts with L is Chinese, and those always carry a valid check "
            "digit (GB 16735)",
        )
    try:
        reading = _read(vin)
    except Exception:
        # check_vin validates forms too: a fault in the data must not fail the request.
        log.exception("VIN market lookup failed for %s", vin)
        return None
    if reading.sold_in_us and reading.details:
        vehicle = _describe(reading.details, reading.year)
        return _Rule(
            "vehicle sold in North America (NHTSA vPIC; 49 CFR 565)",
            f"this VIN reads as a {vehicle} sold in North America (NHTSA vPIC), and every "
            "vehicle sold there carries a valid check digit (49 CFR 565.15(c))",
        )
    return None


def check_vin(text: str) -> VinCheck:
    """Check a VIN's format and, where it is mandatory, its check digit.

    Spaces and dashes are dropped and the text is upper-cased. Never raises: what is
    wrong is in ``reason``. Where the check digit is mandatory, see check_digit_applies.
    """
    vin = re.sub(r"[\s-]", "", str(text or "")).upper()
    if len(vin) != VIN_LENGTH:
        return VinCheck(
            vin, False, NOT_APPLICABLE, f"A VIN has 17 characters; this has {len(vin)}."
        )
    bad = sorted(set(c for c in vin if c not in _TRANSLITERATION))
    if bad:
        letters = ", ".join(c if c.isprintable() else repr(c) for c in bad)
        reason = (
            f"A VIN never contains {letters} (I, O and Q are not used; only letters and digits)."
        )
        return VinCheck(vin, False, NOT_APPLICABLE, reason)
    if len(set(vin)) == 1:
        reason = (
            f"{vin[0]} repeated 17 times is a placeholder, not a VIN: a VIN names a maker "
            "(characters 1-3) and a serial number (12-17)."
        )
        return VinCheck(vin, False, NOT_APPLICABLE, reason)
    expected = compute_check_digit(vin)
    rule = _check_digit_rule(vin)
    if rule is None:
        return VinCheck(vin, True, NOT_APPLICABLE)
    if vin[8] == expected:
        return VinCheck(vin, True, "valid", rule=rule.name)
    reason = (
        f"The check digit (9th character) is {vin[8]} but should be {expected}, so a "
        f"character is probably mistyped: {rule.why}."
    )
    return VinCheck(vin, True, "invalid", reason, rule=rule.name)


# ---------------------------------------------------------------- decoding

# The `vin` package shares one SQLite connection across threads; two decodes at once
# hang the process, so every call into it holds this lock.
_DECODE_LOCK = threading.Lock()
# The model-year codes of position 10, 1980 onwards, in a 30-year cycle: A = 1980 or
# 2010 ... Y = 2000 or 2030, 1 = 2001 or 2031 ... 9 = 2009 or 2039 (49 CFR 565.15(d),
# ISO 3779). I, O, Q, U, Z and 0 are never year codes.
_MODEL_YEAR_CODES = "ABCDEFGHJKLMNPRSTVWXY123456789"
_FIRST_CYCLE = 1980
_CYCLE = 30
WMI_SOURCE = "World manufacturer identifier (vininfo)"
VPIC_WMI_SOURCE = "World manufacturer identifier (NHTSA vPIC)"
OTHER_MAKERS_SOURCE = "World manufacturer identifier (motorcycle, bus, truck and trailer makers)"

# vPIC vehicle types whose VINs follow the position-7 rule: passenger cars (2), MPVs (7)
# and light trucks (3 with truck type 1). A truck of unknown weight class is not assumed
# light: Mack, Volvo and Western Star are listed that way.
_LIGHT_TYPES = frozenset({2, 7})
_TRUCK, _LIGHT_TRUCK = 3, 1

# Makers that the bundled vPIC subset lacks (it holds only passenger cars, MPVs and some
# trucks) and that vininfo names wrongly or not at all. vininfo falls back on the first two
# characters, so it reads 1HT as Honda, 1NP as Nissan and 1JJ as Jeep. Each entry is an
# ISO 3780 WMI as its maker publishes it in its VIN guides (Harley-Davidson's service
# manual lists 1HD, 5HD, 932, MEG and MLY, for example), with vPIC's name for the vehicle
# type. The list is kept by hand: add a WMI only when its maker and class are certain.
_OTHER_MAKERS: dict[str, tuple[str, str]] = {
    # Motorcycles
    "1HD": ("Harley-Davidson", "Motorcycle"),
    "5HD": ("Harley-Davidson", "Motorcycle"),
    "932": ("Harley-Davidson", "Motorcycle"),
    "MEG": ("Harley-Davidson", "Motorcycle"),
    "MLY": ("Harley-Davidson", "Motorcycle"),
    "JH2": ("Honda", "Motorcycle"),
    "1HF": ("Honda", "Motorcycle"),
    "JKA": ("Kawasaki", "Motorcycle"),
    "JKB": ("Kawasaki", "Motorcycle"),
    "JS1": ("Suzuki", "Motorcycle"),
    "JYA": ("Yamaha", "Motorcycle"),
    "ZDM": ("Ducati", "Motorcycle"),
    "VBK": ("KTM", "Motorcycle"),
    "SMT": ("Triumph", "Motorcycle"),
    "WB1": ("BMW", "Motorcycle"),
    "56K": ("Indian", "Motorcycle"),
    # Buses
    "1BA": ("Blue Bird", "Bus"),
    "4DR": ("IC Bus", "Bus"),
    "1HV": ("International", "Bus"),
    "1M8": ("Motor Coach Industries", "Bus"),
    "5FY": ("New Flyer", "Bus"),
    "2FY": ("New Flyer", "Bus"),
    "15G": ("Gillig", "Bus"),
    # Medium and heavy trucks
    "1HT": ("International", "Truck"),
    "3HA": ("International", "Truck"),
    "1FV": ("Freightliner", "Truck"),
    "1M2": ("Mack", "Truck"),
    "1NP": ("Peterbilt", "Truck"),
    "2NP": ("Peterbilt", "Truck"),
    "1NK": ("Kenworth", "Truck"),
    "2NK": ("Kenworth", "Truck"),
    "JAL": ("Isuzu", "Truck"),
    # Trailers
    "1JJ": ("Wabash", "Trailer"),
    "1GR": ("Great Dane", "Trailer"),
    "1UY": ("Utility Trailer", "Trailer"),
    "3H3": ("Hyundai Translead", "Trailer"),
}
# ISO 3780 country codes (the first two characters of the WMI) where the data packages
# name the wrong country. vPIC's WMI table gives the country of the company that
# registered the code, not the one the code stands for: it lists 9BW (Volkswagen do
# Brasil) as Mexico, 3MW (BMW, San Luis Potosí) as Germany and 2G2 (GM Canada) as the
# United States. Only ranges that are certain are listed; the second character runs
# A-Z, then 1-9, then 0 (ISO 3780).
_SECOND_CHARACTER_ORDER = "ABCDEFGHJKLMNPRSTUVWXYZ1234567890"
_ISO_3780_COUNTRIES: tuple[tuple[str, str, str, str], ...] = (
    # (first character, second character from, to, country)
    ("1", "A", "0", "United States of America"),
    ("4", "A", "0", "United States of America"),
    ("5", "A", "0", "United States of America"),
    ("2", "A", "W", "Canada"),
    ("3", "A", "W", "Mexico"),
    ("8", "A", "E", "Argentina"),
    ("9", "A", "E", "Brazil"),
    ("9", "3", "9", "Brazil"),
)


def _iso_country(vin: str) -> str | None:
    """The country ISO 3780 assigns to the VIN's first two characters, where certain."""
    if vin[1] not in _SECOND_CHARACTER_ORDER:
        return None
    second = _SECOND_CHARACTER_ORDER.index(vin[1])
    for first, low, high, country in _ISO_3780_COUNTRIES:
        start, end = _SECOND_CHARACTER_ORDER.index(low), _SECOND_CHARACTER_ORDER.index(high)
        if vin[0] == first and start <= second <= end:
            return country
    return None


_CLASS_PLURALS = {
    "Motorcycle": "motorcycles",
    "Bus": "buses",
    "Truck": "medium and heavy trucks",
    "Trailer": "trailers",
}
# What can go wrong inside the data packages: the database and its REGEXP shim, and the
# packages' own checks. Each call below catches these; decode_vin also guards the rest.
_DATA_ERRORS: tuple[type[Exception], ...] = (
    sqlite3.Error,
    re.error,
    ValueError,
    TypeError,
    LookupError,
    AttributeError,
    AssertionError,
)


@dataclass(frozen=True)
class VinDecode:
    """What a VIN says about its vehicle; ``decoded`` is False when nothing could be read.

    ``year`` is the model year when it is certain enough to state. ``model_year_candidates``
    holds the years position 10 may mean when none is stated: both when it cannot tell
    30-year cycles apart, for example (1985, 2015), or one, (2001,), on a VIN from outside
    North America, where position 10 is optional and may hold no year at all.
    ``year_note`` explains the year: how it was read, why it is ambiguous, or
    that the VIN does not encode it. ``reason`` says why the vehicle was not (fully)
    decoded, or how sure the match is. ``source`` names the data set that answered.
    """

    vin: str
    check: VinCheck
    decoded: bool
    source: str | None = None  # which data set answered
    year: int | None = None
    make: str | None = None
    model: str | None = None
    trim: str | None = None
    series: str | None = None
    body: str | None = None
    vehicle_type: str | None = None
    electrification: str | None = None
    manufacturer: str | None = None
    country: str | None = None
    region: str | None = None
    plant_code: str | None = None
    serial: str | None = None
    reason: str | None = None  # why the vehicle could not be (fully) decoded
    model_year_candidates: tuple[int, ...] = ()
    year_note: str | None = None

    @property
    def summary(self) -> str:
        """Name the vehicle in a few words, e.g. "2016 Mazda MX-5 Sport"."""
        if not (self.make or self.model):  # a year alone names nothing
            return self.manufacturer or "Unknown vehicle"
        parts = [str(self.year) if self.year else None, self.make, self.model, self.trim]
        return " ".join(p for p in parts if p)

    @property
    def year_text(self) -> str | None:
        """Say the model year, e.g. "2016", "1985 or 2015" or "not encoded (...)"."""
        if self.year:
            named = str(self.year)
        elif len(self.model_year_candidates) > 1:
            named = " or ".join(str(year) for year in self.model_year_candidates)
        elif self.year_note:
            return self.year_note
        else:
            return None
        return f"{named} ({self.year_note})" if self.year_note else named

    def to_dict(self) -> dict[str, object]:
        """Return the decode as plain data (for a model's tool result).

        Keys are the fields above (``year`` as "model_year", ``serial`` as
        "serial_number", the check digit's state as "check_digit"); empty ones are left
        out, and "model_year_candidates" is a list, given only when no year is stated.
        """
        data = {
            "vin": self.vin,
            "decoded": self.decoded,
            "check_digit": self.check.check_digit,
            "source": self.source,
            "model_year": self.year,
            "model_year_candidates": list(self.model_year_candidates) or None,
            "year_note": self.year_note,
            "make": self.make,
            "model": self.model,
            "trim": self.trim,
            "series": self.series,
            "body": self.body,
            "vehicle_type": self.vehicle_type,
            "electrification": self.electrification,
            "manufacturer": self.manufacturer,
            "country": self.country,
            "region": self.region,
            "plant_code": self.plant_code,
            "serial_number": self.serial,
            "reason": self.reason,
        }
        return {key: value for key, value in data.items() if value not in (None, "")}

    def facts(self) -> list[str]:
        """List the decoded facts as short lines, for a fact card or the model's context."""
        lines = []
        named = self.decoded and self.make
        if named:
            lines.append(f"Vehicle: {self.summary}")
        elif self.make:  # not decoded (a wrong check digit), but the maker is known
            lines.append(f"Make: {self.make}")
        # The year is already in the Vehicle line unless there is more to say about it.
        if self.year_text and not (named and self.year and not self.year_note):
            lines.append(f"Model year: {self.year_text}")
        for label, value in (
            ("Series", self.series),
            ("Body", self.body),
            ("Type", self.vehicle_type),
            ("Electrification", self.electrification),
            ("Manufacturer", self.manufacturer),
            ("Country (manufacturer code)", self.country),
            ("Region", self.region),
            ("Plant code (11th character)", self.plant_code),
        ):
            if value:
                lines.append(f"{label}: {value}")
        if line := self._check_digit_line():
            lines.append(line)
        if self.reason:
            lines.append(self.reason)
        if self.source:
            lines.append(f"Source: {self.source}")
        return lines

    def _check_digit_line(self) -> str | None:
        digit = self.check.check_digit
        if digit == "valid":
            return "Check digit: valid"
        if not self.check.valid_format:
            return None
        expected = compute_check_digit(self.vin)
        if digit == "invalid":
            return f"Check digit: wrong ({self.vin[8]} where {expected} belongs)"
        if self.vin[8] == expected:
            return "Check digit: matches (optional here; required only in North America and China)"
        return "Check digit: not applicable (required only in North America and China)"


def decode_vin(text: str) -> VinDecode:
    """Decode a VIN: the vehicle from NHTSA vPIC, else the maker from the WMI.

    1. The format and, where mandatory, the check digit (check_vin). A VIN that fails the
       check digit is not decoded, but its make and manufacturer are still named.
    2. The model year from position 10 (see _read).
    3. The vehicle from the bundled NHTSA vPIC data for that year. When that misses, the
       data is asked again without a year, and the answer says it is the likeliest
       match.
    4. Otherwise, the maker, country, region and vehicle type from the WMI (vPIC's WMI
       table, then _OTHER_MAKERS, then vininfo), with the reason nothing more is known.

    Never raises: any input, including text that is not a VIN, gets a VinDecode.
    """
    try:
        return _decode(text)
    except Exception:
        # The last guard: a bug or a data fault must never turn a chat turn into a 500.
        log.exception("VIN decode failed for %r", str(text)[:40])
        check = VinCheck(re.sub(r"[\s-]", "", str(text or "")).upper()[:40], False, NOT_APPLICABLE)
        reason = "This VIN could not be decoded: the decoder failed. Try again later."
        return VinDecode(check.vin, check, False, reason=reason)


def _decode(text: str) -> VinDecode:
    check = check_vin(text)
    vin = check.vin
    if not check.valid_format:
        return VinDecode(vin, check, False, reason=f"Not a valid VIN: {check.reason}")
    maker = _maker(vin)
    if check.check_digit == "invalid":
        reason = (
            f"Not decoded: {check.reason} Check the VIN on the windshield plate or the "
            "registration and type it again."
        )
        return VinDecode(
            vin,
            check,
            False,
            source=maker.source,
            make=maker.make,
            manufacturer=maker.manufacturer,
            country=maker.country,
            region=maker.region,
            reason=reason,
        )
    reading = _read(vin)
    year_fields: dict[str, Any] = {
        "year": reading.year,
        # The candidates are kept whenever the year is not stated: two years position 10
        # cannot tell apart, or the one year it possibly means outside North America.
        "model_year_candidates": reading.candidates if reading.year is None else (),
        "year_note": reading.note,
        "plant_code": vin[10],
        "serial": vin[11:],
    }
    details, caveat = reading.details, None
    if details is None:
        # Ask again without a year: many VINs from outside North America carry none.
        details = _vpic_lookup(vin, None)
        caveat = _no_year_caveat(vin, reading) if details else None
    if details:
        details = {
            **details,
            "make": details.get("make") or maker.make,
            "country": _iso_country(vin) or details.get("country"),
        }
        return VinDecode(
            vin,
            check,
            True,
            source="NHTSA vPIC" if caveat is None else "NHTSA vPIC (matched without a model year)",
            reason=caveat,
            **year_fields,
            **details,
        )
    if maker.make or maker.manufacturer:
        return VinDecode(
            vin,
            check,
            True,
            source=maker.source,
            make=maker.make,
            manufacturer=maker.manufacturer,
            country=maker.country,
            region=maker.region,
            vehicle_type=maker.vehicle_type,
            reason=maker.reason,
            **year_fields,
        )
    return VinDecode(
        vin, check, False, country=maker.country, region=maker.region, reason=maker.reason
    )


# ---------------------------------------------------------------- the model year


@dataclass(frozen=True)
class _Reading:
    """What position 10 and the vPIC data say together about one VIN."""

    year: int | None
    candidates: tuple[int, ...]
    note: str | None
    details: dict[str, Any] | None  # the vPIC match for the model year, with a model
    sold_in_us: bool  # vPIC decodes it for its model year: a vehicle sold in the US


def _read(vin: str) -> _Reading:
    """Read the model year, and look the VIN up in vPIC for it (cached; never raises).

    Position 10 gives a year in each 30-year cycle (49 CFR 565.15(d), ISO 3779). Which
    cycle depends on the vehicle:

    - North American cars, MPVs and light trucks follow the position-7 rule: a digit in
      position 7 means 1980-2009 and a letter means 2010-2039 (49 CFR 565.15, note to
      the model-year table, from the 2008 final rule). The rule holds when vPIC decodes
      the VIN for that year, or when the VIN is North American (1-5).
    - Other vehicles (heavy trucks, buses, motorcycles, trailers, VINs from elsewhere)
      have no such rule. A year after next year is ruled out. If vPIC's patterns fit
      one cycle better, that cycle is taken. Otherwise both years are given.
    - A character that is no year code (0, U, Z) means the year is not encoded. Many
      VINs from outside North America carry a filler there.
    """
    return _read_cached(vin, date.today().year + 1)


@lru_cache(maxsize=2048)
def _read_cached(vin: str, latest: int) -> _Reading:
    code = vin[9]
    north_american = vin[0] in "12345"
    if code not in _MODEL_YEAR_CODES:
        if north_american:
            note = (
                f"not encoded: position 10 is {code}, which is no model-year code, though "
                "North American VINs carry one there (49 CFR 565.15(d)): check for a "
                "mistyped character"
            )
        else:
            note = (
                f"not encoded: position 10 is {code}, which is no model-year code. Outside "
                "North America the year is optional (ISO 3779) and often left out"
            )
        return _Reading(None, (), note, None, False)
    early = _FIRST_CYCLE + _MODEL_YEAR_CODES.index(code)
    late = early + _CYCLE
    both = tuple(year for year in (early, late) if year <= latest)
    row = _wmi_row(_wmi_code(vin))
    if row is not None and _is_light(row):
        ruled = early if vin[6].isdigit() else late
        if ruled <= latest:
            details = _vpic_lookup(vin, ruled)
            if details:
                return _Reading(ruled, (ruled,), None, details, True)
            if north_american:
                note = (
                    f"position 10 is {code} and position 7 a "
                    f"{'digit' if vin[6].isdigit() else 'letter'}, which on North American "
                    f"cars, MPVs and light trucks means {ruled} (49 CFR 565.15)"
                )
                return _Reading(ruled, (ruled,), note, None, False)
        elif north_american:
            note = (
                f"position 10 ({code}) with a letter in position 7 would mean {late}, a "
                "model year not on sale yet, so a character is probably mistyped"
            )
            return _Reading(None, (), note, None, False)
        # A VIN from elsewhere under a light-vehicle WMI: the rule is not evidence here.
        return _without_rule(code, both, vin[0])
    if row is not None:
        fits = [(year, _vpic_lookup(vin, year)) for year in both]
        ranked = sorted(
            ((_richness(details), year, details) for year, details in fits if details),
            key=lambda item: (item[0], item[1]),
        )
        if len(ranked) == 1 or (len(ranked) == 2 and ranked[1][0] > ranked[0][0]):
            _, year, details = ranked[-1]
            note = None
            if len(ranked) == 2:
                note = (
                    f"position 10 ({code}) could mean {early} or {late}; NHTSA vPIC's "
                    f"patterns describe the {year} vehicle more fully"
                )
            return _Reading(year, (year,), note, details, True)
        if ranked:
            note = (
                f"position 10 is {code}, which repeats every 30 years, and NHTSA vPIC's "
                "patterns fit both years equally"
            )
            return _Reading(None, both, note, ranked[-1][2], True)
    return _without_rule(code, both, vin[0])


def _without_rule(code: str, years: tuple[int, ...], first: str) -> _Reading:
    """The year from position 10 alone, when no vPIC pattern confirms it.

    ``first`` is the VIN's first character. North American VINs must carry the year
    (49 CFR 565.15(d)), Chinese ones too (GB 16735). Elsewhere position 10 is optional
    (ISO 3779): older European VINs (a 1980s Mercedes, a Renault) often hold a digit of
    the maker's own code there, so the year is named only as a possibility.
    """
    if len(years) == 1:
        if first in "12345":
            return _Reading(years[0], years, None, None, False)
        if first == "L":
            note = f"read from position 10 ({code}); check it against the registration"
            return _Reading(years[0], years, note, None, False)
        note = (
            f"possibly {years[0]}, not certain (position 10 is optional outside North "
            f"America, ISO 3779, and many makers put their own code there): check the "
            "registration or the build plate"
        )
        return _Reading(None, years, note, None, False)
    note = (
        f"position 10 is {code}, which repeats every 30 years; position 7 tells the two "
        "apart only on North American cars, MPVs and light trucks (49 CFR 565.15)"
    )
    return _Reading(None, years, note, None, False)


def _is_light(row: dict[str, Any]) -> bool:
    kind, truck = row.get("vehicle_type_id"), row.get("truck_type_id")
    return kind in _LIGHT_TYPES or (kind == _TRUCK and truck == _LIGHT_TRUCK)


def _richness(details: dict[str, Any]) -> int:
    # More of a maker's patterns fit the VIN in the right year: model, body, trim...
    keys = ("model", "series", "trim", "body", "electrification")
    return sum(1 for key in keys if details.get(key))


def _describe(details: dict[str, Any], year: int | None) -> str:
    parts = [str(year) if year else None, details.get("make"), details.get("model")]
    return " ".join(p for p in parts if p) or "vehicle"


def _no_year_caveat(vin: str, reading: _Reading) -> str:
    """Say how sure a match found without a model year is."""
    if not reading.candidates:
        why = (
            "position 10 holds no year code"
            if vin[9] not in _MODEL_YEAR_CODES
            else "position 10 gives no model year on sale yet"
        )
        caveat = (
            f"The model comes from NHTSA vPIC patterns matched without a model year, as "
            f"{why}: it is the likeliest match, not a certain one"
        )
        if vin[0] in "12345":
            return caveat + "."
        return caveat + ", and a vehicle built for a market outside North America may differ."
    years = " or ".join(str(year) for year in reading.candidates)
    caveat = (
        f"No NHTSA vPIC pattern fits this VIN for {years}; the model comes from its "
        "patterns for other years, so it is the likeliest match, not a certain one."
    )
    released = _vpic_released()
    if released and max(reading.candidates) >= int(released[:4]):
        caveat += f" The bundled vPIC data dates from {released}: newer models are missing."
    return caveat


# ---------------------------------------------------------------- NHTSA vPIC


def _wmi_code(vin: str) -> str:
    # A small maker (9 in position 3) is identified by positions 1-3 and 12-14 together.
    return vin[:3] + vin[11:14] if vin[2] == "9" else vin[:3]


def _vehicle_db() -> Any:
    from vin.database import vehicle_db  # opens the bundled database on first import

    return vehicle_db


@lru_cache(maxsize=4096)
def _vpic_query(wmi: str, descriptor: str, year: int | None) -> tuple[tuple[str, Any], ...]:
    db = _vehicle_db()
    with _DECODE_LOCK:
        found = db.decode_vin(wmi, descriptor, year)
    return tuple(found.items()) if found else ()


def _vpic_lookup(vin: str, year: int | None) -> dict[str, Any] | None:
    """Decode from the bundled vPIC subset for one model year (or any), or None.

    Only a match that names the model counts: a pattern that gives the make alone says
    no more than the WMI does.
    """
    try:
        found = dict(_vpic_query(_wmi_code(vin), f"{vin[3:8]}|{vin[9:]}", year))
    except _DATA_ERRORS:
        log.warning("vPIC lookup failed for %s", vin, exc_info=True)
        return None
    details = {
        "make": _clean(found.get("make")),
        "model": _clean(found.get("model")),
        "trim": _clean(found.get("trim")),
        "series": _clean(found.get("series")),
        "body": _clean(found.get("body_class")),
        "vehicle_type": _clean(found.get("vehicle_type")),
        "electrification": _clean(found.get("electrification_level")),
        "manufacturer": _clean(found.get("manufacturer")),
        "country": _country(found.get("country")),
    }
    return details if details["model"] else None


_WMI_SQL = """
select
    manufacturer.name as manufacturer,
    make.name as make,
    vehicle_type.name as vehicle_type,
    wmi.vehicle_type_id as vehicle_type_id,
    wmi.truck_type_id as truck_type_id,
    country.name as country
from
    wmi
    join manufacturer on manufacturer.id = wmi.manufacturer_id
    left join make on make.id = wmi.make_id
    left join vehicle_type on vehicle_type.id = wmi.vehicle_type_id
    left join country on country.alpha_2_code = wmi.country
where
    wmi.code = ?
"""


@lru_cache(maxsize=2048)
def _wmi_query(wmi: str) -> tuple[tuple[str, Any], ...]:
    db = _vehicle_db()
    with _DECODE_LOCK:
        rows = db.query(_WMI_SQL, (wmi,))
    return tuple(dict(rows[0]).items()) if rows else ()


def _wmi_row(wmi: str) -> dict[str, Any] | None:
    """The vPIC WMI table's entry: manufacturer, make (if one), vehicle type, country."""
    try:
        return dict(_wmi_query(wmi)) or None
    except _DATA_ERRORS:
        log.warning("vPIC WMI lookup failed for %s", wmi, exc_info=True)
        return None


@lru_cache(maxsize=1)
def _vpic_released_cached() -> str:
    db = _vehicle_db()
    with _DECODE_LOCK:
        return str(db.get_vpic_version().get("released") or "")


def _vpic_released() -> str | None:
    """When the bundled vPIC snapshot was released, as "YYYY-MM", or None."""
    try:
        return _vpic_released_cached()[:7] or None
    except _DATA_ERRORS:
        return None


def _clean(value: object) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def _country(value: object) -> str | None:
    # vPIC spells some countries formally: "United States of America (the)".
    text = _clean(value)
    return re.sub(r"\s*\(the\)$", "", text) if text else None


# ---------------------------------------------------------------- the maker (WMI)


@dataclass(frozen=True)
class _Maker:
    make: str | None = None
    manufacturer: str | None = None
    country: str | None = None
    region: str | None = None
    vehicle_type: str | None = None
    source: str | None = None
    reason: str | None = None  # why only the maker (or nothing) could be read


def _maker(vin: str) -> _Maker:
    """Read the maker from the WMI: vPIC's table, then _OTHER_MAKERS, then vininfo."""
    wmi = _wmi_code(vin)
    info = _vininfo(vin)
    region = info.get("region")
    row = _wmi_row(wmi)
    if row:
        make = _trusted_make(row, info.get("manufacturer"))
        maker = make or _clean(row.get("manufacturer"))
        if vin[0] in "12345":
            why = (
                f"no model pattern fits the rest of this VIN, so it may be mistyped or "
                f"newer than the bundled data ({_vpic_released() or 'vPIC'})"
            )
        else:
            why = (
                "no model pattern fits the rest of this VIN, which is usual for a vehicle "
                "built for a market outside North America (vPIC lists vehicles sold in the US)"
            )
        return _Maker(
            make=make,
            manufacturer=_clean(row.get("manufacturer")),
            country=_iso_country(vin) or _country(row.get("country")) or info.get("country"),
            region=region,
            vehicle_type=_clean(row.get("vehicle_type")),
            source=VPIC_WMI_SOURCE,
            reason=(
                f"Only the manufacturer could be read: {maker}'s code {wmi} is in the NHTSA "
                f"vPIC data, but {why}."
            ),
        )
    if wmi in _OTHER_MAKERS:
        make, kind = _OTHER_MAKERS[wmi]
        if kind == "Truck":
            why = (
                "the NHTSA vPIC subset bundled here holds only some truck makers' codes, "
                "and not this one"
            )
        else:
            why = (
                "the NHTSA vPIC subset bundled here covers passenger cars, multipurpose "
                "vehicles and trucks only"
            )
        return _Maker(
            make=make,
            manufacturer=make,
            country=_iso_country(vin) or info.get("country"),
            region=region,
            vehicle_type=kind,
            source=OTHER_MAKERS_SOURCE,
            reason=(
                f"Only the manufacturer could be read: {wmi} is {make}'s code for "
                f"{_CLASS_PLURALS[kind]}, and {why}."
            ),
        )
    if vin[2] == "9":
        reason = (
            f"Not decoded: a small manufacturer is identified by characters 1-3 and 12-14 "
            f"together ({wmi}), and that code is not in the bundled data, so the VIN may "
            "be mistyped or the maker too small to be listed."
        )
        return _Maker(
            country=_iso_country(vin) or info.get("country"), region=region, reason=reason
        )
    manufacturer = info.get("manufacturer")
    if not manufacturer:
        reason = (
            f"Not decoded: the manufacturer code {wmi} is not in the bundled data, so the "
            "VIN may be mistyped or from a small manufacturer."
        )
        return _Maker(
            country=_iso_country(vin) or info.get("country"), region=region, reason=reason
        )
    if vin[0] in "12345":
        why = (
            f"code {wmi} is not in the NHTSA vPIC subset bundled here, which holds passenger "
            "cars, multipurpose vehicles and trucks only: this may be a motorcycle, bus, "
            "trailer or a small maker's vehicle"
        )
    else:
        why = (
            f"code {wmi} is not in the NHTSA vPIC data bundled here, which lists passenger "
            "cars, multipurpose vehicles and trucks sold in the US; a vehicle built for "
            "another market is usually not in it"
        )
    reason = f"Only the manufacturer could be read: {why}."
    if info.get("prefix_only"):
        reason += (
            f" The manufacturer is read from the first two characters ({vin[:2]}) alone, "
            "so it is likely, not certain."
        )
    return _Maker(
        manufacturer=manufacturer,
        country=_iso_country(vin) or info.get("country"),
        region=region,
        source=WMI_SOURCE,
        reason=reason,
    )


def _trusted_make(row: dict[str, Any], other_name: str | None) -> str | None:
    """The make vPIC's WMI table gives, if the manufacturer's names agree with it.

    vPIC names the one make a WMI was sold under in the US, which can mislead for a VIN
    from elsewhere: VF1 is listed as Eagle (the Renault-built Medallion), but a VF1
    Megane is a Renault. So the make counts only where the manufacturer's name (vPIC's
    or vininfo's) contains it.
    """
    make = _clean(row.get("make"))
    names = " ".join(n for n in (_clean(row.get("manufacturer")), other_name) if n).lower()
    return make if make and make.lower() in names else None


def _vininfo(vin: str) -> dict[str, Any]:
    """Manufacturer, country and region from vininfo's WMI tables (ISO 3780), or {}.

    vininfo reads an unknown WMI by its first two characters; ``prefix_only`` says so.
    Its three-character entries ending in 9 are wrong for small makers, whose code has
    six characters, so those give no manufacturer.
    """
    try:
        from vininfo import Vin
        from vininfo.dicts import WMI
        from vininfo.exceptions import VininfoException
    except ImportError:
        return {}
    try:
        info = Vin(vin)
        country, region = info.country, info.region
        exact = vin[:3] in WMI
        prefix = not exact and vin[:2] in WMI
        manufacturer = info.manufacturer if (exact or prefix) and vin[2] != "9" else None
    except (VininfoException, *_DATA_ERRORS):
        log.warning("vininfo failed for %s", vin, exc_info=True)
        return {}
    return {
        "manufacturer": _clean(manufacturer),
        "country": _clean(country),
        "region": _clean(region),
        "prefix_only": prefix,
    }
