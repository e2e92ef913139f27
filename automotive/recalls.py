"""Safety recalls for a vehicle, as NHTSA publishes them: the shapes, their order, the tool.

NHTSA (the US National Highway Traffic Safety Administration) lists recall campaigns per
model year, make and model; ``nhtsa.py`` asks its public API and caches the answers. This
module knows nothing of HTTP or Flask: it holds what a recall is, which ones come first
(park it, park outside), and what the ``check_recalls`` tool hands a model.

The tool runs where no app context exists (beside a streamed reply), so the app hands this
module its lookup once at start: ``connect(service.lookup)``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

from automotive.vehicle import FIRST_MODEL_YEAR, TEXT_LIMIT, VehicleProfile

# NHTSA's recall pages, one per campaign.
CAMPAIGN_URL = "https://www.nhtsa.gov/recalls?nhtsaId={campaign}"
# A tool result is cut off past automotive.tools.MAX_RESULT_CHARS (4000); recalls are added
# (urgent ones first) while the result stays under this many characters.
TOOL_RESULT_BUDGET = 3400
TOOL_TEXT_CHARS = 220  # characters kept of each summary, consequence and remedy
NOT_CONNECTED = "Recall lookups are not set up on this server."


@dataclass(frozen=True)
class VehicleQuery:
    """What NHTSA is asked: a model year, a make and a model (e.g. 2003, "Honda", "Accord")."""

    year: int
    make: str
    model: str

    @classmethod
    def build(cls, year: object, make: object, model: object) -> VehicleQuery:
        """Check and tidy the three parts; raise ValueError naming the one that is wrong."""
        text_year = str(year).strip() if year is not None else ""
        latest = date.today().year + 2
        if not text_year.isascii() or not text_year.isdigit() or len(text_year) != 4:
            raise ValueError("'year' must be a four-digit model year")
        if not FIRST_MODEL_YEAR <= int(text_year) <= latest:
            raise ValueError(f"'year' must be from {FIRST_MODEL_YEAR} to {latest}")
        parts = {}
        for name, value in (("make", make), ("model", model)):
            text = " ".join(str(value or "").split())
            if not text:
                raise ValueError(f"'{name}' must be a non-empty string")
            if len(text) > TEXT_LIMIT:
                raise ValueError(f"'{name}' is limited to {TEXT_LIMIT} characters")
            parts[name] = text
        return cls(int(text_year), parts["make"], parts["model"])

    @classmethod
    def from_profile(cls, profile: VehicleProfile | None) -> VehicleQuery | None:
        """The saved vehicle's query, or None while its year, make or model is missing."""
        if profile is None or missing_fields(profile):
            return None
        try:
            return cls.build(profile.year, profile.make, profile.model)
        except ValueError:
            return None  # saved under older rules; the form names what to fix

    @property
    def key(self) -> str:
        """The cache key: the same vehicle however it was typed, e.g. "2003:honda:accord"."""
        make, model = (quote(part.lower(), safe="") for part in (self.make, self.model))
        return f"{self.year}:{make}:{model}"

    @property
    def params(self) -> dict[str, str]:
        """The query string NHTSA's recallsByVehicle takes (it ignores letter case)."""
        return {"make": self.make.lower(), "model": self.model.lower(), "modelYear": str(self.year)}

    @property
    def label(self) -> str:
        """The vehicle as the visitor typed it, e.g. "2003 Honda Accord"."""
        return f"{self.year} {self.make} {self.model}"


def missing_fields(profile: VehicleProfile | None) -> list[str]:
    """What a recall lookup still needs of the saved vehicle, in words ([] when nothing)."""
    if profile is None:
        return ["model year", "make", "model"]
    wanted = (("model year", profile.year), ("make", profile.make), ("model", profile.model))
    return [name for name, value in wanted if not value]


@dataclass(frozen=True)
class Recall:
    """One recall campaign, from one entry of NHTSA's ``results``.

    ``campaign`` is NHTSACampaignNumber (e.g. "03V123000"); ``report_date`` is
    ReportReceivedDate (sent as dd/mm/yyyy; None when missing or unreadable). ``park_it``
    (parkIt): do not drive it until repaired; ``park_outside`` (parkOutSide): it may catch
    fire, keep it away from buildings. Texts are NHTSA's own, whitespace tidied.
    """

    campaign: str
    component: str = ""
    summary: str = ""
    consequence: str = ""
    remedy: str = ""
    report_date: date | None = None
    park_it: bool = False
    park_outside: bool = False
    manufacturer: str = ""
    notes: str = ""
    over_the_air: bool = False  # overTheAirUpdate: the remedy is a software update sent remotely

    @property
    def urgent(self) -> bool:
        """Tell whether NHTSA says not to drive it, or to park it outside."""
        return self.park_it or self.park_outside

    @property
    def url(self) -> str:
        """The campaign's page on nhtsa.gov."""
        return CAMPAIGN_URL.format(campaign=quote(self.campaign, safe=""))

    @property
    def component_parts(self) -> tuple[str, ...]:
        """The component path, e.g. ("AIR BAGS", "FRONTAL", "DRIVER SIDE")."""
        return tuple(part.strip() for part in self.component.split(":") if part.strip())

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data (the cache's form); ``from_dict`` reads it back."""
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        data["report_date"] = self.report_date.isoformat() if self.report_date else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Recall:
        """Read what ``to_dict`` wrote; raise KeyError, TypeError or ValueError if it is not."""
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        when = known.get("report_date")
        known["report_date"] = date.fromisoformat(when) if when else None
        return cls(**known)


def urgent_first(recalls: list[Recall] | tuple[Recall, ...]) -> tuple[Recall, ...]:
    """Order recalls as a driver needs them: park it, then park outside, then newest first."""

    def order(recall: Recall) -> tuple[bool, bool, int]:
        newest = -(recall.report_date.toordinal() if recall.report_date else 0)
        return (not recall.park_it, not recall.park_outside, newest)

    return tuple(sorted(recalls, key=order))


@dataclass(frozen=True)
class RecallsReport:
    """What is known of one vehicle's recalls right now.

    ``checked_at``: when NHTSA gave this answer (Unix seconds), None when it never did.
    ``problem``: why NHTSA could not be asked just now, in a sentence for the visitor; with
    a ``checked_at`` the recalls are the last answer it gave (stale), without one there are
    none to show.
    """

    query: VehicleQuery
    recalls: tuple[Recall, ...] = ()
    checked_at: float | None = None
    problem: str | None = None
    cached: bool = field(default=False, compare=False)  # served without asking NHTSA

    def __post_init__(self) -> None:
        object.__setattr__(self, "recalls", urgent_first(self.recalls))

    @property
    def unavailable(self) -> bool:
        """Tell whether there is no answer at all to show (NHTSA could not be asked)."""
        return self.checked_at is None

    @property
    def stale(self) -> bool:
        """Tell whether this is an earlier answer, shown because NHTSA could not be asked."""
        return self.problem is not None and self.checked_at is not None

    @property
    def checked_on(self) -> date | None:
        """The (UTC) day NHTSA gave this answer."""
        if self.checked_at is None:
            return None
        return datetime.fromtimestamp(self.checked_at, UTC).date()

    @property
    def urgent_count(self) -> int:
        """How many recalls say park it or park outside."""
        return sum(1 for recall in self.recalls if recall.urgent)


# ---------------------------------------------------------------- the check_recalls tool

RecallsLookup = Callable[[VehicleQuery], RecallsReport]
_lookup: RecallsLookup | None = None


def connect(lookup: RecallsLookup | None) -> None:
    """Give the tool its way to NHTSA (the app's cached lookup); None disconnects it.

    One per process: the app built last is the one asked (production builds one).
    """
    global _lookup
    _lookup = lookup


def check_recalls(args: dict[str, Any], vehicle: VehicleProfile | None) -> dict[str, Any]:
    """Run the tool: the saved vehicle's recalls, or those of the year/make/model given.

    Arguments given replace the saved vehicle's fields one by one. Returns the campaigns
    (texts trimmed, urgent ones first) or ``{"error": sentence}``; raises ValueError when
    the vehicle cannot be looked up (the model hears why).
    """
    saved = vehicle or VehicleProfile()
    year = args.get("year", saved.year)
    make = args.get("make", saved.make)
    model = args.get("model", saved.model)
    if not (year and make and model):
        raise ValueError(
            "it needs a model year, make and model: pass them, or ask the user to save their "
            "vehicle in 'My vehicle'"
        )
    query = VehicleQuery.build(year, make, model)
    if _lookup is None:
        return {"error": NOT_CONNECTED, "vehicle": query.label}
    return tool_result(_lookup(query))


def _trim(text: str, limit: int = TOOL_TEXT_CHARS) -> str:
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:.") + "…"


def _tool_entry(recall: Recall) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "campaign": recall.campaign,
        "date": recall.report_date.isoformat() if recall.report_date else None,
        "component": recall.component,
        "summary": _trim(recall.summary),
        "consequence": _trim(recall.consequence),
        "remedy": _trim(recall.remedy),
    }
    if recall.park_it:
        entry["park_it"] = "DO NOT DRIVE until repaired"
    if recall.park_outside:
        entry["park_outside"] = "Park outside, away from buildings: fire risk"
    return entry


def tool_result(report: RecallsReport) -> dict[str, Any]:
    """The tool's answer for a model: the campaigns that fit, urgent ones first, and notes."""
    if report.unavailable:
        return {"error": report.problem or NOT_CONNECTED, "vehicle": report.query.label}
    checked = report.checked_on.isoformat() if report.checked_on else None
    result: dict[str, Any] = {
        "vehicle": report.query.label,
        "source": "NHTSA recalls API",
        "checked": checked,
        "count": len(report.recalls),
        "recalls": [],
    }
    notes = []
    if report.stale:
        notes.append(f"{report.problem} This is NHTSA's answer from {checked}.")
    if not report.recalls:
        notes.append(
            "NHTSA lists no recalls under this year, make and model. Its model names can "
            "differ from everyday ones (e.g. 'MX-5 MIATA'); a VIN search on nhtsa.gov/recalls "
            "is definitive."
        )
    for shown, recall in enumerate(report.recalls):
        result["recalls"].append(_tool_entry(recall))
        if len(json.dumps(result, ensure_ascii=False)) > TOOL_RESULT_BUDGET:
            result["recalls"].pop()
            left = len(report.recalls) - shown
            notes.append(f"{left} more not shown here; the My vehicle page lists them all.")
            break
    if notes:
        result["note"] = " ".join(notes)
    return result
