"""OBD-II diagnostic trouble codes (DTCs): find them in text, decode their structure, explain them.

The structure follows SAE J2012 / ISO 15031-6: a letter for the system (P, C, B, U), a digit
0-3 saying who defines the code, then three hexadecimal characters, the first of which names
the subsystem for powertrain and network codes. Explanations come from the curated table in
automotive.dtc_table. No Flask here: views, model tools and fact cards all use these functions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from automotive import dtc_table

# Why this pattern:
# - J2012 format only: a system letter, a digit 0-3, then three hex digits (P0A80, P242F and
#   P2A00 are real codes, so letters A-F must be accepted after the second character).
# - Case-insensitive, because people type "p0420"; results are uppercased.
# - The code must not touch an ASCII letter or digit on either side, so "XP04201", the part
#   number "P04200" and "UB1234X" are rejected, while punctuation ("P0420,", "(P0420)",
#   "P0420/P0430", "P0171-00") still separates codes. Non-ASCII letters do not count as a
#   word: Japanese and Chinese write codes without spaces ("点いてP0420が", "故障码P0171是").
# - No guessing beyond the shape: "PO420" (letter O) is not found, because it could just as
#   well be a purchase order; decode_structure explains the typo when asked directly. Model
#   names with the same shape (Chevrolet C1500, Tesla P100D) are found: only the context can
#   tell them apart, and an explanation of a code that isn't one is easy to ignore.
DTC_PATTERN = re.compile(r"(?<![A-Za-z0-9])[PCBU][0-3][0-9A-F]{3}(?![A-Za-z0-9])", re.IGNORECASE)

SYSTEMS = {
    "P": "Powertrain",
    "C": "Chassis",
    "B": "Body",
    "U": "Network & vehicle integration",
}
_HEX = frozenset("0123456789ABCDEF")

# Third character -> subsystem, per SAE J2012. Body and chassis codes have no such grouping.
_P0_GROUPS = {
    "0": "Fuel and air metering and auxiliary emission controls",
    "1": "Fuel and air metering",
    "2": "Fuel and air metering (injector circuit)",
    "3": "Ignition system or misfire",
    "4": "Auxiliary emission controls",
    "5": "Vehicle speed control, idle control system and auxiliary inputs",
    "6": "Computer and auxiliary outputs",
    "7": "Transmission",
    "8": "Transmission",
    "9": "Transmission",
    "A": "Hybrid propulsion",
    "B": "Hybrid propulsion",
    "C": "Hybrid propulsion",
}
_P2_GROUPS = {
    "0": "Fuel and air metering and auxiliary emission controls",
    "1": "Fuel and air metering and auxiliary emission controls",
    "2": "Fuel and air metering and auxiliary emission controls",
    "3": "Ignition system or misfire",
    "4": "Auxiliary emission controls",
    "5": "Auxiliary inputs",
    "6": "Computer and auxiliary outputs",
    "7": "Transmission",
    "8": "Transmission",
    "A": "Fuel and air metering and auxiliary emission controls",
}
_P3_GROUPS = {"4": "Cylinder deactivation"}
_U0_GROUPS = {
    "0": "Network electrical (communication bus faults)",
    "1": "Network communication (lost communication with a module)",
    "2": "Network communication (lost communication with a module)",
    "3": "Network software (software incompatibility)",
    "4": "Network data (invalid data received from a module)",
    "5": "Network data (invalid data received from a module)",
}
_U3_GROUPS = {"0": "Control module self-tests (supply voltage, grounds, ignition inputs)"}
# Manufacturers usually, but not always, follow the generic powertrain grouping in P1/P30-P33.
_USUAL_GROUPING = " (the usual grouping; the manufacturer defines the code)"

SCOPES = {
    "generic": "generic (defined by SAE J2012 / ISO 15031-6)",
    "manufacturer": "manufacturer-specific (the vehicle maker defines it)",
    "reserved": "reserved by SAE/ISO (not assigned in general use)",
}


class DtcError(ValueError):
    """The text is not a trouble code; the message says which character is wrong and why."""


class Severity(StrEnum):
    STOP = "stop"
    SOON = "soon"
    MONITOR = "monitor"

    @property
    def label(self) -> str:
        """Name the severity in a few words, with what to do."""
        return _SEVERITY_LABELS[self]


_SEVERITY_LABELS = {
    Severity.STOP: "STOP: stop driving; pull over safely and switch off",
    Severity.SOON: "SOON: drive gently and have it checked soon (days, not weeks)",
    Severity.MONITOR: "MONITOR: safe to drive; fix it when convenient",
}


@dataclass(frozen=True)
class DtcEntry:
    code: str
    title: str  # the SAE J2012 title
    meaning: str  # plain language, for a driver
    causes: tuple[str, ...]  # most likely first
    check_first: tuple[str, ...]
    severity: Severity
    drive_guidance: str  # answers "can I keep driving?"

    def to_dict(self) -> dict[str, object]:
        """Return the entry as JSON-able data."""
        return {
            "code": self.code,
            "title": self.title,
            "meaning": self.meaning,
            "causes": list(self.causes),
            "check_first": list(self.check_first),
            "severity": self.severity.value,
            "severity_label": self.severity.label,
            "drive_guidance": self.drive_guidance,
        }


@dataclass(frozen=True)
class DtcStructure:
    code: str
    system: str  # Powertrain, Chassis, Body, Network & vehicle integration
    scope: str  # "generic", "manufacturer" or "reserved"
    subsystem: str | None  # from the third character; None where the standard groups nothing

    @property
    def generic(self) -> bool:
        """Tell whether the standard, not the vehicle maker, controls the code."""
        return self.scope != "manufacturer"

    def to_dict(self) -> dict[str, object]:
        """Return the structure as JSON-able data."""
        return {
            "code": self.code,
            "system": self.system,
            "scope": self.scope,
            "generic": self.generic,
            "subsystem": self.subsystem,
        }


@dataclass(frozen=True)
class DtcExplanation:
    code: str
    structure: DtcStructure
    entry: DtcEntry | None  # None when the curated table has no entry for the code

    @property
    def note(self) -> str | None:
        """Say what the reader should know beyond the entry (always set for unknown codes)."""
        notes = []
        if self.entry is None:
            notes.append(f"The curated table has no entry for {self.code}.")
            if self.structure.scope == "manufacturer":
                notes.append(
                    "It is manufacturer-specific, so its meaning depends on the make (and "
                    "sometimes the model and year): check the service manual or ask a dealer."
                )
            elif self.structure.scope == "reserved":
                notes.append(
                    "It lies in a range the standard reserves, so look it up in the service "
                    "manual or with a scan tool that knows the make."
                )
            else:
                notes.append(
                    "It is a generic code: a scan tool or the service manual gives its exact "
                    "title, and the structure above tells which system it concerns."
                )
        if self.code in dtc_table.MAKE_NOTES:
            notes.append(dtc_table.MAKE_NOTES[self.code])
        if self.code[:2] in ("B0", "C0"):
            notes.append(
                "Some makers, GM in particular, use generic body and chassis numbers with "
                "their own meanings, so confirm with the make's service information."
            )
        return " ".join(notes) or None

    def to_dict(self) -> dict[str, object]:
        """Return the explanation as JSON-able data, for a model tool result."""
        return {
            "code": self.code,
            "structure": self.structure.to_dict(),
            "in_table": self.entry is not None,
            "entry": self.entry.to_dict() if self.entry else None,
            "note": self.note,
        }

    @property
    def heading(self) -> str:
        """Name the code and what it is, e.g. "P0420: Catalyst System Efficiency …"."""
        if self.entry is None:
            return f"{self.code}: not in the curated table"
        return f"{self.code}: {self.entry.title}"

    def lines(self) -> list[str]:
        """List what is known about the code, one fact a line, drive guidance excepted."""
        structure = self.structure
        subsystem = f"; subsystem: {structure.subsystem}" if structure.subsystem else ""
        lines = [f"Code type: {structure.system}, {SCOPES[structure.scope]}{subsystem}."]
        if self.entry is not None:
            entry = self.entry
            lines += [
                f"What it means: {entry.meaning}",
                "Most likely causes: " + "; ".join(entry.causes) + ".",
                "Check first: " + "; ".join(entry.check_first) + ".",
                f"Severity: {entry.severity.label}.",
            ]
        if self.note:
            lines.append(f"Note: {self.note}")
        return lines


def _load_table() -> Mapping[str, DtcEntry]:
    table = {
        code: DtcEntry(code, title, meaning, causes, checks, Severity(severity), guidance)
        for code, (title, meaning, causes, checks, severity, guidance) in dtc_table.ROWS.items()
    }
    return MappingProxyType(dict(sorted(table.items())))


# The curated table, read-only, keyed by code.
DTC_TABLE: Mapping[str, DtcEntry] = _load_table()


def find_dtcs(text: str) -> list[str]:
    """Find the trouble codes in a message: uppercased, de-duplicated, in order of appearance."""
    found: list[str] = []
    for match in DTC_PATTERN.finditer(text or ""):
        code = match.group(0).upper()
        if code not in found:
            found.append(code)
    return found


def _not_a_code(raw: str, reason: str) -> DtcError:
    return DtcError(f"{raw!r} is not a trouble code: {reason}")


def _typo_hint(character: str) -> str:
    return " (the letter O instead of the digit 0?)" if character == "O" else ""


def decode_structure(code: str) -> DtcStructure:
    """Decode the system, scope and subsystem of any well-formed trouble code."""
    raw = (code or "").strip()
    text = raw.upper()
    if not text:
        raise DtcError("No trouble code given: a code looks like P0420.")
    if len(text) != 5:
        raise _not_a_code(
            raw,
            f"a code has 5 characters (a letter P, C, B or U, then 4 more), this has {len(text)}.",
        )
    letter, second, third = text[0], text[1], text[2]
    if letter not in SYSTEMS:
        raise _not_a_code(
            raw,
            "the first character must be P (powertrain), C (chassis), B (body) or "
            f"U (network), not {letter!r}.",
        )
    if second not in "0123":
        raise _not_a_code(
            raw, f"the second character must be a digit 0-3, not {second!r}{_typo_hint(second)}."
        )
    for position, character in enumerate(text[2:], start=3):
        if character not in _HEX:
            raise _not_a_code(
                raw,
                "characters 3 to 5 must be digits 0-9 or letters A-F; character "
                f"{position} is {character!r}{_typo_hint(character)}.",
            )
    scope, subsystem = _scope_and_subsystem(letter, second, third)
    return DtcStructure(text, SYSTEMS[letter], scope, subsystem)


def _scope_and_subsystem(letter: str, second: str, third: str) -> tuple[str, str | None]:
    if letter == "P":
        if second == "0":
            return "generic", _P0_GROUPS.get(third)
        if second == "2":
            return "generic", _P2_GROUPS.get(third)
        if second == "3" and third not in "0123":
            # J2012 hands P3400-P3FFF to the standard; P3000-P33FF stay with the makers.
            return "generic", _P3_GROUPS.get(third)
        usual = _P0_GROUPS.get(third) if third.isdigit() else None
        return "manufacturer", f"{usual}{_USUAL_GROUPING}" if usual else None
    if second == "0":
        return "generic", _U0_GROUPS.get(third) if letter == "U" else None
    if second == "3":
        return "reserved", _U3_GROUPS.get(third) if letter == "U" else None
    return "manufacturer", None


def explain_dtc(code: str) -> DtcExplanation:
    """Explain a trouble code: its structure and, when curated, what it means and how urgent."""
    structure = decode_structure(code)
    return DtcExplanation(structure.code, structure, DTC_TABLE.get(structure.code))
