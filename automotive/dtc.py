"""OBD-II diagnostic trouble codes (DTCs): find them in text, decode their structure, explain them.

The structure follows SAE J2012 / ISO 15031-6: a letter for the system (P, C, B, U), a digit
0-3 saying who defines the code, then three hexadecimal characters, the first of which names
the subsystem for powertrain and network codes. Standard titles come from automotive.dtc_titles
(each shown with its source), explanations from the curated table in automotive.dtc_table.
No Flask here: views, model tools and fact cards all use these functions.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from automotive import dtc_table, dtc_titles

# The shape of a trouble code, per SAE J2012: a system letter, a digit 0-3, then three
# hexadecimal digits (P0A80, P242F and P2A00 are real codes, so A-F count after the second
# character). decode_structure checks that shape; DTC_PATTERN matches it in running text
# (find_dtcs also reads the typed variants below, and decides by context). The code must not
# touch an ASCII letter or digit on either side, so "XP04201", the part
# number "P04200" and "UB1234X" are rejected, while punctuation ("P0420,", "(P0420)",
# "P0420/P0430", "P0171-00") still separates codes. Non-ASCII letters do not count as a word:
# Japanese and Chinese write codes without spaces ("点いてP0420が", "故障码P0171是").
DTC_PATTERN = re.compile(r"(?<![A-Za-z0-9])[PCBU][0-3][0-9A-F]{3}(?![A-Za-z0-9])", re.IGNORECASE)

# What people type for a code, which find_dtcs reads as one: the plain shape above, one space
# or hyphen after the letter ("p 0420", "P-0420"), or the letter O for the zero in second
# place ("PO420", "po300"). The O is taken only before three decimal digits, so words such as
# "coded" (C-O-D-E-D) are never read as a code.
_CANDIDATE = re.compile(
    r"(?<![A-Za-z0-9])(?P<letter>[PCBU])(?:"
    r"(?P<gap>[ -]?)(?P<digit>[0-3])(?P<rest>[0-9A-F]{3})"
    r"|(?P<oh>O)(?P<rest_oh>[0-9]{3}))(?![A-Za-z0-9])",
    re.IGNORECASE,
)
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
    # The standard's name for the code (automotive.dtc_titles), or None where this project has
    # no title it is sure of. A curated entry always has one, the same as its own title.
    title: str | None = None

    @property
    def title_source(self) -> str | None:
        """Name where the title comes from ("SAE J2012 generic title"), or None untitled."""
        return dtc_titles.TITLE_SOURCE if self.title else None

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
            elif self.title:
                notes.append(
                    "Its standard title is above, but there are no likely causes, checks or "
                    "severity here: the service manual gives the test steps for the make."
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
        """Return the explanation as JSON-able data, for a model tool result.

        Keys: code, structure (see DtcStructure.to_dict), title and title_source (both None
        when untitled), in_table, entry (DtcEntry.to_dict or None) and note.
        """
        return {
            "code": self.code,
            "structure": self.structure.to_dict(),
            "title": self.title,
            "title_source": self.title_source,
            "in_table": self.entry is not None,
            "entry": self.entry.to_dict() if self.entry else None,
            "note": self.note,
        }

    @property
    def heading(self) -> str:
        """Name the code and what it is, e.g. "P0420: Catalyst System Efficiency …"."""
        if self.title is None:
            return f"{self.code}: not in the curated table"
        return f"{self.code}: {self.title}"

    def lines(self) -> list[str]:
        """List what is known about the code, one fact a line, drive guidance excepted.

        The structural decode always comes first, so that it stands beside the title.
        """
        structure = self.structure
        subsystem = f"; subsystem: {structure.subsystem}" if structure.subsystem else ""
        lines = [f"Code type: {structure.system}, {SCOPES[structure.scope]}{subsystem}."]
        if self.title:
            lines.append(f"Title source: {self.title_source}.")
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


# --- Finding codes in a message ------------------------------------------------------------
#
# Model and engine names share the code shape: Chevrolet C1500, Mazda B2300, Tesla P100D,
# Honda B16A2. They all fall in the manufacturer (P1, B1, B2, C1, C2, U1, U2) or reserved
# (B3, C3, U3) ranges; a generic code (P0, P2, P34-P3F, U0, B0, C0) almost never names a car.
# So find_dtcs reads a code-shaped word as a code when:
#   1. it is a generic-range code written plainly ("P0420", "u0100"), or a typed variant with
#      a zero in second place ("p 0420", "PO420") of a code this project has a title for;
#   2. a code word claims it: each "code", "DTC", "Fehlercode", ... claims the nearest
#      code-shaped word, within _CLAIM_REACH characters (ties go to the word after it). When
#      the message has no such word, situational words (check engine light, CEL, MIL,
#      scanner, OBD, fault, ...) claim instead, passing over words that follow a make, a
#      model year or "my", which name a vehicle ("2004 Mazda B2300 check engine light");
#   3. it is listed with a code found by 1 or 2, joined only by punctuation or "and", "or",
#      "then" ("P0420, P1456 and P1457").
# Everything else ("1995 Chevy C1500", "Tesla P100D", "mazda B2300") is left alone, and a
# manufacturer code alone without a code word ("P1456?") is left to the model to interpret.

# Words that name a code as such ("code", "DTC", "fault code", "Fehlercode", "código", ...).
_CODE_WORDS = re.compile(
    r"(?<!\w)(?:(?:trouble|fault|error|diagnostic|engine|obd-?(?:ii|2)?|p|b|c|u)[ -]?)?"
    r"(?:codes?|dtcs?)(?!\w)"
    r"|(?<!\w)(?:fehlercodes?|c[oó]digos?|codice|codici|kod|kodu|kodlar[ıi]?|код\w*"
    r"|故障码|故障代码|代码|コード|코드)(?!\w)",
    re.IGNORECASE,
)
# Words that make a code likely without naming one. "Fault" and "error" are here, not above:
# "my C1500 has an electrical fault" names no code.
_SITUATION_WORDS = re.compile(
    r"(?<!\w)(?:check[ -]engine|engine light|cel|mil|scan(?:ned|ner|ning| tool)?|"
    r"obd(?:-?ii|2|ii)?|eobd|reader|faults?|errors?|fehler|ошибк\w*|"
    r"throw(?:s|ing|n)?|threw|pulled)(?!\w)",
    re.IGNORECASE,
)
# How far a code word reaches for its code: a short sentence ("C1201 on my Lexus RX with the
# VSC and check engine lights"), not the whole message.
_CLAIM_REACH = 48
# A word right before a code-shaped word that makes it a vehicle's name, not a code.
_VEHICLE_BEFORE = re.compile(
    r"(?<!\w)(?:(?:19|20)\d\d|acura|audi|bmw|buick|cadillac|chevrolet|chevy|chrysler|citroen|"
    r"citroën|dodge|fiat|ford|gmc|honda|hyundai|infiniti|isuzu|jeep|kia|lexus|lincoln|mazda|"
    r"mercedes|mercury|mitsubishi|nissan|oldsmobile|opel|peugeot|pontiac|porsche|ram|renault|"
    r"saab|subaru|suzuki|tesla|toyota|vauxhall|volkswagen|volvo|vw|my|our|his|her|their|your)"
    r"\W{0,2}\s+$",
    re.IGNORECASE,
)
# What may stand between two codes of one list. Not a full stop: "P0420. C1500 runs rough"
# is two sentences, not a list.
_LIST_JOIN = re.compile(r"[\s,;/&+|()\-]*(?:(?:and|or|then|plus|und|y|et)[\s,;/&+|()\-]*)?")
# How far back _VEHICLE_BEFORE looks: one make or year and the space after it.
_VEHICLE_WINDOW = 16
_GENERIC_PREFIXES = ("P0", "P2", "U0", "B0", "C0")


@dataclass(frozen=True)
class _Candidate:
    code: str  # normalised: "p 0420" and "PO420" become "P0420"
    start: int
    end: int
    plain: bool  # written in the standard shape, without a gap or a letter O

    @property
    def generic(self) -> bool:
        return self.code.startswith(_GENERIC_PREFIXES) or (
            self.code.startswith("P3") and self.code[2] not in "0123"
        )

    def found_alone(self) -> bool:
        """Tell whether the word is a code without any context (rule 1)."""
        if self.plain:
            return self.generic
        return self.code[1] == "0" and dtc_titles.generic_title(self.code) is not None


def _candidates(text: str) -> list[_Candidate]:
    found = []
    for match in _CANDIDATE.finditer(text):
        letter = match["letter"].upper()
        if match["oh"]:
            code, plain = f"{letter}0{match['rest_oh']}", False
        else:
            code, plain = f"{letter}{match['digit']}{match['rest'].upper()}", not match["gap"]
        found.append(_Candidate(code, match.start(), match.end(), plain))
    return found


def _names_vehicle(text: str, candidate: _Candidate) -> bool:
    """Tell whether a make, a model year or "my" stands right before the candidate."""
    before = text[max(candidate.start - _VEHICLE_WINDOW, 0) : candidate.start]
    return _VEHICLE_BEFORE.search(before) is not None


def _claimed(
    text: str, candidates: list[_Candidate], words: re.Pattern[str], skip: set[int]
) -> set[int]:
    """Index, for each code word in the text, the nearest candidate within reach.

    Candidates in `skip` are passed over, as if they were not there. Ties go to the candidate
    after the word ("code P0300" is likelier than "P0300 code").
    """
    eligible = [index for index in range(len(candidates)) if index not in skip]
    starts = [candidates[index].start for index in eligible]
    claimed = set()
    for word in words.finditer(text):
        # Candidates never overlap a code word, so each lies wholly before or after it.
        position = bisect.bisect_left(starts, word.end())
        options = []
        if position < len(eligible):
            after = eligible[position]
            options.append((candidates[after].start - word.end(), 0, after))
        if position > 0:
            before = eligible[position - 1]
            options.append((word.start() - candidates[before].end, 1, before))
        if options:
            gap, _, index = min(options)
            if gap <= _CLAIM_REACH:
                claimed.add(index)
    return claimed


def find_dtcs(text: str) -> list[str]:
    """Find the trouble codes in a message: uppercased, de-duplicated, in order of appearance.

    Returns every code found, however many (callers cap what they show), normalised to the
    standard shape ("p 0420" and "PO420" give "P0420"). Model names that look like codes are
    left out unless the message treats them as codes; see the rules above. Never raises; None
    or "" give [].
    """
    text = text or ""
    candidates = _candidates(text)
    vehicles = {
        index for index, candidate in enumerate(candidates) if _names_vehicle(text, candidate)
    }
    accepted = {index for index, candidate in enumerate(candidates) if candidate.found_alone()}
    if _CODE_WORDS.search(text):
        accepted |= _claimed(text, candidates, _CODE_WORDS, skip=set())
    else:
        accepted |= _claimed(text, candidates, _SITUATION_WORDS, skip=vehicles)
    # A list spreads acceptance along its joins: rightwards in one sweep, then leftwards.
    joined = [
        _LIST_JOIN.fullmatch(text, left.end, right.start) is not None
        for left, right in itertools.pairwise(candidates)
    ]
    for index, is_joined in enumerate(joined):
        if is_joined and index in accepted and index + 1 not in vehicles:
            accepted.add(index + 1)
    for index, is_joined in reversed(list(enumerate(joined))):
        if is_joined and index + 1 in accepted and index not in vehicles:
            accepted.add(index)
    # dict.fromkeys keeps the first appearance of each code, in order.
    return list(dict.fromkeys(candidates[index].code for index in sorted(accepted)))


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
    """Explain a trouble code: its structure, its standard title where known and, when
    curated, what it means and how urgent it is.

    Raises DtcError (a ValueError) when `code` is not a well-formed trouble code.
    """
    structure = decode_structure(code)
    entry = DTC_TABLE.get(structure.code)
    title = entry.title if entry else dtc_titles.generic_title(structure.code)
    return DtcExplanation(structure.code, structure, entry, title)
