"""Grounding: decode the VINs, trouble codes and tire sizes in a message into fact cards.

The same facts are shown beside the message, added to the context sent to models
that cannot call tools, and make up the offline answer when no model can be asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from automotive import dtc, tires
from automotive.vin import decode_vin, find_vins

# A message pasting a whole scan report still gets cards, but not hundreds of them.
MAX_FACTS = 8


@dataclass(frozen=True)
class Fact:
    kind: str  # vin | dtc | tire | tire_comparison
    key: str  # what was decoded: the VIN, the code, the size(s)
    title: str
    lines: tuple[str, ...]
    warning: str | None = None  # a safety line shown first (e.g. stop driving)

    def to_dict(self) -> dict[str, Any]:
        """Return the fact as JSON-able data (stored with the message)."""
        return {
            "kind": self.kind,
            "key": self.key,
            "title": self.title,
            "lines": list(self.lines),
            "warning": self.warning,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fact:
        """Rebuild a stored fact."""
        return cls(
            kind=str(data.get("kind", "")),
            key=str(data.get("key", "")),
            title=str(data.get("title", "")),
            lines=tuple(str(line) for line in data.get("lines") or ()),
            warning=data.get("warning"),
        )

    def as_text(self) -> str:
        """Render the fact as plain text for the model's context."""
        body = [self.title]
        if self.warning:
            body.append(f"WARNING: {self.warning}")
        body.extend(f"- {line}" for line in self.lines)
        return "\n".join(body)


# ---------------------------------------------------------------- each kind


def vin_fact(vin_text: str) -> Fact:
    """Decode a VIN into a fact card."""
    decoded = decode_vin(vin_text)
    title = f"VIN {decoded.vin}"
    if decoded.decoded and decoded.make:
        title += f": {decoded.summary}"
    elif decoded.manufacturer:
        title += f": {decoded.manufacturer}"
    return Fact("vin", decoded.vin, title, tuple(decoded.facts()))


def dtc_fact(code: str) -> Fact:
    """Explain a trouble code as a fact card; a stop-driving code leads with the warning."""
    explanation = dtc.explain_dtc(code)
    lines = explanation.lines()
    entry = explanation.entry
    warning = None
    if entry is not None and entry.severity is dtc.Severity.STOP:
        warning = entry.drive_guidance
    elif entry is not None:
        lines.append(f"Can I keep driving? {entry.drive_guidance}")
    return Fact("dtc", explanation.code, explanation.heading, tuple(lines), warning)


def _tire_lines(size: tires.TireSize) -> list[str]:
    lines = []
    if size.aspect_ratio is not None:
        lines.append(
            f"Width {size.width_mm:g} mm, sidewall {size.aspect_ratio:g}% of the width "
            f"({size.sidewall_mm:.0f} mm), {size.construction.lower()} construction, "
            f"for {size.rim_in:g}-inch rims"
        )
    else:
        lines.append(
            f"Flotation size: {size.diameter_in:.1f} in tall, {size.width_mm / 25.4:.2f} in wide, "
            f"for {size.rim_in:g}-inch rims"
        )
    lines.append(
        f"Overall diameter {size.diameter_mm:.0f} mm ({size.diameter_in:.1f} in), "
        f"about {round(1_000_000 / size.circumference_mm)} revolutions per km"
    )
    service = tires.SERVICE_TYPES.get(size.service_type)
    if size.service_type and service:
        lines.append(f"Service type {size.service_type}: {service}")
    if size.load_index is not None:
        kg = size.max_load_kg
        load = f"Load index {size.load_index}"
        load += f": up to {kg} kg ({round(kg * 2.20462)} lb) per tire" if kg else ""
        if size.dual_load_index is not None:
            load += f" (dual fitment index {size.dual_load_index})"
        lines.append(load)
    if size.speed_rating:
        kmh = size.max_speed_kmh
        speed = f"Speed rating {size.speed_rating}"
        speed += f": up to {kmh} km/h ({round(kmh / 1.609344)} mph)" if kmh else ""
        lines.append(speed)
    if size.zr:
        lines.append("ZR: built for speeds above 240 km/h")
    return lines


def tire_fact(text: str) -> Fact:
    """Explain a tire size as a fact card."""
    size = tires.parse_tire_size(text)
    return Fact("tire", size.text, f"Tire size {size.text}", tuple(_tire_lines(size)))


def comparison_fact(current: str, new: str) -> Fact:
    """Compare two tire sizes as a fact card."""
    result = tires.compare_tire_sizes(current, new)
    old, replacement = result["current"], result["new"]
    percent = result["diameter_difference_percent"]
    taller = "taller" if percent > 0 else "shorter"
    lines = [
        f"{replacement['size']} is {abs(result['diameter_difference_mm']):g} mm "
        f"({abs(percent):.1f}%) {taller} than {old['size']}",
        "At an indicated 100 km/h (or mph) you would really be doing "
        f"{result['actual_speed_when_speedometer_shows_100']:g}",
        "Within the usual ±3% diameter tolerance"
        if result["within_3_percent"]
        else "Outside the usual ±3% diameter tolerance: speedometer, ABS and gearing are affected",
    ]
    key = f"{old['size']} → {replacement['size']}"
    return Fact("tire_comparison", key, f"Tire sizes compared: {key}", tuple(lines))


# ---------------------------------------------------------------- a message


def facts_for(text: str) -> list[Fact]:
    """Decode every VIN, trouble code and tire size in a message, at most MAX_FACTS."""
    found: list[Fact] = []
    found.extend(vin_fact(vin) for vin in find_vins(text)[:MAX_FACTS])
    found.extend(dtc_fact(code) for code in dtc.find_dtcs(text)[: MAX_FACTS - len(found)])
    # One card per size, however it was spelled ("225/45 R17" and "225/45R17" are one).
    by_size: dict[str, str] = {}
    for size in tires.find_tire_sizes(text):
        by_size.setdefault(tires.parse_tire_size(size).text.replace(" ", ""), size)
    sizes = list(by_size.values())
    for size in sizes[: max(MAX_FACTS - len(found), 0)]:
        found.append(tire_fact(size))
    if len(sizes) == 2:
        # Two sizes in one message are nearly always "can I fit this instead of that?".
        found.append(comparison_fact(sizes[0], sizes[1]))
    return found[:MAX_FACTS]


def grounding_text(facts: list[Fact]) -> str:
    """Introduce the facts for the model's context."""
    return (
        "Facts the app decoded from the user's latest message (from the built-in VIN "
        "decoder, trouble-code table and tire calculator; rely on them over memory, and "
        "say when something is not covered):\n\n" + "\n\n".join(f.as_text() for f in facts)
    )


# Most urgent first: a stop-driving code, then codes to have checked soon, codes to watch,
# a size comparison (fitment), then what only identifies (a VIN, a tire size).
_URGENCY = {dtc.Severity.STOP: 0, dtc.Severity.SOON: 1, dtc.Severity.MONITOR: 2}
_KIND_ORDER = {"dtc": 3, "tire_comparison": 4, "vin": 5, "tire": 6}


def _urgency(fact: Fact) -> int:
    if fact.warning:
        return 0
    if fact.kind == "dtc":
        entry = dtc.explain_dtc(fact.key).entry
        if entry is not None:
            return _URGENCY[entry.severity]
    return _KIND_ORDER.get(fact.kind, 9)


def _line_after(fact: Fact, prefix: str) -> str | None:
    return next((line[len(prefix) :] for line in fact.lines if line.startswith(prefix)), None)


def _summary(fact: Fact) -> str:
    """One line that says what matters most about a fact (the card has the rest)."""
    if fact.kind == "dtc":
        severity = _line_after(fact, "Severity: ")
        meaning = _line_after(fact, "What it means: ")
        parts = [f"**{severity}**" if severity else None, meaning]
        if not severity:  # not in the curated table: say what kind of code it is
            parts = [fact.lines[0] if fact.lines else None]
        return " ".join(part for part in parts if part)
    if fact.kind == "tire_comparison":
        # The difference, and whether it is within tolerance.
        difference, *_, tolerance = fact.lines
        return f"{difference}: {tolerance[:1].lower()}{tolerance[1:]}."
    if fact.kind == "vin":
        wanted = ("Body: ", "Type: ", "Manufacturer: ", "Check digit: ")
        shown = [line for line in fact.lines if line.startswith(wanted)]
        return " · ".join(shown or fact.lines[:2])
    return fact.lines[0] if fact.lines else ""


def offline_answer(facts: list[Fact]) -> str:
    """Answer from the facts alone, in Markdown, for when no model can be asked.

    The facts are already on the page as cards under the message, so this summarises:
    stop-driving items first, as caution notes, then one line per fact, most urgent
    first, each linking to its card (``#fact-N``, N counting the message's facts from 1;
    the page points the link at that message's card).
    """
    parts = [
        "**Offline answer** from the built-in tools. No AI model was asked. Most urgent "
        "first; the cards under your message have the details.\n"
    ]
    ranked = sorted(enumerate(facts, 1), key=lambda item: (_urgency(item[1]), item[0]))
    for number, fact in ranked:
        link = f"[{fact.key} card](#fact-{number})"
        if fact.warning:
            parts.append(
                f"> [!CAUTION] Stop driving\n> ### {fact.title}\n>\n> {fact.warning} {link}\n"
            )
        else:
            summary = _summary(fact)
            if summary and summary[-1] not in ".!?":
                summary += "."
            parts.append(f"### {fact.title}\n{summary} {link}\n")
    return "\n".join(parts).rstrip()
