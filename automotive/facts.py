"""Grounding: turn a message into fact cards: red flags, warning lights, VINs, codes, tires.

The same facts are shown beside the message, added to the context sent to every model,
and make up the offline answer when no model can be asked. A red flag ("stop safely
now") always comes first, on the page, in the context and in the offline answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from automotive import dtc, tires, triage, warning_lights
from automotive.vin import decode_vin, find_vins

# A message pasting a whole scan report still gets cards, but not hundreds of them; a
# final "note" card (beyond this cap) names what was found but left out.
MAX_FACTS = 8


@dataclass(frozen=True)
class Fact:
    kind: str  # red_flag | warning_light | vin | dtc | tire | tire_comparison | note
    key: str  # what was decoded: the VIN, the code, the size(s), the light's name
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
    elif decoded.check.check_digit == "invalid":
        # A mistyped VIN: the title says so, so nobody reads the card as a decode.
        title += f": {decoded.make or decoded.manufacturer or 'not decoded'} (check digit wrong)"
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
    if load := size.load_text():
        lines.append(load)
    if speed := size.speed_text():
        lines.append(speed)
    if size.zr and size.speed_rating:
        # ZR alone is already the speed line; with a symbol it says what ZR adds.
        lines.append("ZR: built for speeds above 240 km/h; the service description gives the limit")
    lines.extend(size.marking_notes())
    return lines


def tire_fact(text: str) -> Fact:
    """Explain a tire size as a fact card."""
    size = tires.parse_tire_size(text)
    return Fact("tire", size.text, f"Tire size {size.text}", tuple(_tire_lines(size)))


def comparison_fact(current: str, new: str) -> Fact:
    """Compare the size fitted now with the one being considered, as a fact card.

    Lines: the diameter difference, what the speedometer does (a taller new tire makes
    it under-read), and the ±3% tolerance (kept last: the offline summary reads it).
    """
    result = tires.compare_tire_sizes(current, new)
    old, replacement = result["current"], result["new"]
    percent = result["diameter_difference_percent"]
    difference_mm = result["diameter_difference_mm"]
    if difference_mm == 0:
        difference = f"{replacement['size']} has the same overall diameter as {old['size']}"
    else:
        taller = "taller" if difference_mm > 0 else "shorter"
        difference = (
            f"{replacement['size']} is {abs(difference_mm):g} mm ({abs(percent):.1f}%) "
            f"{taller} than {old['size']}"
        )
    lines = [
        difference,
        str(result["speedometer"]),
        "Within the usual ±3% diameter tolerance"
        if result["within_3_percent"]
        else "Outside the usual ±3% diameter tolerance: speedometer, ABS and gearing are affected",
    ]
    key = f"{old['size']} → {replacement['size']}"
    return Fact("tire_comparison", key, f"Tire sizes compared: {key}", tuple(lines))


def red_flag_fact(flag: triage.RedFlag) -> Fact:
    """A safety-critical situation as a card: the stop advice first, then the next steps."""
    return Fact("red_flag", flag.label, flag.label, flag.steps, flag.warning)


def warning_light_fact(match: warning_lights.LightMatch, covered: bool = False) -> Fact:
    """Explain a dashboard light as the driver described it (colour, flashing or steady).

    A light that means stop leads with what to do as its warning, unless a red-flag card
    already says it (``covered``): one "stop" per emergency, not two.
    """
    light = match.light
    described = []
    if match.flashing is not None:
        described.append("flashing" if match.flashing else "steady")
    if match.colour is not None:
        described.append(match.colour.value)
    title = light.title
    if described:
        title += f" ({', '.join(described)})"
    severity = match.severity
    action = light.flashing if match.flashing and light.flashing else light.action
    colour_line = match.colour_line
    if match.flashing and light.flashing_severity is not None:
        colour_line += " Flashing sets the severity below."
    lines = [
        f"What it means: {light.meaning}",
        f"Colour: {colour_line}",
        f"Severity: {severity.label}.",
    ]
    warning = action if severity is dtc.Severity.STOP and not covered else None
    if warning is None:
        lines.append(f"What to do: {action}")
    if light.flashing and not match.flashing:
        lines.append(light.flashing)
    lines.append(f"Symbol (ISO 2575): {light.symbol}")
    if light.note:
        lines.append(light.note)
    return Fact("warning_light", light.name, title, tuple(lines), warning)


_LEFT_OUT_NAMES = {
    "red_flag": ("red flag", "red flags"),
    "warning_light": ("warning light", "warning lights"),
    "vin": ("VIN", "VINs"),
    "dtc": ("trouble code", "trouble codes"),
    "tire": ("tire size", "tire sizes"),
    "tire_comparison": ("tire-size comparison", "tire-size comparisons"),
}


def left_out_fact(left_out: dict[str, list[str]]) -> Fact | None:
    """The note for what a message held beyond MAX_FACTS cards, by kind; None if nothing.

    ``left_out`` maps a fact kind to the keys not shown, e.g. ``{"dtc": ["P0455"]}``.
    """
    groups = {kind: keys for kind, keys in left_out.items() if keys}
    if not groups:
        return None
    count = sum(len(keys) for keys in groups.values())
    if len(groups) == 1:
        (kind,) = groups
        title = f"{count} more {_LEFT_OUT_NAMES[kind][count != 1]} not shown"
    else:
        title = f"{count} more items not shown"
    listed = "; ".join(
        f"{_LEFT_OUT_NAMES[kind][len(keys) != 1]} {', '.join(keys)}"
        for kind, keys in groups.items()
    )
    lines = (
        f"Found but not decoded here (at most {MAX_FACTS} cards a message): {listed}.",
        "Ask about them in another message, a few at a time.",
    )
    return Fact("note", "left out", title, lines)


# ---------------------------------------------------------------- a message


def _room(found: list[Fact]) -> int:
    return max(MAX_FACTS - len(found), 0)


def facts_for(text: str) -> list[Fact]:
    """Decode a message into fact cards, in the order they are shown.

    Red flags first (stop safely now), then the warning lights described, VINs, trouble
    codes, tire sizes and the comparison of two sizes: at most MAX_FACTS cards, then a
    final ``note`` card naming what was found but left out. A decoder bug raises (the
    caller keeps the message without cards).
    """
    lights = warning_lights.find_warning_lights(text)
    flags = triage.find_red_flags(text, lights)
    covered = {light for flag in flags for light in flag.lights}
    found: list[Fact] = [red_flag_fact(flag) for flag in flags]
    found.extend(warning_light_fact(m, m.light.id in covered) for m in lights[: _room(found)])
    vins = find_vins(text)
    found.extend(vin_fact(vin) for vin in vins[: _room(found)])
    codes = dtc.find_dtcs(text)
    found.extend(dtc_fact(code) for code in codes[: _room(found)])
    # One card per size, however it was spelled ("225/45 R17" and "225/45R17" are one).
    sizes = tires.distinct_tire_sizes(text)
    for size in sizes[: _room(found)]:
        found.append(tire_fact(size))
    change = tires.size_change(text)
    if change is not None:
        # Which one is fitted now comes from the wording ("X instead of the stock Y").
        found.append(comparison_fact(*change))
    shown = found[:MAX_FACTS]
    # Whatever did not fit is named, never dropped silently.
    kinds = [fact.kind for fact in shown]
    left_out = {
        "red_flag": [flag.label for flag in flags][kinds.count("red_flag") :],
        "warning_light": [m.light.name for m in lights][kinds.count("warning_light") :],
        "vin": vins[kinds.count("vin") :],
        "dtc": codes[kinds.count("dtc") :],
        "tire": sizes[kinds.count("tire") :],
        "tire_comparison": [f.key for f in found[MAX_FACTS:] if f.kind == "tire_comparison"],
    }
    note = left_out_fact(left_out)
    return [*shown, note] if note else shown


def grounding_text(facts: list[Fact]) -> str:
    """Introduce the facts for the model's context (a red flag asks for the warning first)."""
    intro = (
        "Facts the app decoded from the user's latest message (from the built-in VIN "
        "decoder, trouble-code table, tire calculator, warning-light table and safety "
        "triage; rely on them over memory, and say when something is not covered):"
    )
    if any(fact.kind == "red_flag" for fact in facts):
        # The card is already on screen; the reply must not bury it under diagnosis.
        intro += (
            "\n\nThe app flagged a safety-critical situation (RED FLAG below) and showed "
            "the user its stop-safely advice. Open your answer with that advice in one or "
            "two sentences, in the user's language, then help."
        )
    body = "\n\n".join(
        ("RED FLAG: " if fact.kind == "red_flag" else "") + fact.as_text() for fact in facts
    )
    return f"{intro}\n\n{body}"


# Most urgent first: a red flag, any other stop-driving card, then codes and lights to have
# checked soon, to watch, a size comparison (fitment), then what only identifies (a VIN, a
# tire size); the note on what was left out comes last.
_URGENCY = {dtc.Severity.STOP: 0, dtc.Severity.SOON: 1, dtc.Severity.MONITOR: 2}
_KIND_ORDER = {"dtc": 3, "warning_light": 3, "tire_comparison": 4, "vin": 5, "tire": 6}
_BY_LABEL = {severity.label: severity for severity in dtc.Severity}


def _urgency(fact: Fact) -> int:
    if fact.kind == "red_flag":
        return -1
    if fact.kind == "note":
        return 10
    if fact.warning:
        return 0
    if fact.kind == "dtc":
        entry = dtc.explain_dtc(fact.key).entry
        if entry is not None:
            return _URGENCY[entry.severity]
    if fact.kind == "warning_light":
        severity = _BY_LABEL.get((_line_after(fact, "Severity: ") or "").rstrip("."))
        if severity is not None:
            return _URGENCY[severity]
    return _KIND_ORDER.get(fact.kind, 9)


def _line_after(fact: Fact, prefix: str) -> str | None:
    return next((line[len(prefix) :] for line in fact.lines if line.startswith(prefix)), None)


def _summary(fact: Fact) -> str:
    """One line that says what matters most about a fact (the card has the rest)."""
    if fact.kind in ("dtc", "warning_light"):
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
        wanted = ("Model year: ", "Body: ", "Type: ", "Manufacturer: ", "Check digit: ")
        shown = [line for line in fact.lines if line.startswith(wanted)]
        return " · ".join(shown or fact.lines[:2])
    return fact.lines[0] if fact.lines else ""


def offline_answer(facts: list[Fact]) -> str:
    """Answer from the facts alone, in Markdown, for when no model can be asked.

    The facts are already on the page as cards under the message, so this summarises:
    red flags first ("Stop safely now") and other stop-driving items ("Stop driving") as
    caution notes, then one line per fact, most urgent first, each linking to its card
    (``#fact-N``, N counting the message's facts from 1; the page points the link at
    that message's card), and last what was left out.
    """
    parts = [
        "**Offline answer** from the built-in tools. No AI model was asked. Most urgent "
        "first; the cards under your message have the details.\n"
    ]
    ranked = sorted(enumerate(facts, 1), key=lambda item: (_urgency(item[1]), item[0]))
    for number, fact in ranked:
        link = f"[{fact.key} card](#fact-{number})"
        if fact.kind == "note":
            parts.append(f"**{fact.title}.** {' '.join(fact.lines)}\n")
        elif fact.warning:
            heading = "Stop safely now" if fact.kind == "red_flag" else "Stop driving"
            parts.append(
                f"> [!CAUTION] {heading}\n> ### {fact.title}\n>\n> {fact.warning} {link}\n"
            )
        else:
            summary = _summary(fact)
            if summary and summary[-1] not in ".!?":
                summary += "."
            parts.append(f"### {fact.title}\n{summary} {link}\n")
    return "\n".join(parts).rstrip()
