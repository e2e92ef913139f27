"""VINs: find them in text, validate them, and check the check digit where it applies.

Decoding the vehicle (year, make, model...) builds on this; this module has no Flask.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

VIN_PATTERN = re.compile(r"\b[A-HJ-NPR-Z0-9]{17}\b", re.IGNORECASE)
_TRANSLITERATION = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


@dataclass(frozen=True)
class VinCheck:
    vin: str
    valid_format: bool
    check_digit: str  # "valid", "invalid" or "not applicable"
    expected_check_digit: str | None
    reason: str | None = None


def find_vins(text: str) -> list[str]:
    """Find the 17-character VINs (no I, O or Q) written in a message."""
    found = []
    for match in VIN_PATTERN.finditer(text or ""):
        candidate = match.group(0).upper()
        # A run of 17 digits is far more often a number than a VIN.
        if not candidate.isdigit() and candidate not in found:
            found.append(candidate)
    return found


def compute_check_digit(vin: str) -> str:
    """Compute the ninth-position check digit (0-9 or X)."""
    total = sum(_TRANSLITERATION[c] * w for c, w in zip(vin.upper(), _WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def check_digit_applies(vin: str) -> bool:
    """Tell whether the check digit is mandatory: North American (1-5) and Chinese (L) VINs."""
    return vin[:1].upper() in "12345L"


def check_vin(text: str) -> VinCheck:
    """Validate a VIN's format and, where it applies, its check digit."""
    vin = re.sub(r"[\s-]", "", text or "").upper()
    if len(vin) != 17:
        return VinCheck(
            vin, False, "not applicable", None, f"A VIN has 17 characters; this has {len(vin)}."
        )
    bad = sorted(set(c for c in vin if c not in _TRANSLITERATION))
    if bad:
        letters = ", ".join(bad)
        reason = (
            f"A VIN never contains {letters} (I, O and Q are not used; only letters and digits)."
        )
        return VinCheck(vin, False, "not applicable", None, reason)
    expected = compute_check_digit(vin)
    if not check_digit_applies(vin):
        return VinCheck(vin, True, "not applicable", expected)
    if vin[8] == expected:
        return VinCheck(vin, True, "valid", expected)
    reason = (
        f"The check digit is {vin[8]} but should be {expected}: a character is probably mistyped."
    )
    return VinCheck(vin, True, "invalid", expected, reason)
