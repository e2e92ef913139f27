"""The visitor's own vehicle ("My vehicle"): validated fields, filled from a VIN when given."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace
from datetime import date

from automotive.vin import check_vin, decode_vin

FIRST_MODEL_YEAR = 1886  # the first petrol car
TEXT_LIMIT = 60
MAX_MILEAGE = 3_000_000
MILEAGE_UNITS = ("mi", "km")


class VehicleError(ValueError):
    """Some fields cannot be saved; ``errors`` maps each field to the reason."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class VehicleProfile:
    year: int | None = None
    make: str | None = None
    model: str | None = None
    engine: str | None = None
    mileage: int | None = None
    mileage_unit: str = "mi"
    vin: str | None = None

    @property
    def is_empty(self) -> bool:
        """Tell whether nothing about the vehicle is known."""
        return not any((self.year, self.make, self.model, self.engine, self.mileage, self.vin))

    @property
    def name(self) -> str:
        """Name the vehicle, e.g. "2016 Mazda MX-5"."""
        parts = [str(self.year) if self.year else None, self.make, self.model]
        return " ".join(p for p in parts if p) or "Vehicle"

    def label(self) -> str:
        """Describe the vehicle in one line, e.g. "2016 Mazda MX-5 · 2.0L · 84,000 mi"."""
        parts = [self.name if self.name != "Vehicle" else None, self.engine]
        if self.mileage is not None:
            parts.append(f"{self.mileage:,} {self.mileage_unit}")
        return " · ".join(p for p in parts if p) or "Vehicle"

    def to_dict(self) -> dict[str, object]:
        """Return the profile as plain data (for a model's tool result)."""
        return {key: value for key, value in asdict(self).items() if value not in (None, "")}

    def prompt_text(self) -> str:
        """Describe the vehicle for the system prompt."""
        lines = [f"- {field}: {value}" for field, value in self._prompt_fields() if value]
        return (
            "The user's vehicle (from their profile; use it unless they say they mean "
            "another vehicle):\n" + "\n".join(lines)
        )

    def _prompt_fields(self) -> list[tuple[str, object]]:
        mileage = f"{self.mileage:,} {self.mileage_unit}" if self.mileage is not None else None
        return [
            ("Year", self.year),
            ("Make", self.make),
            ("Model", self.model),
            ("Engine", self.engine),
            ("Mileage", mileage),
            ("VIN", self.vin),
        ]


def _text(value: object, field: str, errors: dict[str, str]) -> str | None:
    # NUL and other control characters are dropped: no database column stores NUL.
    text = " ".join("".join(c for c in str(value or "") if c.isprintable()).split())
    if len(text) > TEXT_LIMIT:
        errors[field] = f"{field.capitalize()} is limited to {TEXT_LIMIT} characters."
        return None
    return text or None


def _year(value: object, errors: dict[str, str]) -> int | None:
    text = str(value or "").strip()
    if not text:
        return None
    latest = date.today().year + 2  # next year's models are sold from mid-year
    if not re.fullmatch(r"\d{4}", text) or not FIRST_MODEL_YEAR <= int(text) <= latest:
        errors["year"] = (
            f"Year must be a four-digit model year from {FIRST_MODEL_YEAR} to {latest}."
        )
        return None
    return int(text)


def _mileage(value: object, errors: dict[str, str]) -> int | None:
    text = re.sub(r"[\s,._']", "", str(value or ""))  # 84,000 / 84.000 / 84 000
    if not text:
        return None
    # ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
    if not re.fullmatch(r"[0-9]{1,9}", text) or int(text) > MAX_MILEAGE:
        errors["mileage"] = f"Mileage must be a whole number from 0 to {MAX_MILEAGE:,}."
        return None
    return int(text)


def _vin(value: object, errors: dict[str, str]) -> str | None:
    text = re.sub(r"[\s-]", "", str(value or "")).upper()
    if not text:
        return None
    check = check_vin(text)
    if not check.valid_format or check.check_digit == "invalid":
        errors["vin"] = f"That VIN cannot be right: {check.reason}"
        return None
    return check.vin


def validate_vehicle(form: dict[str, object]) -> VehicleProfile:
    """Build a profile from form fields, or raise VehicleError naming each bad field."""
    errors: dict[str, str] = {}
    unit = str(form.get("mileage_unit") or "mi").strip().lower()
    if unit not in MILEAGE_UNITS:
        errors["mileage_unit"] = "Mileage is counted in mi or km."
        unit = "mi"
    profile = VehicleProfile(
        year=_year(form.get("year"), errors),
        make=_text(form.get("make"), "make", errors),
        model=_text(form.get("model"), "model", errors),
        engine=_text(form.get("engine"), "engine", errors),
        mileage=_mileage(form.get("mileage"), errors),
        mileage_unit=unit,
        vin=_vin(form.get("vin"), errors),
    )
    if errors:
        raise VehicleError(errors)
    return profile


def fill_from_vin(profile: VehicleProfile) -> tuple[VehicleProfile, str | None]:
    """Fill empty year, make and model from the VIN; return the profile and a note."""
    if not profile.vin:
        return profile, None
    decoded = decode_vin(profile.vin)
    if not decoded.decoded or not decoded.make:
        return profile, decoded.reason or "The VIN could not be decoded."
    model = " ".join(p for p in (decoded.model, decoded.trim) if p) or None
    filled = replace(
        profile,
        year=profile.year or decoded.year,
        make=profile.make or decoded.make,
        model=profile.model or (model[:TEXT_LIMIT] if model else None),
    )
    return filled, f"The VIN decodes to a {decoded.summary}."
