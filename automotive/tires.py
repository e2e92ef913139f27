"""Tire sizes: parse metric and flotation sizes, explain them, compare two of them.

Pure functions, no Flask: usable from views, model tool calls and offline answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MM_PER_INCH = 25.4

# Load index -> maximum load per tire in kg (the standard ETRTO / ISO table).
LOAD_INDEX_KG = {
    60: 250, 61: 257, 62: 265, 63: 272, 64: 280, 65: 290, 66: 300, 67: 307, 68: 315,
    69: 325, 70: 335, 71: 345, 72: 355, 73: 365, 74: 375, 75: 387, 76: 400, 77: 412,
    78: 425, 79: 437, 80: 450, 81: 462, 82: 475, 83: 487, 84: 500, 85: 515, 86: 530,
    87: 545, 88: 560, 89: 580, 90: 600, 91: 615, 92: 630, 93: 650, 94: 670, 95: 690,
    96: 710, 97: 730, 98: 750, 99: 775, 100: 800, 101: 825, 102: 850, 103: 875,
    104: 900, 105: 925, 106: 950, 107: 975, 108: 1000, 109: 1030, 110: 1060, 111: 1090,
    112: 1120, 113: 1150, 114: 1180, 115: 1215, 116: 1250, 117: 1285, 118: 1320,
    119: 1360, 120: 1400, 121: 1450, 122: 1500, 123: 1550, 124: 1600, 125: 1650,
    126: 1700,
}  # fmt: skip

# Speed symbol -> maximum speed in km/h.
SPEED_RATING_KMH = {
    "L": 120, "M": 130, "N": 140, "P": 150, "Q": 160, "R": 170, "S": 180, "T": 190,
    "U": 200, "H": 210, "V": 240, "W": 270, "Y": 300,
}  # fmt: skip

SERVICE_TYPES = {
    "P": "passenger car (P-metric)",
    "LT": "light truck",
    "ST": "special trailer",
    "T": "temporary spare",
    "": "passenger car (euro-metric)",
}

CONSTRUCTION = {"R": "radial", "D": "diagonal (bias-ply)", "B": "belted bias"}

_METRIC = re.compile(
    r"""^(?P<type>P|LT|ST|T)?\s*
    (?P<width>\d{3})\s*/\s*(?P<aspect>\d{2,3})\s*
    (?P<zr>Z)?\s*(?P<construction>[RDB])?\s*-?\s*(?P<rim>\d{2}(?:\.\d)?)
    (?:\s*(?P<load>\d{2,3}(?:/\d{2,3})?)\s*(?P<speed>\(?[A-Z]\)?))?
    (?:\s*(?P<suffix>XL|RF|C|LT))?$""",
    re.IGNORECASE | re.VERBOSE,
)
_FLOTATION = re.compile(
    r"""^(?P<diameter>\d{2}(?:\.\d{1,2})?)\s*[xX×]\s*(?P<width>\d{1,2}(?:\.\d{1,2})?)\s*
    (?P<construction>[RDB])?\s*-?\s*(?P<rim>\d{2}(?:\.\d)?)
    (?:\s*(?P<type>LT|C))?
    (?:\s*(?P<load>\d{2,3}(?:/\d{2,3})?)\s*(?P<speed>[A-Z]))?$""",
    re.IGNORECASE | re.VERBOSE,
)
# Finds sizes inside free text (a chat message). The edges are written as look-arounds
# on ASCII letters and digits rather than \b, because Python counts CJK characters as
# word characters: "轮胎225/45R17" has no word boundary before the size.
FIND_PATTERN = re.compile(
    r"(?<![A-Za-z0-9/])(?:P|LT|ST|T)?\d{3}\s*/\s*\d{2,3}\s*Z?[RDB]?\s*-?\d{2}(?:\.\d)?"
    r"(?:\s*\d{2,3}(?:/\d{2,3})?\s*[A-Z](?![A-Za-z0-9]))?(?![0-9/])"
    r"|(?<![A-Za-z0-9.])\d{2}(?:\.\d{1,2})?\s*[xX×]\s*\d{1,2}(?:\.\d{1,2})?\s*[RDB]?\s*-?\d{2}"
    r"(?:\s*LT(?![A-Za-z0-9]))?(?![0-9])",
    re.IGNORECASE,
)


class TireSizeError(ValueError):
    """The text is not a tire size this module understands; the message says why."""


@dataclass(frozen=True)
class TireSize:
    text: str
    width_mm: float
    aspect_ratio: float | None  # percent of width; None for flotation sizes
    rim_in: float
    diameter_mm: float
    service_type: str
    construction: str
    load_index: int | None = None
    dual_load_index: int | None = None
    speed_rating: str | None = None
    zr: bool = False

    @property
    def sidewall_mm(self) -> float:
        """Height of one sidewall."""
        return (self.diameter_mm - self.rim_in * MM_PER_INCH) / 2

    @property
    def diameter_in(self) -> float:
        """Overall diameter in inches."""
        return self.diameter_mm / MM_PER_INCH

    @property
    def circumference_mm(self) -> float:
        """Rolling circumference, unloaded."""
        return self.diameter_mm * 3.141592653589793

    @property
    def max_load_kg(self) -> int | None:
        """Maximum load per tire for the (single) load index, when known."""
        return LOAD_INDEX_KG.get(self.load_index) if self.load_index is not None else None

    @property
    def max_speed_kmh(self) -> int | None:
        """Maximum speed for the speed rating, when known."""
        return SPEED_RATING_KMH.get(self.speed_rating or "")

    def describe(self) -> dict[str, object]:
        """Explain every part of the size in plain values."""
        facts: dict[str, object] = {
            "size": self.text,
            "service_type": SERVICE_TYPES.get(self.service_type, self.service_type),
            "width_mm": round(self.width_mm, 1),
            "aspect_ratio_percent": self.aspect_ratio,
            "construction": self.construction,
            "rim_diameter_in": self.rim_in,
            "sidewall_mm": round(self.sidewall_mm, 1),
            "overall_diameter_mm": round(self.diameter_mm, 1),
            "overall_diameter_in": round(self.diameter_in, 2),
            "revolutions_per_km": round(1_000_000 / self.circumference_mm),
        }
        if self.load_index is not None:
            facts["load_index"] = self.load_index
            facts["max_load_kg"] = self.max_load_kg
            if self.dual_load_index is not None:
                facts["dual_load_index"] = self.dual_load_index
        if self.speed_rating:
            facts["speed_rating"] = self.speed_rating
            facts["max_speed_kmh"] = self.max_speed_kmh
        if self.zr:
            facts["zr"] = "ZR: rated above 240 km/h (exact limit from the service description)"
        return facts


def _load(value: str | None) -> tuple[int | None, int | None]:
    if not value:
        return None, None
    single, _, dual = value.partition("/")
    return int(single), int(dual) if dual else None


def parse_tire_size(text: str) -> TireSize:
    """Parse a metric (225/45R17 94W) or flotation (31x10.50R15) size."""
    raw = " ".join((text or "").split()).upper()
    if not raw:
        raise TireSizeError("No tire size given.")
    if match := _METRIC.match(raw):
        width = float(match["width"])
        aspect = float(match["aspect"])
        rim = float(match["rim"])
        if not 100 <= width <= 455 or not 20 <= aspect <= 95 or not 10 <= rim <= 30:
            raise TireSizeError(f"{text!r} has values no tire has (width, aspect or rim).")
        load, dual = _load(match["load"])
        speed = (match["speed"] or "").strip("()") or None
        if speed and speed not in SPEED_RATING_KMH and speed != "Z":
            raise TireSizeError(f"{speed!r} is not a speed rating.")
        service = (match["type"] or "").upper()
        if (match["suffix"] or "").upper() in ("LT", "C") and not service:
            service = "LT"
        return TireSize(
            text=raw,
            width_mm=width,
            aspect_ratio=aspect,
            rim_in=rim,
            diameter_mm=rim * MM_PER_INCH + 2 * width * aspect / 100,
            service_type=service,
            construction=CONSTRUCTION[(match["construction"] or "R").upper()],
            load_index=load,
            dual_load_index=dual,
            speed_rating=speed,
            zr=bool(match["zr"]),
        )
    if match := _FLOTATION.match(raw):
        diameter_in = float(match["diameter"])
        width_in = float(match["width"])
        rim = float(match["rim"])
        if diameter_in <= rim or not 20 <= diameter_in <= 60 or not 3 <= width_in <= 25:
            raise TireSizeError(f"{text!r} has an overall diameter no tire has.")
        load, dual = _load(match["load"])
        return TireSize(
            text=raw,
            width_mm=width_in * MM_PER_INCH,
            aspect_ratio=None,
            rim_in=rim,
            diameter_mm=diameter_in * MM_PER_INCH,
            service_type="LT",
            construction=CONSTRUCTION[(match["construction"] or "R").upper()],
            load_index=load,
            dual_load_index=dual,
            speed_rating=(match["speed"] or None),
        )
    raise TireSizeError(
        f"{text!r} is not a tire size I can read. Examples: 225/45R17 94W, LT265/75R16, "
        "31x10.50R15."
    )


def find_tire_sizes(text: str) -> list[str]:
    """Find the tire sizes written in a message."""
    found = []
    for match in FIND_PATTERN.finditer(text or ""):
        candidate = match.group(0).strip()
        try:
            parse_tire_size(candidate)
        except TireSizeError:
            continue
        found.append(candidate)
    return found


def compare_tire_sizes(current: str, new: str) -> dict[str, object]:
    """Compare two sizes: diameter change and what the speedometer will show."""
    old_size = parse_tire_size(current)
    new_size = parse_tire_size(new)
    ratio = new_size.diameter_mm / old_size.diameter_mm
    difference = (ratio - 1) * 100
    return {
        "current": old_size.describe(),
        "new": new_size.describe(),
        "diameter_difference_mm": round(new_size.diameter_mm - old_size.diameter_mm, 1),
        "diameter_difference_percent": round(difference, 2),
        # The speedometer counts wheel turns: a taller tire covers more ground per turn.
        "actual_speed_when_speedometer_shows_100": round(100 * ratio, 1),
        "speedometer_error_percent": round(-difference, 2),
        "within_3_percent": abs(difference) <= 3.0,
    }
