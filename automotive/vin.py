"""VINs: find them in text, validate them, and check the check digit where it applies.

Decoding the vehicle (year, make, model...) builds on this; this module has no Flask.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

# ASCII look-arounds instead of \b: in "车架号LSVAU218XN2183294是" the CJK characters
# count as word characters, so \b would never match.
VIN_PATTERN = re.compile(r"(?<![A-Za-z0-9])[A-HJ-NPR-Z0-9]{17}(?![A-Za-z0-9])", re.IGNORECASE)
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
            vin, False, "not applicable", f"A VIN has 17 characters; this has {len(vin)}."
        )
    bad = sorted(set(c for c in vin if c not in _TRANSLITERATION))
    if bad:
        letters = ", ".join(bad)
        reason = (
            f"A VIN never contains {letters} (I, O and Q are not used; only letters and digits)."
        )
        return VinCheck(vin, False, "not applicable", reason)
    expected = compute_check_digit(vin)
    if not check_digit_applies(vin):
        return VinCheck(vin, True, "not applicable")
    if vin[8] == expected:
        return VinCheck(vin, True, "valid")
    reason = (
        f"The check digit is {vin[8]} but should be {expected}: a character is probably mistyped."
    )
    return VinCheck(vin, True, "invalid", reason)


# ---------------------------------------------------------------- decoding

# The `vin` package shares one SQLite connection across threads; two decodes at once
# hang the process, so every call into it holds this lock.
_DECODE_LOCK = threading.Lock()
_MODEL_YEAR_CODES = "ABCDEFGHJKLMNPRSTVWXY123456789"
WMI_SOURCE = "World manufacturer identifier (vininfo)"


@dataclass(frozen=True)
class VinDecode:
    """What a VIN says about its vehicle; ``decoded`` is False when nothing could be read."""

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

    @property
    def summary(self) -> str:
        """Name the vehicle in a few words, e.g. "2016 Mazda MX-5 Sport"."""
        parts = [str(self.year) if self.year else None, self.make, self.model, self.trim]
        named = " ".join(p for p in parts if p)
        return named or self.manufacturer or "Unknown vehicle"

    def to_dict(self) -> dict[str, object]:
        """Return the decode as plain data (for a model's tool result)."""
        data = {
            "vin": self.vin,
            "decoded": self.decoded,
            "check_digit": self.check.check_digit,
            "source": self.source,
            "model_year": self.year,
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
        if self.decoded and self.make:
            lines.append(f"Vehicle: {self.summary}")
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
        digit = self.check.check_digit
        if digit == "valid":
            lines.append("Check digit: valid")
        elif digit == "not applicable" and self.check.valid_format:
            lines.append("Check digit: not applicable (only North American and Chinese VINs)")
        if self.reason:
            lines.append(self.reason)
        if self.source:
            lines.append(f"Source: {self.source}")
        return lines


def _clean(value: object) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def _vpic(vin_text: str, check: VinCheck) -> dict[str, object] | None:
    """Decode from the NHTSA vPIC subset bundled with the `vin` package, or None."""
    import vin as vpic  # imported on first use: it opens its database at import

    strict_region = check_digit_applies(vin_text)
    year_known = vin_text[9] in _MODEL_YEAR_CODES
    with _DECODE_LOCK:
        try:
            # Outside North America and China the check digit is not mandatory, so
            # the package's own check must not reject the VIN.
            decoded = vpic.VIN(
                vin_text, fix_check_digit=not strict_region, decode_model_year=year_known
            )
            result = {
                "year": decoded.model_year or None,
                "make": _clean(decoded.make),
                "model": _clean(decoded.model),
                "trim": _clean(decoded.trim),
                "series": _clean(decoded.series),
                "body": _clean(decoded.body_class),
                "vehicle_type": _clean(decoded.vehicle_type),
                "electrification": _clean(decoded.electrification_level),
                "manufacturer": _clean(decoded.manufacturer),
                "country": _clean(getattr(decoded, "_country", None)),
            }
        except (ValueError, vpic.DecodingError):
            return None
    if result["country"]:
        # vPIC spells some countries formally: "Korea (the Republic of)".
        result["country"] = re.sub(r"\s*\(the\)$", "", str(result["country"]))
    return result


def _wmi_fallback(vin_text: str) -> dict[str, object] | None:
    """Read manufacturer, country and region from the WMI with `vininfo`, or None."""
    from vininfo import Vin
    from vininfo.exceptions import VininfoException

    try:
        info = Vin(vin_text)
        manufacturer, country, region = info.manufacturer, info.country, info.region
    except (VininfoException, KeyError, ValueError):
        return None
    if manufacturer == "UnsupportedBrand":  # vininfo's name for a WMI it does not know
        manufacturer = None
    if not manufacturer:
        return None
    return {
        "manufacturer": _clean(manufacturer),
        "country": _clean(country),
        "region": _clean(region),
    }


def decode_vin(text: str) -> VinDecode:
    """Decode a VIN: vehicle details from vPIC, else manufacturer and country from the WMI."""
    check = check_vin(text)
    vin_text = check.vin
    if not check.valid_format:
        return VinDecode(vin_text, check, False, reason=f"Not a valid VIN: {check.reason}")
    plant, serial = vin_text[10], vin_text[11:]
    if check.check_digit == "invalid":
        fallback = _wmi_fallback(vin_text) or {}
        reason = (
            f"Not decoded: {check.reason} Check the VIN on the windshield plate or the "
            "registration and type it again."
        )
        return VinDecode(
            vin_text,
            check,
            False,
            source=WMI_SOURCE if fallback else None,
            reason=reason,
            **fallback,
        )
    details = _vpic(vin_text, check)
    if details and details.get("make"):
        return VinDecode(
            vin_text,
            check,
            True,
            source="NHTSA vPIC",
            plant_code=plant,
            serial=serial,
            **details,
        )
    fallback = _wmi_fallback(vin_text)
    if fallback:
        reason = (
            "Only the manufacturer could be read: this VIN's model details are not in "
            "the NHTSA vPIC data (common for vehicles built for markets outside North America)."
        )
        return VinDecode(
            vin_text,
            check,
            True,
            source=WMI_SOURCE,
            plant_code=plant,
            serial=serial,
            reason=reason,
            **fallback,
        )
    reason = (
        f"Not decoded: the manufacturer code {vin_text[:3]} is not in the bundled data, "
        "so the VIN may be mistyped or from a small manufacturer."
    )
    return VinDecode(vin_text, check, False, reason=reason)
