"""Tire sizes: parse metric and flotation sizes, explain them, compare two of them.

Pure functions, no Flask: usable from views, model tool calls and offline answers.

The meaning of every marking comes from the tire standards: the ETRTO Standards Manual
(Europe), ISO 4000-1 (passenger car tires) and ISO 4209-1 (truck and bus tires), whose
load index and speed symbol tables UN ECE Regulations 30 and 54 repeat, and the Tire and
Rim Association (TRA) Year Book for P-metric, LT and flotation sizes and load ranges.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MM_PER_INCH = 25.4
KM_PER_MILE = 1.609344
LB_PER_KG = 2.20462

# Load index -> maximum load per tire in kg, at the reference inflation pressure: the
# standard table (ETRTO, ISO 4000-1 / ISO 4209-1, UN ECE R30 / R54; TRA gives the same
# values in lb). The values follow the R80 preferred-number series from 45 kg at index 0
# (x10 every 80 steps), rounded as the standard rounds them; that is why they are written
# out rather than computed. Indexes 0-19 carry fractions of a kilogram.
LOAD_INDEX_KG: dict[int, float] = {
    0: 45, 1: 46.2, 2: 47.5, 3: 48.7, 4: 50, 5: 51.5, 6: 53, 7: 54.5, 8: 56, 9: 58,
    10: 60, 11: 61.5, 12: 63, 13: 65, 14: 67, 15: 69, 16: 71, 17: 73, 18: 75, 19: 77.5,
    20: 80, 21: 82.5, 22: 85, 23: 87.5, 24: 90, 25: 92.5, 26: 95, 27: 97.5, 28: 100,
    29: 103, 30: 106, 31: 109, 32: 112, 33: 115, 34: 118, 35: 121, 36: 125, 37: 128,
    38: 132, 39: 136, 40: 140, 41: 145, 42: 150, 43: 155, 44: 160, 45: 165, 46: 170,
    47: 175, 48: 180, 49: 185, 50: 190, 51: 195, 52: 200, 53: 206, 54: 212, 55: 218,
    56: 224, 57: 230, 58: 236, 59: 243, 60: 250, 61: 257, 62: 265, 63: 272, 64: 280,
    65: 290, 66: 300, 67: 307, 68: 315, 69: 325, 70: 335, 71: 345, 72: 355, 73: 365,
    74: 375, 75: 387, 76: 400, 77: 412, 78: 425, 79: 437, 80: 450, 81: 462, 82: 475,
    83: 487, 84: 500, 85: 515, 86: 530, 87: 545, 88: 560, 89: 580, 90: 600, 91: 615,
    92: 630, 93: 650, 94: 670, 95: 690, 96: 710, 97: 730, 98: 750, 99: 775, 100: 800,
    101: 825, 102: 850, 103: 875, 104: 900, 105: 925, 106: 950, 107: 975, 108: 1000,
    109: 1030, 110: 1060, 111: 1090, 112: 1120, 113: 1150, 114: 1180, 115: 1215,
    116: 1250, 117: 1285, 118: 1320, 119: 1360, 120: 1400, 121: 1450, 122: 1500,
    123: 1550, 124: 1600, 125: 1650, 126: 1700, 127: 1750, 128: 1800, 129: 1850,
    130: 1900, 131: 1950, 132: 2000, 133: 2060, 134: 2120, 135: 2180, 136: 2240,
    137: 2300, 138: 2360, 139: 2430, 140: 2500, 141: 2575, 142: 2650, 143: 2725,
    144: 2800, 145: 2900, 146: 3000, 147: 3075, 148: 3150, 149: 3250, 150: 3350,
    151: 3450, 152: 3550, 153: 3650, 154: 3750, 155: 3875, 156: 4000, 157: 4125,
    158: 4250, 159: 4375, 160: 4500,
}  # fmt: skip

# Speed symbol -> maximum speed in km/h (ETRTO, ISO 4000-1, UN ECE R30 / R54). H sits
# between U and V for historical reasons. A1-A8 are for slow off-road and industrial tires.
SPEED_RATING_KMH: dict[str, int] = {
    "A1": 5, "A2": 10, "A3": 15, "A4": 20, "A5": 25, "A6": 30, "A7": 35, "A8": 40,
    "B": 50, "C": 60, "D": 65, "E": 70, "F": 80, "G": 90, "J": 100, "K": 110,
    "L": 120, "M": 130, "N": 140, "P": 150, "Q": 160, "R": 170, "S": 180, "T": 190,
    "U": 200, "H": 210, "V": 240, "W": 270, "Y": 300,
}  # fmt: skip

# ZR in the size (or a lone Z) means "above 240 km/h": the limit comes from the service
# description, or from the tire maker when there is none.
ZR_ABOVE_KMH = 240

# A service description in brackets on a ZR tire, "(97Y)", means the tire is rated ABOVE
# the symbol's speed, not up to it; the tire maker states the real limit (ETRTO). Only W
# and Y are written this way.
BRACKETED_SPEED_SYMBOLS = ("W", "Y")

# LT and ST load range letter -> ply rating (TRA). The ply rating is a strength rating
# that once meant the number of cotton plies; it is not a count of the plies inside. The
# maximum inflation pressure that goes with each range varies by size, so it is read from
# the sidewall rather than stated here.
LOAD_RANGE_PLY: dict[str, int] = {"B": 4, "C": 6, "D": 8, "E": 10, "F": 12, "G": 14, "H": 16}

SERVICE_TYPES = {
    "P": "passenger car (P-metric)",
    "LT": "light truck",
    "C": "commercial (van and light truck, euro-metric)",
    "ST": "special trailer",
    "T": "temporary spare",
    "": "passenger car (euro-metric)",
}

# The letter before the rim diameter; a dash in its place ("100/90-19", "195/65-15",
# "31x10.50-15") is the older way of writing a diagonal (bias-ply) tire (ETRTO, TRA).
# With neither, as in "225/45 17", the tire is taken as radial, as nearly all car tires are.
CONSTRUCTION = {"R": "radial", "D": "diagonal (bias-ply)", "B": "belted bias"}

# The service description: load index (or single/dual pair) and speed symbol, optionally
# in brackets. Used by the parser on a whole string, so it may be generous.
_SERVICE = r"""(?:\s*(?P<open>\()?\s*(?P<load>\d{2,3}(?:\s*/\s*\d{2,3})?)\s*
    (?P<speed>A[1-8]|[A-Z])\s*(?P<close>\))?)?"""
_METRIC = re.compile(
    r"""^(?P<type>P|LT|ST|T)?\s*
    (?P<width>\d{3})\s*/\s*(?P<aspect>\d{2,3})\s*
    (?P<zr>Z)?\s*(?P<construction>[RDB])?\s*(?P<dash>-)?\s*(?P<rim>\d{2}(?:\.\d)?)
    (?:\s*(?P<suffix>C|LT)(?![A-Z]))?"""
    + _SERVICE
    + r"(?P<tail>.*)$",
    re.IGNORECASE | re.VERBOSE,
)
_FLOTATION = re.compile(
    r"""^(?P<diameter>\d{2}(?:\.\d{1,2})?)\s*[xX×]\s*(?P<width>\d{1,2}(?:\.\d{1,2})?)\s*
    (?P<construction>[RDB])?\s*(?P<dash>-)?\s*(?P<rim>\d{2}(?:\.\d)?)
    (?:\s*(?P<suffix>LT|C)(?![A-Z]))?"""
    + _SERVICE
    + r"(?P<tail>.*)$",
    re.IGNORECASE | re.VERBOSE,
)
# What may follow a size and its service description: extra load, the LT or C service
# type, a load range, a ply rating.
_MARKING = re.compile(
    r"""\s*(?:
    (?P<xl>XL|EXTRA\s*LOAD|REINFORCED|REINF\.?|RF)
    |(?P<type>LT|C)
    |(?:LOAD\s*RANGE|LR)\s*:?\s*(?P<range>[A-Z])
    |(?P<ply>\d{1,2})\s*-?\s*(?:PR|PLY(?:\s*RATING)?)
    |(?P<sl>SL)
    )(?![A-Z0-9])""",
    re.IGNORECASE | re.VERBOSE,
)

# Finds sizes inside free text (a chat message). The edges are written as look-arounds
# on ASCII letters and digits rather than \b, because Python counts CJK characters as
# word characters: "轮胎225/45R17" has no word boundary before the size. Only the forms
# that cannot be prose are taken: a slash or an x between the numbers ("225 45 17" is not
# read), and a C for commercial only right after the rim ("215/65R16C", "R16 C").
FIND_PATTERN = re.compile(
    r"(?P<metric>(?<![A-Za-z0-9/])(?:P|LT|ST|T)?\d{3}\s*/\s*\d{2,3}\s*Z?[RDB]?\s*-?\d{2}"
    r"(?:\.\d)?(?:\s?C(?![A-Za-z0-9\-]))?)"
    r"(?P<service>\s*\d{2,3}(?:/\d{2,3})?\s*(?:A[1-8]|[A-Z])(?![A-Za-z0-9]))?(?![0-9/])"
    r"|(?<![A-Za-z0-9.])\d{2}(?:\.\d{1,2})?\s*[xX×]\s*\d{1,2}(?:\.\d{1,2})?\s*[RDB]?\s*-?\d{2}"
    r"(?:\s*LT(?![A-Za-z0-9]))?(?![0-9])",
    re.IGNORECASE,
)
# What a message may write after a found size that belongs to it: a bracketed service
# description, "(96Y)", then markings such as "XL" or "load range E".
_FIND_BRACKETED = re.compile(r"\s*\(\s*\d{2,3}(?:/\d{2,3})?\s*(?:A[1-8]|[A-Z])\s*\)", re.IGNORECASE)
_FIND_MARKINGS = re.compile(
    r"(?:\s+(?:XL|RF|REINFORCED|EXTRA\s+LOAD|LT|(?:LOAD\s*RANGE|LR)\s*:?\s*[A-Z]"
    r"|\d{1,2}\s*-?\s*(?:PR|PLY))(?![A-Za-z0-9]))*",
    re.IGNORECASE,
)


class TireSizeError(ValueError):
    """The text is not a tire size this module understands; the message says why."""


@dataclass(frozen=True)
class TireSize:
    """A parsed tire size. Lengths in mm, rim in inches, loads in kg, speeds in km/h."""

    text: str
    width_mm: float
    aspect_ratio: float | None  # percent of width; None for flotation sizes
    rim_in: float
    diameter_mm: float
    service_type: str  # a SERVICE_TYPES key
    construction: str
    load_index: int | None = None
    dual_load_index: int | None = None  # the second of a pair: per tire fitted in twins
    speed_rating: str | None = None  # a SPEED_RATING_KMH key, or "Z"
    zr: bool = False
    speed_bracketed: bool = False  # "(97Y)": rated above the symbol's speed
    extra_load: bool = False  # XL, Reinforced, RF
    load_range: str | None = None  # LT / ST load range letter, a LOAD_RANGE_PLY key
    ply_rating: int | None = None  # written as "8PR", or implied by the load range

    @property
    def sidewall_mm(self) -> float:
        """Height of one sidewall, mm."""
        return (self.diameter_mm - self.rim_in * MM_PER_INCH) / 2

    @property
    def diameter_in(self) -> float:
        """Overall diameter in inches."""
        return self.diameter_mm / MM_PER_INCH

    @property
    def circumference_mm(self) -> float:
        """Rolling circumference, unloaded, mm."""
        return self.diameter_mm * 3.141592653589793

    @property
    def max_load_kg(self) -> float | None:
        """Maximum load per tire fitted single (the first load index), kg; None if unknown."""
        return LOAD_INDEX_KG.get(self.load_index) if self.load_index is not None else None

    @property
    def dual_max_load_kg(self) -> float | None:
        """Maximum load per tire fitted in twins (the second load index), kg; None if none."""
        if self.dual_load_index is None:
            return None
        return LOAD_INDEX_KG.get(self.dual_load_index)

    @property
    def max_speed_kmh(self) -> int | None:
        """The speed the tire is rated UP TO, km/h; None when open-ended or not marked.

        A bracketed symbol "(Y)", a lone "Z" and ZR without a service description rate
        the tire above a speed instead: see ``speed_above_kmh``.
        """
        if self.speed_bracketed:
            return None
        return SPEED_RATING_KMH.get(self.speed_rating or "")

    @property
    def speed_above_kmh(self) -> int | None:
        """The speed an open-ended rating is ABOVE, km/h ("(Y)": 300, ZR: 240), or None."""
        if self.speed_bracketed and self.speed_rating:
            return SPEED_RATING_KMH[self.speed_rating]
        if self.speed_rating == "Z" or (self.zr and not self.speed_rating):
            return ZR_ABOVE_KMH
        return None

    @property
    def effective_ply_rating(self) -> int | None:
        """The ply rating written ("8PR") or implied by the load range (E: 10)."""
        if self.ply_rating is not None:
            return self.ply_rating
        return LOAD_RANGE_PLY.get(self.load_range or "")

    @property
    def speed_symbol(self) -> str | None:
        """The speed symbol as written on the tire: "W", or "(Y)" when bracketed."""
        if not self.speed_rating:
            return None
        return f"({self.speed_rating})" if self.speed_bracketed else self.speed_rating

    def load_text(self) -> str | None:
        """The load index in words, e.g. "Load index 94: up to 670 kg (1477 lb) per tire"."""
        if self.load_index is None:
            return None
        single = self.max_load_kg
        if self.dual_load_index is None:
            text = f"Load index {self.load_index}"
            return text + (f": up to {_kg(single)} per tire" if single is not None else "")
        dual = self.dual_max_load_kg
        text = f"Load index {self.load_index}/{self.dual_load_index}: "
        text += f"up to {_kg(single)}" if single is not None else f"index {self.load_index}"
        text += " per tire fitted single, "
        text += f"{_kg(dual)}" if dual is not None else f"index {self.dual_load_index}"
        # Twinned tires share the load unevenly (camber, unequal wear), hence the lower figure.
        return text + " per tire fitted in twins (dual wheels)"

    def speed_text(self) -> str | None:
        """The speed rating in words, e.g. "Speed rating W: up to 270 km/h (168 mph)"."""
        above = self.speed_above_kmh
        if self.speed_rating and self.speed_rating != "Z":
            name = f"Speed rating {self.speed_symbol}"
        elif self.speed_rating == "Z" or self.zr:
            name = "Speed rating ZR" if self.zr else "Speed rating Z"
        else:
            return None
        if above is not None:
            return (
                f"{name}: above {above} km/h ({_mph(above)} mph); the tire maker states the maximum"
            )
        kmh = self.max_speed_kmh
        return f"{name}: up to {kmh} km/h ({_mph(kmh)} mph)" if kmh else name

    def marking_notes(self) -> list[str]:
        """Plain sentences for the extra-load, load-range and ply-rating markings."""
        notes = []
        if self.extra_load:
            notes.append(
                "XL (extra load, reinforced): a stronger tire that carries its load index at "
                "a higher inflation pressure than a standard-load tire of the same size"
            )
        ply = self.effective_ply_rating
        if self.load_range:
            notes.append(
                f"Load Range {self.load_range}: {ply}-ply rating (a strength rating, not a "
                "count of plies); the maximum inflation pressure is molded on the sidewall"
            )
        elif ply is not None:
            notes.append(f"{ply}-ply rating (a strength rating, not a count of plies)")
        return notes

    def describe(self) -> dict[str, object]:
        """Explain every part of the size in plain values (mm, inches, kg, km/h)."""
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
                facts["dual_max_load_kg"] = self.dual_max_load_kg
            facts["load"] = self.load_text()
        if self.speed_rating:
            facts["speed_rating"] = self.speed_symbol
            if self.max_speed_kmh is not None:
                facts["max_speed_kmh"] = self.max_speed_kmh
        if self.speed_above_kmh is not None:
            facts["rated_above_kmh"] = self.speed_above_kmh
        if speed := self.speed_text():
            facts["speed"] = speed
        if self.zr:
            facts["zr"] = "ZR: rated above 240 km/h (exact limit from the service description)"
        if self.extra_load:
            facts["extra_load"] = True
        if self.load_range:
            facts["load_range"] = self.load_range
        if self.effective_ply_rating is not None:
            facts["ply_rating"] = self.effective_ply_rating
        if notes := self.marking_notes():
            facts["markings"] = notes
        return facts


def _kg(kg: float | None) -> str:
    if kg is None:
        return "?"
    return f"{kg:g} kg ({round(kg * LB_PER_KG)} lb)"


def _mph(kmh: float) -> int:
    return round(kmh / KM_PER_MILE)


def _construction(match: re.Match[str]) -> str:
    """The construction in words: R radial, B belted bias, D or a dash diagonal (bias-ply)."""
    letter = (match["construction"] or "").upper()
    if not letter:
        letter = "D" if match["dash"] else "R"
    return CONSTRUCTION[letter]


def _load(value: str | None) -> tuple[int | None, int | None]:
    if not value:
        return None, None
    single, _, dual = value.replace(" ", "").partition("/")
    return int(single), int(dual) if dual else None


@dataclass
class _Markings:
    service: str = ""
    extra_load: bool = False
    load_range: str | None = None
    ply_rating: int | None = None
    canonical: str = ""


def _service_description(match: re.Match[str], text: str) -> tuple[str | None, bool]:
    """The speed symbol and whether it is bracketed; TireSizeError when it is no symbol."""
    speed = (match["speed"] or "").upper() or None
    bracketed = bool(match["open"] or match["close"])
    if bool(match["open"]) != bool(match["close"]):
        raise TireSizeError(f"{text!r} has an unclosed bracket around the service description.")
    if speed and speed not in SPEED_RATING_KMH and speed != "Z":
        raise TireSizeError(
            f"{speed!r} is not a speed rating. Speed symbols run from A1 (5 km/h) through "
            "B-G, J-U, H, V, W to Y (300 km/h)."
        )
    if bracketed and speed not in BRACKETED_SPEED_SYMBOLS:
        raise TireSizeError(
            f"Only W and Y are written in brackets ((W): above 270 km/h, (Y): above 300 "
            f"km/h), not {speed!r}."
        )
    return speed, bracketed


def _markings(tail: str, text: str) -> _Markings:
    """Read what follows the service description; TireSizeError on anything else."""
    found = _Markings()
    parts = []
    position = 0
    while tail[position:].strip():
        match = _MARKING.match(tail, position)
        if match is None:
            raise TireSizeError(
                f"{tail[position:].strip()!r} after the size in {text!r} is not a marking I "
                "can read (XL, LT, C, load range, ply rating)."
            )
        position = match.end()
        if match["xl"]:
            found.extra_load = True
            parts.append(match["xl"].upper())
        elif match["type"]:
            found.service = match["type"].upper()
            parts.append(found.service)
        elif match["range"]:
            letter = match["range"].upper()
            if letter not in LOAD_RANGE_PLY:
                raise TireSizeError(
                    f"{letter!r} is not a load range (B, C, D, E, F, G or H) in {text!r}."
                )
            found.load_range = letter
            parts.append(f"Load Range {letter}")
        elif match["ply"]:
            found.ply_rating = int(match["ply"])
            parts.append(f"{found.ply_rating}PR")
        else:
            parts.append("SL")
    found.canonical = " ".join(parts)
    return found


def _text(raw: str, match: re.Match[str], markings: _Markings) -> str:
    """The size as written (upper case, spaces kept) with the markings spelled one way."""
    head = raw[: match.start("tail")].rstrip()
    return f"{head} {markings.canonical}" if markings.canonical else head


def parse_tire_size(text: str) -> TireSize:
    """Parse a size as printed on the sidewall into a TireSize.

    Reads metric sizes (225/45R17 94W, P215/65R15 95H, LT245/75R16 120/116K,
    215/65R16C 109/107R, 245/40ZR18 (97Y), 255/35R19 96Y XL, "225/45 R17", lower case)
    and flotation sizes (31x10.50R15 LT). After the service description it reads XL /
    Reinforced / RF, LT, C, "Load Range E" / "LRE" and "8PR". Raises TireSizeError with
    the reason when the text is not a size, has values no tire has, or an unknown speed
    symbol or marking.
    """
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
        speed, bracketed = _service_description(match, text)
        markings = _markings(match["tail"], text)
        service = (match["type"] or "").upper()
        # A C or LT written after the rim (or at the end) is the service type when no
        # prefix gave one: "215/65R16C" is a commercial (van) tire.
        service = service or (match["suffix"] or "").upper() or markings.service
        return TireSize(
            text=_text(raw, match, markings),
            width_mm=width,
            aspect_ratio=aspect,
            rim_in=rim,
            diameter_mm=rim * MM_PER_INCH + 2 * width * aspect / 100,
            service_type=service,
            construction=_construction(match),
            load_index=load,
            dual_load_index=dual,
            speed_rating=speed,
            zr=bool(match["zr"]),
            speed_bracketed=bracketed,
            extra_load=markings.extra_load,
            load_range=markings.load_range,
            ply_rating=markings.ply_rating,
        )
    if match := _FLOTATION.match(raw):
        diameter_in = float(match["diameter"])
        width_in = float(match["width"])
        rim = float(match["rim"])
        if diameter_in <= rim or not 20 <= diameter_in <= 60 or not 3 <= width_in <= 25:
            raise TireSizeError(f"{text!r} has an overall diameter no tire has.")
        load, dual = _load(match["load"])
        speed, bracketed = _service_description(match, text)
        markings = _markings(match["tail"], text)
        return TireSize(
            text=_text(raw, match, markings),
            width_mm=width_in * MM_PER_INCH,
            aspect_ratio=None,
            rim_in=rim,
            diameter_mm=diameter_in * MM_PER_INCH,
            service_type="LT",  # flotation sizes are light-truck sizes (TRA)
            construction=_construction(match),
            load_index=load,
            dual_load_index=dual,
            speed_rating=speed,
            speed_bracketed=bracketed,
            extra_load=markings.extra_load,
            load_range=markings.load_range,
            ply_rating=markings.ply_rating,
        )
    raise TireSizeError(
        f"{text!r} is not a tire size I can read. Examples: 225/45R17 94W, LT265/75R16, "
        "215/65R16C 109/107R, 31x10.50R15."
    )


def _parses(candidate: str) -> bool:
    try:
        parse_tire_size(candidate)
    except TireSizeError:
        return False
    return True


def _found(text: str, *, markings: bool) -> list[tuple[str, int, int]]:
    """Each size in the message as (the size as written, start, end)."""
    found: list[tuple[str, int, int]] = []
    for match in FIND_PATTERN.finditer(text or ""):
        start, end = match.start(), match.end()
        candidates = [end]
        if match["service"]:
            # "225/45R17 91 a month ago" is a size followed by prose, not "91A".
            candidates.append(match.end("metric"))
        longest = None
        for candidate_end in candidates:
            if _parses(text[start:candidate_end]):
                longest = candidate_end
                break
        if longest is None:
            continue
        if markings:
            longest = _extend(
                text, start, longest, bracketed_allowed=longest == match.end("metric")
            )
        found.append((text[start:longest].strip(), start, longest))
    return found


def _extend(text: str, start: int, end: int, *, bracketed_allowed: bool) -> int:
    """Where the size starting at start ends once its markings are counted."""
    best = end
    bracketed = _FIND_BRACKETED.match(text, end) if bracketed_allowed else None
    if bracketed and _parses(text[start : bracketed.end()]):
        best = end = bracketed.end()
    tail = _FIND_MARKINGS.match(text, end)
    if tail and tail.end() > end and _parses(text[start : tail.end()]):
        best = tail.end()
    return best


def find_tire_sizes(text: str, *, markings: bool = False) -> list[str]:
    """The tire sizes written in a message, as written, in order.

    Each is the size and its plain service description ("225/45R17 94W", "215/65R16C
    109/107R"). With markings=True a size also keeps what is written after it that
    belongs to it: a bracketed service description ("255/35ZR19 (96Y)"), "XL", "LT",
    "load range E", "8PR". Every string returned parses with parse_tire_size.
    """
    return [size for size, _start, _end in _found(text, markings=markings)]


def _key(size: str) -> str:
    return parse_tire_size(size).text.replace(" ", "")


def distinct_tire_sizes(text: str) -> list[str]:
    """The sizes in a message with their markings, one per size however it is spelled.

    "225/45 R17" and "225/45R17" are one size; the first spelling is kept.
    """
    by_key: dict[str, str] = {}
    for size in find_tire_sizes(text, markings=True):
        by_key.setdefault(_key(size), size)
    return list(by_key.values())


# ---------------------------------------------------------------- which size is fitted now

# Words that may stand between a cue and the size it is about ("the stock", "my current").
_FILLER = (
    r"(?:[\s,:;(\"'“”‘’-]+(?:the|my|our|a|an|its|this|that|these|those|some|new|set\s+of|"
    r"pair\s+of|tires?|tyres?|size|is|are|was|were|on|of|in|at|d[oa]s?|os|as|de|el|la|"
    r"los|las|le|les|die|der|den|dem|des|il|i|gli|lo|pneus?|neum[aá]ticos?|pneumatici))*"
    r"[\s,:;(\"'“”‘’-]*"
)
_LATIN_START = r"(?<![a-z])"
# "X instead of Y": X is the new size. In English, Portuguese, Spanish, French, German,
# Italian and Chinese ("用X代替Y").
_INSTEAD = re.compile(
    _LATIN_START
    + r"(?:instead\s+of|in\s+place\s+of|rather\s+than|in\s+lieu\s+of|no\s+lugar\s+d[eoa]s?|"
    r"em\s+vez\s+d[eoa]s?|en\s+lugar\s+de|en\s+vez\s+de|au\s+lieu\s+d|à\s+la\s+place\s+d|"
    r"anstatt|statt|anstelle|invece\s+d|al\s+posto\s+d)(?![a-z])|代替|替代"
)
# A cue right before the FIRST size that makes it the current one, whatever follows:
# "instead of (the stock) Y, I run X", "stock Y, now on X". Such a message compares a
# size with the one the car came with, which the speedometer is calibrated for, so it
# outweighs "I run", "I have" or "now on" before the second size.
_CURRENT_LEADS = re.compile(
    r"(?:(?:"
    + _INSTEAD.pattern
    + r")(?:"
    + _FILLER
    + r"(?:stock|oem|original|factory|standard))?|(?<![a-z])(?:stock|oem|original|factory))"
    + _FILLER
    + r"$"
)
# Connectors that make the SECOND size the current one when they are all that stands
# between the two: "upsize to X from Y", "X <- Y".
_FROM = re.compile(r"(?:coming\s+)?from" + _FILLER + r"(?:stock|oem|original|factory)?\W*")
_LEFT_ARROW = re.compile(r"\W*(?:<-+|←|⟵|<=+)\W*")
_NEUTRAL = re.compile(r"\W*(?:or|and|and/or|or\s+maybe|or\s+even)\W*")
# Verbs before the first size that put it first as the size being given up: "replace Y
# with X", "swap Y for X", "change Y to X", "compare Y with X".
_GIVE_UP = re.compile(
    _LATIN_START
    + r"(?:replac\w*|swap\w*(?:\s+out)?|chang\w*|trad\w*|exchang\w*|compar\w*|from)"
    + _FILLER
    + r"$"
)
# "can I run X" and "could we have X" ask about the new size; "I run Y" states the old one.
_UNASKED = "".join(
    f"(?<!{modal} {who} )(?<!{modal} )"
    for modal in ("can", "could", "should", "would", "will", "may")
    for who in ("i", "we")
)
# Words just before a size that mark it as the one fitted now.
_CURRENT_WORDS = (
    r"stock|oem|original(?:ly)?|factory|standard|current(?:ly)?|existing|fitted|"
    r"came\s+with|comes\s+with|come\s+with|shipped\s+with|delivered\s+with|"
    r"equipped\s+with|fitted\s+with|" + _UNASKED + r"(?:has|have|had|got|running|(?:i|we)\s+run)|"
    r"(?:i'?m|we'?re|i\s+am|we\s+are)\s+on|replac(?:e|es|ing)|now\s+on|right\s+now|"
    r"at\s+the\s+moment|原车|原厂|原配|目前|现在|純正"
)
_CURRENT_BEFORE = re.compile(r"(?:(?<![a-z])(?:" + _CURRENT_WORDS + r"))" + _FILLER + r"$")
# ... and right after a size: "Y is stock", "Y (now)".
_CURRENT_AFTER = re.compile(
    r"[\s,:;(\"'“”-]*(?:(?:is|are|was)\s+)?(?:(?:the|my)\s+)?"
    r"(?:stock|oem|factory|original|current(?:ly)?|fitted|now|(?:what\s+)?(?:i|we)\s+have)"
    r"(?![a-z])"
)
# Words just before a size that mark it as the one being considered.
_NEW_WORDS = (
    r"(?:upsiz\w*|upgrad\w*|downsiz\w*|go(?:ing)?|switch\w*|mov\w*|chang\w*|swap\w*|"
    r"replace\s+(?:it|them)|step\s+up)\s+to|to|into|with|for|by|fit|put(?:\s+on)?|install|"
    r"mount|run|use|try|buy|get|want|need|consider(?:ing)?|thinking\s+(?:of|about)|"
    r"→|->|=>|换成|改成|换"
)
_NEW_BEFORE = re.compile(r"(?:(?<![a-z])(?:" + _NEW_WORDS + r"))" + _FILLER + r"$")


# "front 245/40R18, rear 275/35R18": a staggered pair, both fitted, not a change of size.
_AXLE = re.compile(r"(?<![a-z])(?:front|rear|back|fronts|rears)(?![a-z])")


def _current_first(before: str, between: str, after: str) -> bool:
    """Whether the first of two sizes is the one fitted now, from the words around them.

    Nearest words win: what stands between the sizes, then what follows the second, then
    what precedes the first. With no cue the sizes are taken in the order written.
    """
    between_stripped = between.strip()
    if _INSTEAD.search(between):
        return False  # "X instead of Y"
    if _FROM.fullmatch(between_stripped) or _LEFT_ARROW.fullmatch(between_stripped):
        return False  # "upsize to X from Y", "X <- Y"
    if _CURRENT_LEADS.search(before):
        return True  # "instead of the stock Y, I run X", "stock Y, now on X"
    if _GIVE_UP.search(before):
        return True  # "replace Y with X", "swap Y for X"
    if _NEUTRAL.fullmatch(between_stripped):
        return True  # "X or Y": no cue, the written order
    if _CURRENT_BEFORE.search(between):
        return False  # "X on a car that has Y", "X? Stock is Y"
    if _NEW_BEFORE.search(between):
        return True  # "Y, can I fit X", "Y → X", "from Y to X"
    if _CURRENT_AFTER.match(after):
        return False  # "X, or is Y stock"... "X (Y now)"
    if _CURRENT_BEFORE.search(before) or _INSTEAD.search(before[-60:]):
        return True  # "stock Y ... X", "instead of Y, X"
    # "upsize to X ... Y": X is the new one.
    return not _NEW_BEFORE.search(before)


def size_change(text: str) -> tuple[str, str] | None:
    """(current, new) when a message names two different sizes as a change, else None.

    None when there are not exactly two sizes, or when they are a front/rear pair
    ("120/70ZR17 front and 180/55ZR17 rear"): both are fitted, nothing is replaced.

    Reads which size is fitted now from the wording: "X instead of (the stock) Y",
    "instead of (the stock) Y, I run X", "stock Y, now on X",
    "replace Y with X", "from Y to X", "Y → X", "stock Y ... X", "upsize to X",
    "swap Y for X", "can I fit X on a car that has Y". With no cue the first size
    written is taken as the current one. The strings are as distinct_tire_sizes
    returns them.
    """
    sizes = distinct_tire_sizes(text)
    if len(sizes) != 2:
        return None
    spans: dict[str, tuple[int, int]] = {}
    for size, start, end in _found(text, markings=True):
        spans.setdefault(size, (start, end))
    (first_start, first_end), (second_start, second_end) = spans[sizes[0]], spans[sizes[1]]
    lowered = text.lower()
    before = lowered[max(first_start - 80, 0) : first_start]
    between = lowered[first_end:second_start]
    after = lowered[second_end : second_end + 40]
    if len(_AXLE.findall(before[-20:] + " " + between + " " + after[:20])) >= 2:
        return None
    if _current_first(before, between, after):
        return sizes[0], sizes[1]
    return sizes[1], sizes[0]


# ---------------------------------------------------------------- two sizes compared


def speedometer_sentence(ratio: float) -> str:
    """What a diameter ratio (new / current) does to the speedometer, in plain words.

    A speedometer counts wheel turns, so a taller tire (ratio > 1) makes it UNDER-read:
    the car goes faster than it shows. Figures are relative to the current tires.
    """
    true_at_100 = round(100 * ratio, 1)
    shown_at_100 = round(100 / ratio, 1)
    odometer = abs(round((1 - 1 / ratio) * 100, 1))
    if true_at_100 == 100:
        return "The speedometer and odometer read the same as with the current tires"
    if ratio > 1:
        return (
            "The speedometer will under-read: you go faster than it shows. At an indicated "
            f"100 km/h (or mph) you are really doing {true_at_100:g}; at a true 100 it "
            f"shows {shown_at_100:g}. The odometer counts {odometer:g}% short"
        )
    return (
        "The speedometer will over-read: you go slower than it shows. At an indicated "
        f"100 km/h (or mph) you are really doing {true_at_100:g}; at a true 100 it shows "
        f"{shown_at_100:g}. The odometer counts {odometer:g}% long"
    )


def compare_tire_sizes(current: str, new: str) -> dict[str, object]:
    """Compare the size fitted now with a size being considered.

    Returns both sizes described, the diameter difference (mm, and percent of the current
    diameter), the true speed at an indicated 100 and the reading at a true 100 (the unit
    cancels: km/h or mph), whether the speedometer reads "low" (under-reads: a taller new
    tire), "high" or "unchanged", the speedometer error in percent of the true speed
    (negative: it shows less than you do), a plain sentence, and whether the diameters are
    within the ±3% rule of thumb tire fitters use. Raises TireSizeError for either size.
    """
    old_size = parse_tire_size(current)
    new_size = parse_tire_size(new)
    ratio = new_size.diameter_mm / old_size.diameter_mm
    difference = (ratio - 1) * 100
    difference_mm = round(new_size.diameter_mm - old_size.diameter_mm, 1)
    # The speedometer counts wheel turns: a taller tire covers more ground per turn.
    true_at_100 = round(100 * ratio, 1)
    reads = "unchanged" if true_at_100 == 100 else "low" if ratio > 1 else "high"
    return {
        "current": old_size.describe(),
        "new": new_size.describe(),
        "diameter_difference_mm": difference_mm,
        "diameter_difference_percent": round(difference, 2),
        "actual_speed_when_speedometer_shows_100": true_at_100,
        "speedometer_shows_at_actual_100": round(100 / ratio, 1),
        "speedometer_reads": reads,
        "speedometer_error_percent": round((1 / ratio - 1) * 100, 2),
        "speedometer": speedometer_sentence(ratio),
        "within_3_percent": abs(difference) <= 3.0,
    }
