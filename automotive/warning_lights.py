"""Dashboard warning lights: what each one means, how urgent it is, and finding them in words.

Drivers describe a light rather than name it ("red oil can", "yellow engine light
flashing", "a tortoise on the dash", "horseshoe with an exclamation mark"), often with
typos and in their own language. ``find_warning_lights`` turns such a description into
entries of ``LIGHTS``; everything works offline and without Flask.

Sources of the facts: the symbol shapes and the colour convention (red: danger, stop;
amber/yellow: a fault, act soon; green/blue/white: information) are those of ISO 2575
(Road vehicles -- symbols for controls, indicators and tell-tales), which UN ECE
Regulation 121 makes mandatory in Europe; the tire-pressure threshold is the US
FMVSS 138 one; what to do follows owners' manuals and roadside-assistance clubs (AAA,
AA, RAC, ADAC). Makers draw and colour some lights differently, so each card says so
where it matters, and the owner's manual is the authority for a given car.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from types import MappingProxyType

from automotive.dtc import Severity

# ---------------------------------------------------------------- text matching
#
# Shared with automotive.triage: a message is normalised (case, accents, punctuation),
# typos of a short list of domain words are corrected, then plain regular expressions
# run over single-spaced words. No model and no network: this has to work
# when the driver has neither.

# Typed symbols that normalising would erase: "(!)" is the brake-system light.
_SYMBOLS = (
    (re.compile(r"\(\s*!\s*\)"), " exclamation circle "),
    (re.compile(r"\(\s*p\s*\)", re.IGNORECASE), " parking brake circle "),
    (re.compile(r"⚠"), " triangle exclamation "),
    (re.compile(r"(?<=\s)!(?=\s)"), " exclamation "),
)
_NON_WORD = re.compile(r"[\W_]+")

# Negations that cancel a phrase when they come just before it ("no smoke", "not
# overheating", "kein Öldruckproblem"). A pattern that needs its own negation ("no
# brakes") includes it, so the match starts at the negation and nothing precedes it.
NEGATIONS = frozenset((
    "no", "not", "never", "without", "nothing", "none", "t", "nicht", "kein", "keine", "keinen",
    "keiner", "nie", "ohne", "pas", "jamais", "aucun", "aucune", "sans", "sin", "nunca",
    "ningun", "ninguna", "non", "nao", "nem", "geen",
))  # fmt: skip
_NEGATION_REACH = 3  # words before a phrase that a negation may stand in

# The domain words whose typos matter ("presure", "temprature", "stearing", "engin"). Only
# these are corrected to: a wider list turns real words into triggers ("fuses" into
# "fumes", "rough" into "rouge", "looked" into "locked").
TYPO_TARGETS = frozenset((
    "pressure", "temperature", "overheating", "overheated", "overheats", "steering", "engine",
    "brakes", "brake", "battery", "coolant", "warning", "light", "lights", "flashing",
    "blinking", "flickering", "smoke", "smoking", "coming", "exclamation", "tortoise",
    "traction", "stability", "airbag", "airbags", "accident", "accelerator", "accelerating",
    "radiator", "thermometer", "dashboard", "gasoline", "petrol", "diesel", "leaking",
    "transmission", "alternator", "symbol", "indicator", "horseshoe", "squiggly", "pedal",
    "floor", "steam", "burning", "wobbling", "boiling", "yellow", "sidewall", "blowout",
    "gauge", "working",
))  # fmt: skip
# Real words one edit away from a target: never "corrected" into it.
_KEEP = frozenset((
    "warming", "warping", "warring", "flushing", "flushed", "broke", "brave", "brace", "spoke",
    "stoke", "steal", "steak", "stream", "flood", "floors", "flour", "petal", "medal", "patrol",
    "leaning", "sight", "fight", "night", "right", "tight", "might", "eight", "lighter",
    "engines", "flushing", "smoked", "smokes", "boxing", "coating", "coning", "leaving",
    "streaming", "wording", "accelerate", "accelerates", "acceleration", "braked", "overheat",
    "pedale",
))  # fmt: skip


# Typos too short for the edit-distance correction (under 5 letters), mapped outright.
ALIASES = MappingProxyType(
    {
        "chek": "check",
        "chk": "check",
        "lite": "light",
        "lites": "lights",
        "tmps": "tpms",
        "tpm": "tpms",
    }
)


def normalise(text: str) -> str:
    """Lower-case, strip accents and punctuation, single-space the words.

    "Öldruck-Kontrollleuchte (!)" -> "oldruck kontrollleuchte exclamation circle".
    """
    for pattern, replacement in _SYMBOLS:
        text = pattern.sub(replacement, text)
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(char for char in text if not unicodedata.combining(char))
    return " ".join(_NON_WORD.sub(" ", text).split())


def _distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance (a swap of two letters counts 1), capped at limit+1."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, 1):
            cost = 0 if char_a == char_b else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


class Vocabulary:
    """Words a module's patterns use, and the typo correction that leads to them.

    Why so cautious: a correction must never turn a real word into a trigger ("fine"
    into "fire", "warming" into "warning"). So a word is only corrected into one of
    ``TYPO_TARGETS``; words the patterns use themselves ("dropping" beside "dripping")
    are left alone; only words of 5 letters or more are corrected; the first letter must
    match (typos rarely hit it); one edit is allowed (a swap of two letters counts as
    one), two from 9 letters; and common near-misses are listed in ``_KEEP``.
    """

    def __init__(self, words: Iterable[str]) -> None:
        self.known = frozenset(words) | TYPO_TARGETS | _KEEP
        self._by_initial: dict[str, list[str]] = {}
        for word in sorted(TYPO_TARGETS):
            self._by_initial.setdefault(word[0], []).append(word)
        self._cache: dict[str, str] = {}

    @classmethod
    def from_patterns(cls, sources: Iterable[str], extra: Iterable[str] = ()) -> Vocabulary:
        """Collect the plain words (letters only) of regular-expression sources."""
        words = set(extra)
        for source in sources:
            # Drop escapes such as \w and \b so "\bwarning" yields "warning", not "bwarning".
            words.update(re.findall(r"[a-z]{5,}", re.sub(r"\\[a-zA-Z]", " ", source)))
        return cls(words)

    def correct(self, word: str) -> str:
        """Return the domain word this word is a typo of, or the word itself."""
        alias = ALIASES.get(word)
        if alias is not None:
            return alias
        if len(word) < 5 or word in self.known or not word.isalpha():
            return word
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        limit = 1 if len(word) < 9 else 2
        best, best_distance = word, limit + 1
        for candidate in self._by_initial.get(word[0], ()):
            distance = _distance(word, candidate, limit)
            if distance < best_distance:
                best, best_distance = candidate, distance
        if len(self._cache) < 10_000:  # bounded: messages bring arbitrary words
            self._cache[word] = best
        return best

    def correct_text(self, normalised: str) -> str:
        """Correct every word of normalised text."""
        return " ".join(self.correct(word) for word in normalised.split())


@dataclass(frozen=True)
class Prepared:
    """A message made ready for matching: normalised, typos corrected."""

    text: str

    @classmethod
    def of(cls, message: str, vocabulary: Vocabulary) -> Prepared:
        """Prepare a raw message with a module's vocabulary."""
        return cls(vocabulary.correct_text(normalise(message)))

    @cached_property
    def _words(self) -> list[str]:
        return self.text.split(" ") if self.text else []

    @cached_property
    def _starts(self) -> list[int]:
        # Where each word starts: the text is single-spaced, so one pass finds them all, and
        # a match's neighbours are a bisect away however long the message is.
        starts, position = [], 0
        for word in self._words:
            starts.append(position)
            position += len(word) + 1
        return starts

    def words_before(self, position: int, count: int) -> list[str]:
        """Up to ``count`` whole words ending before ``position``."""
        index = bisect.bisect_left(self._starts, position)
        return self._words[max(0, index - count) : index]

    def words_after(self, position: int, count: int) -> list[str]:
        """Up to ``count`` whole words starting after ``position``."""
        index = bisect.bisect_left(self._starts, position)
        return self._words[index : index + count]

    def negated(self, start: int) -> bool:
        """Whether a negation stands in the few words before ``start``."""
        return any(word in NEGATIONS for word in self.words_before(start, _NEGATION_REACH))

    def around(self, start: int, end: int, words: int = 6) -> str:
        """The match with up to ``words`` words either side (for context checks)."""
        before, after = self.words_before(start, words), self.words_after(end, words)
        return " ".join([*before, self.text[start:end], *after])


def near(first: str, second: str, gap: int = 3) -> str:
    """A regex for two alternations within ``gap`` words of each other, in either order."""
    between = rf"(?: \S+){{0,{gap}}} "
    a, b = rf"\b(?:{first})\b", rf"\b(?:{second})\b"
    return rf"(?:{a}{between}{b}|{b}{between}{a})"


def alternation(*parts: str) -> str:
    """Join regex alternatives."""
    return "|".join(parts)


# ---------------------------------------------------------------- what a light looks like

# The nouns that make a phrase about a dashboard light (not the engine, not the oil).
LAMP = alternation(
    r"warning lights?|lights?|lamps?|warnings?|symbols?|icons?|indicators?|tell ?tales?",
    r"idiot lights?|dash lights?|dash|dashboard|cluster",
    r"\w*leuchten?|\w*lampen?|kontrollleuchte\w*|warnsymbol",  # de
    r"voyants?|temoins?|pictogrammes?",  # fr
    r"luz|luces|testigos?|pilotos?|iconos?|simbolos?|chivatos?",  # es
    r"spia|spie|spietta",  # it
    r"luzes|luzinha|lampje|controlelampje",  # pt, nl
)
# Verbs of a light being on: enough for subjects that can only be a light ("TPMS came on").
STATE = alternation(
    r"came on|comes on|come on|coming on|came up|turned on|went on|goes on|stays on",
    r"stayed on|is on|are on|was on|lit|lit up|lights up|lighting up|illuminated",
    r"popped up|pops up|flashing|blinking|flickering|flashes|blinks|flickers|flashed",
    r"leuchtet|blinkt|brennt|ist an|geht an",  # de
    r"allume|allumee|s allume|s est allume|clignote|clignotant",  # fr
    r"encendida|encendido|se encendio|se prendio|prendida|prendido|parpadea|parpadeando",
    r"accesa|acceso|lampeggia|acesa|acendeu|piscando|pisca|brandt|knippert",
)
ON = alternation(LAMP, STATE)

FLASHING = re.compile(
    r"\b(?:flash\w*|blink\w*|flicker\w*|pulsing|pulses|strobing|on and off|blinkt|blinkend\w*"
    r"|flackert|clignot\w*|parpade\w*|intermitente|titila\w*|lampeggi\w*|pisca\w*|knipper\w*)\b"
)
STEADY = re.compile(
    r"\b(?:steady|solid|constant|constantly|stays on|stayed on|permanently|dauerhaft|"
    r"fixe|fijo|fija|fisso|fissa)\b"
)


class Colour(StrEnum):
    RED = "red"
    AMBER = "amber"
    GREEN = "green"
    BLUE = "blue"
    WHITE = "white"


_COLOUR_WORDS: Mapping[Colour, str] = MappingProxyType(
    {
        Colour.RED: r"red|rot|rote|roter|rotes|rouge|rojo|roja|rosso|rossa|vermelh[ao]|rood",
        Colour.AMBER: r"amber|yellow|orange|gelb\w*|jaune|ambre|amarill[ao]|naranja|ambar"
        r"|giall[oa]|arancione|amarel[ao]|laranja|geel|oranje",
        Colour.GREEN: r"green|grun\w*|gruen\w*|vert|verte|verde|groen",
        Colour.BLUE: r"blue|blau\w*|bleu|bleue|azul|blu|blauw",
        Colour.WHITE: r"white|weiss\w*|blanc|blanche|blanco|blanca|bianco|branco|wit",
    }
)
_COLOUR = re.compile(
    "|".join(rf"\b(?P<{colour.value}>{words})\b" for colour, words in _COLOUR_WORDS.items())
)

COLOUR_MEANING: Mapping[Colour, str] = MappingProxyType(
    {
        Colour.RED: "red: danger, stop safely now",
        Colour.AMBER: "amber/yellow: a fault, have it checked soon",
        Colour.GREEN: "green: a system is on, information only",
        Colour.BLUE: "blue: information only (high beam, or a cold engine)",
        Colour.WHITE: "white: information only",
    }
)


@dataclass(frozen=True)
class Pattern:
    """One way of naming a light.

    ``weight`` 2 names this light alone; 1 is shared with a sibling of the same family
    (an "oil light" is the pressure or the level light, and the colour decides).
    ``requires`` must also appear near the match ("brake light" is the dashboard one
    only with "dash", "came on", "red"...).
    """

    regex: re.Pattern[str]
    weight: int = 2
    requires: re.Pattern[str] | None = None


def _p(source: str, weight: int = 2, requires: str | None = None) -> Pattern:
    return Pattern(re.compile(source), weight, re.compile(requires) if requires else None)


@dataclass(frozen=True)
class WarningLight:
    """A dashboard warning light.

    ``colours`` maps each colour the light comes in to its severity (the same
    ``Severity`` as trouble codes: STOP, SOON, MONITOR). ``flashing`` says what a
    flashing light means, and ``flashing_severity`` how urgent that is. ``note`` tells
    it apart from a look-alike. ``family`` groups look-alikes that one description may
    name (oil pressure and oil level), so a match settles on one of them. ``usual`` is
    the colour assumed when the driver does not say (most master warnings are amber,
    most brake-system lights red); without one the worst colour counts.
    """

    id: str
    name: str
    symbol: str  # the ISO 2575 shape, in words
    colours: Mapping[Colour, Severity]
    meaning: str
    action: str
    patterns: tuple[Pattern, ...]
    flashing: str | None = None
    flashing_severity: Severity | None = None
    note: str | None = None
    family: str | None = None
    exclude: re.Pattern[str] | None = None  # near the match: not this light
    usual: Colour | None = None

    @property
    def title(self) -> str:
        """The card title, without a doubled word: "Master warning light", not "... warning
        warning light"."""
        last = self.name.split()[-1].casefold()
        if last in ("light", "lamp"):
            return self.name
        if last == "warning":
            return f"{self.name} light"
        return f"{self.name} warning light"

    @cached_property
    def worst(self) -> Severity:
        """The most urgent severity among the light's colours."""
        return min(self.colours.values(), key=_RANK.__getitem__)

    def severity(self, colour: Colour | None, flashing: bool | None) -> Severity:
        """How urgent the light is in the colour and state described.

        A colour the light does not come in is taken at its word when it is red (the
        convention says stop). Otherwise the usual colour counts, else the worst one, so
        an unclear description never makes a light sound safer than it usually is.
        """
        if flashing and self.flashing_severity is not None:
            return self.flashing_severity
        if colour in self.colours:
            return self.colours[colour]
        if colour is Colour.RED:
            return Severity.STOP
        if self.usual is not None:
            return self.colours[self.usual]
        return self.worst

    def to_dict(self) -> dict[str, object]:
        """The light as JSON-able data (the tool result and tests)."""
        return {
            "id": self.id,
            "name": self.name,
            "symbol": self.symbol,
            "colours": {colour.value: sev.value for colour, sev in self.colours.items()},
            "meaning": self.meaning,
            "what_to_do": self.action,
            "when_flashing": self.flashing,
            "note": self.note,
        }


_RANK = {Severity.STOP: 0, Severity.SOON: 1, Severity.MONITOR: 2}

# A shape with a colour ("red oil can") is a light even without the word "light".
_ON_OR_COLOUR = alternation(ON, *_COLOUR_WORDS.values())

# Subjects in several languages, for the lights a driver must never miss.
_OIL = r"oil|oel|ol|oli|huile|aceite|olio|oleo|olie"
_OIL_SHAPE = (
    r"oil ?cans?|oelkanne|olkanne|genie lamp|magic lamp|aladdin\w* lamp|burette|aceitera"
    r"|oliera|oil drop|drop of oil"
)
_TEMP = (
    r"temperature|temp|coolant temp\w*|engine temp\w*|water temp\w*|thermometers?|overheat\w*"
    r"|temperatur|kuhlmitteltemperatur|kuehlmitteltemperatur|wassertemperatur|temperatura"
    r"|temperature moteur|temperature d eau|surchauffe|sobrecalentamiento"
)
_COOLANT = (
    r"coolant|antifreeze|kuhlmittel\w*|kuehlmittel\w*|kuhlwasser|kuehlwasser"
    r"|liquide de refroidissement|refroidissement|refrigerante|anticongelante|liquido refrigerante"
)
_ENGINE = (
    r"check engine|check engin|service engine soon|engine management|engine malfunction"
    r"|malfunction indicator|engine fault|engine warning|engine|motor|engine outline"
    r"|engine symbol|engine shaped|yellow engine|orange engine|epc"
    r"|motorkontroll\w*|motorleuchte|motorwarn\w*|motor\w*leuchte|motorstorung\w*"
    r"|moteur|gestion moteur|anomalie moteur|motore"
)
_BRAKE = r"brake|brakes|break|breaks"
# German compound nouns name the light in one word ("Kühlmittelleuchte", "Batteriesymbol").
_DE_LAMP = r"(?:leuchte|lampe|symbol|kontrollleuchte|warnleuchte|anzeige)n?"
_GERMAN_COOLANT_LAMP = rf"\b(?:kuhlmittel|kuehlmittel|kuhlwasser|kuehlwasser)\w*{_DE_LAMP}\b"

_LIGHTS = (
    WarningLight(
        "oil_pressure",
        "Oil pressure",
        "An old-style oil can with a drop falling from its spout (the 'genie lamp')",
        {Colour.RED: Severity.STOP},
        "The engine's oil pressure is too low to protect it: the oil is very low, the oil "
        "pump has failed, or (less often) the pressure switch is faulty.",
        "Pull over as soon as it is safe and switch the engine off: without oil pressure "
        "the engine can be ruined within minutes. After 5 minutes on level ground, check "
        "the dipstick and top up if low. If the level is fine and the light stays on, do "
        "not drive on: have it towed.",
        (
            _p(
                near(
                    r"oil pressure|oil press|oldruck\w*|oeldruck\w*|pression d huile"
                    r"|pression huile|presion de aceite|presion del aceite|pressione dell olio"
                    r"|pressione olio|pressao do oleo|pressao de oleo|oliedruk",
                    ON,
                )
            ),
            _p(r"\b(?:oldruck|oeldruck)\w*(?:leuchte|lampe|warn\w*)\b"),
            _p(near(_OIL, LAMP, 2), 1),
            _p(near(r"low oil|oil low", LAMP, 2), 1),
            _p(r"\b(?:ol|oel)\w*(?:leuchte|lampe|symbol)\b", 1),
            _p(rf"\b(?:{_OIL_SHAPE})\b", 1, requires=_ON_OR_COLOUR),
        ),
        note="An amber or yellow oil can, often with a wavy line under it, is the oil level "
        "warning instead: top up soon.",
        family="oil",
        exclude=re.compile(
            r"\b(?:change|service|life|maintenance|wartung|vidange|cambio de aceite)\b"
            r"(?: \S+){0,2} \b(?:light|reminder|indicator|lamp|due)\b"
            # a reminder to reset after a service is not the pressure or level light
            r"|\b(?:reset\w*|zurucksetzen|zuruecksetzen|reinitialiser|resetear|oil life)\b"
        ),
    ),
    WarningLight(
        "oil_level",
        "Oil level",
        "An oil can with a wavy line under it (amber)",
        {Colour.AMBER: Severity.SOON},
        "The oil level in the sump is low (a level sensor measures it).",
        "At the next safe stop, check the dipstick and top up with the grade in the owner's "
        "manual; then find out where the oil is going (a leak, or burning it).",
        (
            _p(
                near(
                    r"oil level|oil lvl|olstand|oelstand|niveau d huile|niveau huile"
                    r"|nivel de aceite|nivel del aceite|livello dell olio|livello olio",
                    ON,
                )
            ),
            _p(r"\boil can with (?:a )?wavy line\b"),
            _p(near(_OIL, LAMP, 2), 1),
            _p(near(r"low oil|oil low", LAMP, 2), 1),
            _p(r"\b(?:ol|oel)\w*(?:leuchte|lampe|symbol)\b", 1),
            _p(rf"\b(?:{_OIL_SHAPE})\b", 1, requires=_ON_OR_COLOUR),
        ),
        note="If the oil can is red, it is the oil pressure warning: stop safely now.",
        family="oil",
        exclude=re.compile(
            r"\b(?:change|service|life|maintenance|wartung|vidange|cambio de aceite)\b"
            r"(?: \S+){0,2} \b(?:light|reminder|indicator|lamp|due)\b"
            # a reminder to reset after a service is not the pressure or level light
            r"|\b(?:reset\w*|zurucksetzen|zuruecksetzen|reinitialiser|resetear|oil life)\b"
        ),
    ),
    WarningLight(
        "coolant_temperature",
        "Coolant temperature",
        "A thermometer standing in waves of liquid",
        {Colour.RED: Severity.STOP, Colour.BLUE: Severity.MONITOR},
        "Red: the engine is overheating. Blue (some cars): the engine is still cold.",
        "Red: pull over safely and switch the engine off; never open the coolant cap while "
        "it is hot. Let it cool for at least 30 minutes, then check the coolant level; if it "
        "is empty or the light comes back, have it towed. Blue: drive gently until it goes out.",
        (
            _p(near(_TEMP, LAMP, 2)),
            _p(
                r"\bthermometer (?:in|on|over|with|and) (?:the |some )?"
                r"(?:water|waves?|wavy lines?|liquid|sea)\b"
            ),
            _p(near(_COOLANT, LAMP, 2), 1),
            _p(_GERMAN_COOLANT_LAMP, 1),
        ),
        note="An amber light showing the coolant tank (or the thermometer) is usually the "
        "coolant level warning: top up when the engine is cold.",
        family="coolant",
        exclude=re.compile(
            r"\b(?:outside|outdoor|ambient|frost|ice|snowflake|aussen|transmission|trans"
            r"|gearbox|gear|cog|getriebe|boite de vitesses|caja de cambios|atf|cvt|turbo\w*"
            r"|battery|batteries|batterie|bateria|batteria|akku|brakes?|breaks?)\b"
        ),
        usual=Colour.RED,
    ),
    WarningLight(
        "coolant_level",
        "Coolant level",
        "A coolant tank with a level line, or the thermometer in waves (amber)",
        {Colour.AMBER: Severity.SOON},
        "The coolant in the expansion tank is low.",
        "When the engine is cold, top up to the MAX mark with the coolant type in the manual; "
        "if it keeps dropping, look for a leak. Watch the temperature: if it rises, stop.",
        (
            _p(
                near(
                    r"coolant level|low coolant|coolant low|kuhlmittelstand|kuehlmittelstand"
                    r"|niveau de liquide de refroidissement|nivel de refrigerante"
                    r"|nivel del refrigerante",
                    ON,
                )
            ),
            _p(near(_COOLANT, LAMP, 2), 1),
            _p(near(_TEMP, LAMP, 2), 1),
            _p(_GERMAN_COOLANT_LAMP, 1),
        ),
        note="If the thermometer light is red, the engine is overheating: stop safely now.",
        family="coolant",
        exclude=re.compile(
            r"\b(?:outside|outdoor|ambient|frost|ice|snowflake|aussen|transmission|trans"
            r"|gearbox|gear|cog|getriebe|boite de vitesses|caja de cambios|atf|cvt|turbo\w*"
            r"|battery|batteries|batterie|bateria|batteria|akku|brakes?|breaks?)\b"
        ),
    ),
    WarningLight(
        "charging",
        "Battery charging",
        "A battery with + and − terminals",
        {Colour.RED: Severity.SOON},
        "The battery is not being charged: usually the alternator or its drive belt, "
        "sometimes a loose or corroded battery cable.",
        "The car now runs on what is left in the battery (often 30-60 minutes). Switch off "
        "what you can (heater fan, heated seats and screen, radio), don't switch the engine "
        "off until you reach a garage or a safe place, and stop at once if the temperature "
        "warning comes on or the steering goes heavy: the same belt may drive the water pump.",
        (
            _p(
                near(
                    r"battery|batteries|charging|charge|alternator|generator|batterie"
                    r"|ladekontroll\w*|batterieleuchte|lichtmaschine|bateria|carga|batteria"
                    r"|alternateur|alternador|dinamo|accu|accumulateur",
                    LAMP,
                    2,
                )
            ),
            _p(r"\bladekontroll\w*\b"),
            _p(rf"\b(?:batterie|batt|akku|lade)\w*{_DE_LAMP}\b"),
        ),
        note="Red here does not always mean stop at once, but don't go far: the battery "
        "will run flat and the engine will stop.",
        exclude=re.compile(
            r"\b(?:charge port|charging port|charger|chargers|wallbox|charging cable|charging "
            r"station|charge cable|borne|ladesaule|phone|key fob|fob|remote|bars?|percent|kwh"
            r"|overheat\w*|over heating|too hot|temp|temperature|uberhitz\w*|ueberhitz\w*)\b"
        ),
    ),
    WarningLight(
        "brake_system",
        "Brake system",
        "An exclamation mark in a circle between brackets, (!), or the word BRAKE",
        {Colour.RED: Severity.STOP, Colour.AMBER: Severity.SOON},
        "Red: the parking brake is on, the brake fluid is low, or the brake hydraulics have a "
        "fault. Amber (some cars): a fault in the electric parking brake or in the "
        "brake-force distribution.",
        "Check the parking brake is fully released. If the red light stays on while driving, "
        "stop safely and check the brake fluid level; don't drive on if it is low or the "
        "pedal feels different: have it towed.",
        (
            _p(
                rf"\b(?:{_BRAKE}) (?:system|fluid|failure|fault|warning) "
                rf"(?:warning )?(?:{LAMP})\b"
            ),
            _p(rf"\b(?:{_BRAKE}) warning\b"),
            _p(
                r"\b(?:hand ?brake|parking brake|emergency brake|e brake|handbremse\w*"
                r"|feststellbremse\w*|frein a main|freno de mano)\b(?: \S+){0,2} "
                rf"\b(?:{LAMP})\b"
            ),
            _p(
                r"\bexclamation (?:mark |point |sign )?(?:in|inside|within|in the middle of) "
                r"(?:a |the )?(?:circle|circles|brackets|parenthes\w+|round)\b"
            ),
            _p(r"\b(?:exclamation circle|circle with (?:an )?exclamation\w*)\b"),
            _p(r"\bbremswarn\w*|\bbrems\w*kontroll\w*|\bbremsenwarn\w*"),
            _p(
                r"\bausrufezeichen (?:im|in einem) kreis\b|\bpoint d exclamation dans un cercle\b"
                r"|\bsigno de exclamacion (?:en|dentro de) un circulo\b"
            ),
            _p(r"\b(?:voyant|temoin|testigo|spia) (?:de |du |del |dei |des )?fre\w+\b"),
            _p(
                rf"\b(?:{_BRAKE}|luz de frenos?|luz del freno|luz de los frenos|bremsleuchte"
                rf"|bremslicht) (?:{LAMP})?",
                requires=r"\b(?:dash|dashboard|cluster|came on|comes on|lit up|red|rouge|rojo|"
                r"rot|warning|exclamation|tableau|armaturenbrett|tablero|encendida|encendido"
                r"|se encendio|prendida|prendido|leuchtet|allume|allumee|s allume|accesa|acesa)\b",
            ),
        ),
        exclude=re.compile(
            r"\b(?:bulb|bulbs|tail|rear|third|fuse|switch|stop lamp|brake lights? (?:is |are )?"
            r"out|brake lights? (?:not|don t|dont|doesn t) work\w*|behind|trailer|lampe|birne"
            r"|ampoule|bombilla|pads?|squeal\w*|rotors?|discs?|fluid change)\b"
        ),
        usual=Colour.RED,
    ),
    WarningLight(
        "abs",
        "ABS (anti-lock brakes)",
        "The letters ABS in a circle",
        {Colour.AMBER: Severity.SOON},
        "The anti-lock system has a fault and is switched off. The normal brakes still work, "
        "but the wheels can lock under hard braking.",
        "Drive on carefully, leave more distance and brake gently on slippery roads; have it "
        "checked soon (a wheel-speed sensor is the usual cause). If the red brake warning "
        "light is on too, stop safely: brake-force distribution may be lost as well.",
        (
            _p(near(r"abs|anti ?lock|antilock|antiblockier\w*|antibloqueo", ON, 3)),
            _p(r"\babs\w*(?:leuchte|lampe)\b"),
        ),
    ),
    WarningLight(
        "brake_wear",
        "Brake pad wear",
        "A circle with dashed lines on both sides (a disc between worn pads)",
        {Colour.AMBER: Severity.SOON},
        "A brake pad has worn down to its wear sensor.",
        "Have the pads (and discs) checked and replaced soon, within a few hundred miles "
        "or kilometres; a grinding noise means they are already metal on metal.",
        (
            _p(near(r"brake pads?|pad wear|brake wear|bremsbelag\w*|plaquettes?", LAMP, 2)),
            _p(r"\bcircle with (?:dashed|dotted|broken) lines\b"),
        ),
    ),
    WarningLight(
        "airbag",
        "Airbag (SRS)",
        "A seated person wearing a seat belt with a large circle (the airbag) in front",
        {Colour.RED: Severity.SOON, Colour.AMBER: Severity.SOON},
        "The airbag or seat-belt pretensioner system has a fault: the airbags may not "
        "deploy in a crash, or could deploy when they should not.",
        "The car drives normally, but have it checked as soon as possible. After a crash, "
        "don't drive the car until it has been inspected.",
        (
            _p(
                near(
                    r"airbags?|air bags?|srs|supplemental restraint|bolsa de aire"
                    r"|coussin gonflable",
                    ON,
                    3,
                )
            ),
            _p(
                r"\b(?:person|man|passenger|someone) (?:sitting )?with (?:a )?"
                r"(?:ball|circle|balloon)\b"
            ),
            _p(r"\bairbag\w*(?:leuchte|lampe)\b"),
        ),
        usual=Colour.AMBER,
    ),
    WarningLight(
        "power_steering",
        "Power steering",
        "A steering wheel with an exclamation mark",
        {Colour.RED: Severity.STOP, Colour.AMBER: Severity.SOON},
        "The power steering assistance has a fault: steering may become heavy, suddenly or "
        "at low speed.",
        "Red: slow down and stop safely (steering will be very heavy) and have it checked "
        "before driving on. Amber: assistance may be reduced; drive carefully to a garage. "
        "Switching off and restarting sometimes clears a passing fault.",
        (
            _p(
                near(
                    r"power steering|eps|steering|steering wheel with (?:an )?exclamation\w*"
                    r"|servolenkung|lenkung|direction assistee|direccion asistida|servosterzo",
                    LAMP,
                    2,
                )
            ),
            _p(r"\bsteering wheel (?:with|and) (?:an )?exclamation\b"),
            _p(r"\blenkung\w*(?:leuchte|lampe)\b"),
        ),
        exclude=re.compile(r"\b(?:heated|heating|lock|column lock|vibrat\w*|shak\w*)\b"),
        usual=Colour.AMBER,
    ),
    WarningLight(
        "tpms",
        "Tire pressure (TPMS)",
        "A horseshoe-shaped tire cross-section with an exclamation mark inside",
        {Colour.AMBER: Severity.SOON},
        "One or more tires are about 25% or more below their set pressure (the US FMVSS 138 "
        "threshold), or a tire is going flat.",
        "At the next safe stop, check all the tires with a gauge and inflate them to the "
        "pressures on the door-pillar label. If a tire is flat or visibly low, don't drive on it.",
        (
            _p(
                near(
                    r"tpms|tire pressure|tyre pressure|tire pressures|tyre pressures|low tire"
                    r"|low tyre|tire|tyre|reifendruck\w*|reifen|pression des pneus"
                    r"|pression pneus?|pneus?|presion de (?:los )?(?:neumaticos|llantas|ruedas)"
                    r"|neumaticos|llantas|pressione (?:degli )?pneumatici|pneumatici",
                    ON,
                    2,
                )
            ),
            _p(
                r"\b(?:horse ?shoe|u shape\w*|u with|flat tire symbol|exclamation (?:mark |point )?"
                r"(?:in|inside) (?:a |the )?(?:tire|tyre|horse ?shoe|u))\b"
            ),
            _p(r"\breifendruck\w*(?:leuchte|lampe|kontroll\w*|warn\w*)\b"),
        ),
        flashing="Flashing for about a minute at start-up and then steady: the monitoring "
        "system itself has a fault (often a sensor battery), so low pressure would not be "
        "reported. Check the pressures by hand until it is fixed.",
        exclude=re.compile(r"\b(?:tire shop|tyre shop|spare)\b"),
    ),
    WarningLight(
        "check_engine",
        "Check engine",
        "An engine outline, sometimes with the word CHECK (the malfunction indicator)",
        {Colour.AMBER: Severity.SOON},
        "The engine or emissions control system has stored a fault code.",
        "Steady: the car can usually be driven gently; have the code read soon (any OBD-II "
        "scanner; ask here with the code). A loose fuel cap is a common cause right after "
        "refuelling.",
        (
            _p(r"\bcheck engin\w* (?:light|lamp|on|is on|came|comes|warning|symbol|code)\b"),
            _p(r"\b(?:cel|mil|mil lamp|epc)\b (?:(?:light|lamp|is|came|comes|on|flashing)\b)"),
            _p(r"\b(?:engine light|motor light|engine lamp|service engine soon)\b"),
            _p(near(_ENGINE, LAMP, 1)),
            _p(near(r"check engine|check engin|engine warning|engine management", STATE, 3)),
            _p(r"\b(?:motorkontroll|motorwarn|motorstorung)\w*\b"),
            _p(rf"\bmotor\w*{_DE_LAMP}\b"),
            _p(
                r"\b(?:voyant|temoin) (?:du |de |d )?(?:moteur|gestion moteur|anomalie moteur"
                r"|pollution|injection)\b"
            ),
            _p(r"\b(?:luz|testigo|piloto) (?:del |de |de la )?(?:motor|check engine|averia)\b"),
            _p(r"\bspia (?:del |dell )?motore\b"),
        ),
        flashing="Flashing: misfires bad enough to overheat and ruin the catalytic converter "
        "(a fire risk). Ease off, slow down and stop safely; if it keeps flashing, have it "
        "towed rather than driven.",
        flashing_severity=Severity.STOP,
        exclude=re.compile(r"\b(?:check engine oil|engine oil|engine bay light|hood light)\b"),
    ),
    WarningLight(
        "esc",
        "Stability / traction control (ESC)",
        "A car with two wavy skid lines behind it (with OFF when switched off)",
        {Colour.AMBER: Severity.SOON},
        "Steady: stability or traction control is switched off, or has a fault (often one "
        "that also lit the ABS or check-engine light).",
        "Steady: press the ESC/traction button to turn it back on; if it stays on, drive "
        "carefully, especially on wet or icy roads, and have it checked soon.",
        (
            _p(
                near(
                    r"esc|esp|traction control|traction|stability control|stability|vsc|vdc|dsc"
                    r"|asr|trac off|trac|tcs|skid control|stabilitatskontrolle|antipatinage"
                    r"|controle de (?:traction|stabilite)|control de (?:traccion|estabilidad)"
                    r"|antideslizamiento",
                    ON,
                    3,
                )
            ),
            _p(
                r"\bcar (?:with|and) (?:two |2 |some )?(?:squiggly|squiggle|wavy|curvy|curly|s|"
                r"skid|swerv\w*|zig ?zag) (?:lines|marks|tracks)\b"
            ),
            _p(r"\b(?:squiggly|wavy|skid) (?:lines|marks) (?:behind|under) (?:a |the )?car\b"),
            _p(r"\bcar (?:skidding|sliding|swerving) (?:symbol|light|icon)\b"),
            _p(r"\bschleuder\w*(?:leuchte|symbol|auto)\b|\bvoiture qui glisse\b"),
        ),
        flashing="Flashing while driving: the system is working, catching a skid or "
        "wheelspin. Ease off the accelerator and drive to the grip.",
        flashing_severity=Severity.MONITOR,
    ),
    WarningLight(
        "glow_plug",
        "Glow plug (diesel pre-heat)",
        "A coiled wire, like a spring or a pigtail",
        {Colour.AMBER: Severity.MONITOR},
        "On at start-up: the glow plugs of a diesel engine are heating the cylinders.",
        "Wait until it goes out before starting the engine, especially when it is cold.",
        (
            _p(
                near(
                    r"glow ?plugs?|glowplugs?|pre ?heat\w*|coil|coils|spring|pigtail|spiral"
                    r"|curly (?:line|wire)|vorgluh\w*|vorgluehen|gluhkerze\w*|gluehkerze\w*"
                    r"|prechauffage|bougies? de prechauffage|precalentamiento|calentadores"
                    r"|candelette",
                    LAMP,
                    2,
                )
            ),
            _p(r"\b(?:vorgluh|vorglueh)\w*\b"),
        ),
        flashing="Flashing or coming on while driving: an engine-management fault (on some "
        "cars a glow-plug or particulate-filter fault); the engine may limit its power. "
        "Have it read soon.",
        flashing_severity=Severity.SOON,
        exclude=re.compile(r"\b(?:ignition coil|coil pack|coil springs?|spring break\w*)\b"),
    ),
    WarningLight(
        "dpf",
        "Diesel particulate filter (DPF)",
        "A box (the filter) with dots inside, between two pipes",
        {Colour.AMBER: Severity.SOON},
        "The soot filter in the exhaust is filling up and needs to burn it off (regenerate).",
        "Drive for 15-20 minutes at a steady speed above about 60 km/h (40 mph), on a main "
        "road, so it can regenerate. If the light stays on or the check-engine light joins "
        "it, have it seen soon: a blocked filter leads to limp mode and costly repairs.",
        (
            _p(
                near(
                    r"dpf|fap|particulate filter|particle filter|\w*partikelfilter"
                    r"|filtre a particules|filtro de particulas|filtro antiparticolato"
                    r"|box with dots|filter with dots",
                    ON,
                    3,
                )
            ),
        ),
    ),
    WarningLight(
        "adblue",
        "AdBlue / DEF",
        "A fluid can with a drop and wavy lines, or the word AdBlue or DEF",
        {Colour.AMBER: Severity.SOON, Colour.RED: Severity.SOON},
        "The diesel exhaust fluid (AdBlue, DEF) is low, or the SCR system has a fault.",
        "Refill with AdBlue/DEF soon (never into the fuel tank). Ignored, the car will limit "
        "its speed or refuse to restart once the range shown reaches zero, as EU and US "
        "emissions rules require.",
        (
            _p(near(r"adblue|ad blue|diesel exhaust fluid|urea|arla|scr", ON, 3)),
            _p(r"\b(?:def|low def|def level) (?:light|warning|lamp|symbol|message)\b"),
        ),
        usual=Colour.AMBER,
    ),
    WarningLight(
        "water_in_fuel",
        "Water in fuel",
        "A fuel pump or filter with drops under it",
        {Colour.AMBER: Severity.SOON},
        "The water separator of the diesel fuel filter is full of water.",
        "Have the water drained from the fuel filter soon (it has a drain screw): water "
        "reaching the injection system damages it.",
        (
            _p(
                near(
                    r"water in (?:the )?(?:fuel|diesel)|water separator|wasser im (?:diesel"
                    r"|kraftstoff)|eau dans le gazole|agua en el (?:combustible|gasoil|diesel)",
                    ON,
                    3,
                )
            ),
        ),
    ),
    WarningLight(
        "ev_system",
        "EV / hybrid system",
        "A car with an exclamation mark, or a message such as 'Check hybrid system'",
        {Colour.RED: Severity.STOP, Colour.AMBER: Severity.SOON},
        "The high-voltage drive system (battery, motor, inverter or charging) has a fault.",
        "Red: stop safely, switch off and call the maker's roadside assistance. Amber: drive "
        "gently to a dealer soon. If there is smoke, hissing or a sweet chemical smell from "
        "the battery, get everyone out and call the emergency number.",
        (
            _p(
                near(
                    r"ev system|hybrid system|check hybrid|check ev|high voltage|hv battery"
                    r"|hv system|electric (?:drive|powertrain|system)|powertrain fault"
                    r"|hochvolt\w*|hybridsystem|systeme hybride|sistema hibrido",
                    ON,
                    3,
                )
            ),
            _p(r"\b(?:check|service) (?:hybrid|ev|electric) (?:system|vehicle)\b"),
            _p(r"\bcar (?:symbol |icon )?with (?:an )?exclamation\w*\b"),
            _p(
                near(
                    r"(?:hv |ev |traction |high voltage |drive )?batter(?:y|ies) (?:overheat\w*"
                    r"|over heating|temp\w*|too hot)|akku (?:zu heiss|uberhitzt|temperatur)",
                    LAMP,
                    2,
                )
            ),
        ),
        usual=Colour.RED,
    ),
    WarningLight(
        "reduced_power",
        "Reduced power (tortoise / turtle)",
        "A tortoise or turtle",
        {Colour.AMBER: Severity.SOON},
        "The car is limiting its power: on an EV or hybrid the battery is nearly empty, too "
        "hot or too cold, or has a fault; on a petrol or diesel car the engine is in limp mode.",
        "Leave fast roads and get to a safe place soon: you may not keep up with traffic. "
        "On an EV, charge as soon as you can; if the charge is not low, have the fault read.",
        (
            _p(
                near(
                    r"tortoise|turtle|schildkrote\w*|schildkroete\w*|tortue|tortuga|tartaruga"
                    r"|schildpad",
                    alternation(ON, r"mode|modus|mode|modo|sign|shaped|appeared|showing"),
                    3,
                )
            ),
            _p(
                r"\b(?:reduced power|limp mode|limp home|power (?:is )?limited|propulsion power "
                r"(?:is )?reduced|leistung reduziert|notlauf\w*|mode degrade|puissance reduite"
                r"|modo de emergencia|potencia reducida)\b"
            ),
        ),
        exclude=re.compile(r"\bturtle wax\b|\bturtlewax\b"),
    ),
    WarningLight(
        "transmission_temperature",
        "Transmission temperature",
        "A gear wheel with a thermometer inside",
        {Colour.AMBER: Severity.SOON, Colour.RED: Severity.STOP},
        "The automatic transmission fluid is too hot (towing, long climbs, slipping "
        "clutches) or the transmission has a fault.",
        "Stop safely and let it idle in Park for a few minutes to cool (or switch off if the "
        "manual says so). Drive on gently once it goes out; if it keeps coming back, have the "
        "fluid and the transmission checked.",
        (
            _p(
                near(
                    r"transmission (?:temp\w*|overheat\w*|hot|fluid temp\w*)|trans temp"
                    r"|atf (?:temp\w*|overheat\w*|hot)|cvt (?:temp\w*|overheat\w*|hot)"
                    r"|gearbox (?:temp\w*|overheat\w*|hot)|at oil temp|getriebe\w*"
                    r"|boite de vitesses|caja de cambios",
                    LAMP,
                    2,
                )
            ),
            _p(r"\b(?:gear|cog)(?: wheel)? with (?:a )?thermometer\b"),
        ),
        usual=Colour.AMBER,
    ),
    WarningLight(
        "master_warning",
        "Master warning",
        "A triangle with an exclamation mark",
        {Colour.AMBER: Severity.SOON, Colour.RED: Severity.STOP},
        "A general warning: the car is showing a message on its display, often together "
        "with another light.",
        "Read the message on the instrument display. Red: stop safely and look it up; "
        "amber: have it checked soon.",
        (
            _p(
                r"\b(?:triangle (?:with|and) (?:an )?exclamation\w*|exclamation (?:mark |point )?"
                r"(?:in|inside) (?:a |the )?triangle|master warning|triangle exclamation)\b"
            ),
        ),
        usual=Colour.AMBER,
    ),
    WarningLight(
        "low_fuel",
        "Low fuel",
        "A fuel pump",
        {Colour.AMBER: Severity.MONITOR},
        "The fuel is low. Most cars then have some 50 km (30 miles) or more left, but it "
        "varies: check the range display.",
        "Refuel soon. Running the tank dry can damage the fuel pump, and a diesel may then "
        "need its fuel system bled.",
        (
            _p(
                r"\b(?:low fuel|fuel light|gas light|petrol light|reserve light|fuel warning"
                r"|tankleuchte|tankanzeige leuchtet|reservelampe|voyant (?:de )?(?:carburant"
                r"|reserve|essence)|luz (?:de )?(?:reserva|gasolina|combustible))\b"
            ),
            _p(r"\b(?:fuel|gas|petrol) pump (?:symbol|light|icon)\b"),
        ),
        exclude=re.compile(
            r"\b(?:gas lights? up|fuel pump (?:relay|fuse)|water in (?:the )?(?:fuel|diesel)"
            r"|water separator|wasser im (?:diesel|kraftstoff)|eau dans le gazole"
            r"|agua en el (?:combustible|gasoil|diesel))\b"
        ),
    ),
)

LIGHTS: Mapping[str, WarningLight] = MappingProxyType({light.id: light for light in _LIGHTS})
_ORDER = {light.id: n for n, light in enumerate(_LIGHTS)}

VOCABULARY = Vocabulary.from_patterns(
    [p.regex.pattern for light in _LIGHTS for p in light.patterns] + [LAMP, STATE],
    extra=("flashing", "blinking", "flickering", "steady", "yellow", "amber", "orange"),
)


# ---------------------------------------------------------------- finding lights


@dataclass(frozen=True)
class LightMatch:
    """A light found in a message, with the colour and state the driver described."""

    light: WarningLight
    colour: Colour | None  # as described; None when the message did not say
    flashing: bool | None  # True flashing, False steady, None not said

    @property
    def severity(self) -> Severity:
        """How urgent this light is, as described."""
        return self.light.severity(self.colour, self.flashing)

    @property
    def colour_line(self) -> str:
        """The colour, and what that colour means for this light."""
        if self.colour is not None:
            meaning = COLOUR_MEANING[self.colour]
            if self.colour not in self.light.colours:
                normal = " or ".join(c.value for c in self.light.colours)
                return (
                    f"You said {self.colour.value}; this light is normally {normal}. "
                    f"By the colour rule, {meaning}."
                )
            return f"{meaning[:1].upper()}{meaning[1:]} (as you described it)."
        shown = "; ".join(COLOUR_MEANING[colour] for colour in self.light.colours)
        line = f"{shown[:1].upper()}{shown[1:]}."
        if self.light.usual is not None and len(self.light.colours) > 1:
            line += f" Colour not given: taken as {self.light.usual.value}, the usual one."
        return line

    def to_dict(self) -> dict[str, object]:
        """The match as JSON-able data: the light, the colour and state, the severity."""
        return {
            **self.light.to_dict(),
            "described_colour": self.colour.value if self.colour else None,
            "described_flashing": self.flashing,
            "severity": self.severity.value,
            "severity_label": self.severity.label,
        }


@dataclass(frozen=True)
class _Hit:
    light: WarningLight
    start: int
    end: int
    weight: int


# A light named again and again (a pasted log) needs no more than its first few places.
_HITS_PER_PATTERN = 3


def _hits(prepared: Prepared) -> list[_Hit]:
    hits = []
    for light in _LIGHTS:
        for pattern in light.patterns:
            kept = 0
            for found in pattern.regex.finditer(prepared.text):
                if kept == _HITS_PER_PATTERN:
                    break
                start, end = found.span()
                if prepared.negated(start) or _switched_off(prepared.text, end):
                    continue
                context = prepared.around(start, end)
                if pattern.requires is not None and not pattern.requires.search(context):
                    continue
                if light.exclude is not None and light.exclude.search(context):
                    continue
                hits.append(_Hit(light, start, end, pattern.weight))
                kept += 1
    return hits


_OFF_AFTER = re.compile(
    r"^ (?:is|was|stays|stayed) (?:not|never|n t|off)\b|^ (?:is|was) n t on\b"
    r"|^ (?:never|did not|didn t|did n t|doesn t|does not) (?:come|came|turn|go) on\b"
    r"|^ (?:is|was) off\b"
)


def _switched_off(text: str, end: int) -> bool:
    """Whether the words right after a light say it is not on ("the oil light is not on")."""
    return bool(_OFF_AFTER.match(text[end : end + 40]))


def _nearest(regex: re.Pattern[str], prepared: Prepared, hit: _Hit) -> re.Match[str] | None:
    """The match of ``regex`` nearest to the hit, inside it or within a few words of it."""
    before = prepared.words_before(hit.start, 4)
    lo = hit.start - len(" ".join(before)) - 1 if before else hit.start
    after = prepared.words_after(hit.end, 5)
    hi = hit.end + len(" ".join(after)) + 1
    best, best_distance = None, None
    for found in regex.finditer(prepared.text, lo, hi):
        if found.start() >= hit.start and found.end() <= hit.end:
            distance = 0
        elif found.end() <= hit.start:
            distance = hit.start - found.end()
        else:
            distance = found.start() - hit.end + 1  # after: slightly behind "before"
        if best_distance is None or distance < best_distance:
            best, best_distance = found, distance
    return best


def _colour_of(prepared: Prepared, hit: _Hit) -> Colour | None:
    found = _nearest(_COLOUR, prepared, hit)
    if found is None or found.lastgroup is None:
        return None
    return Colour(found.lastgroup)


def _flashing_of(prepared: Prepared, hit: _Hit) -> bool | None:
    flashing = _nearest(FLASHING, prepared, hit)
    steady = _nearest(STEADY, prepared, hit)
    if flashing is not None and not prepared.negated(flashing.start()):
        return True
    if steady is not None:
        return False
    return None


def _settle(group: list[_Hit], colour: Colour | None) -> _Hit:
    """Pick one light among look-alikes matched at the same place.

    The colour decides first (a yellow oil can is the level light); then the words (an
    "oil pressure light" is the pressure one); then the registry order, which puts the
    more urgent look-alike first, so an unclear description gets the safer answer.
    """
    if colour is not None and any(colour in hit.light.colours for hit in group):
        group = [hit for hit in group if colour in hit.light.colours]
    return min(group, key=lambda hit: (-hit.weight, _ORDER[hit.light.id]))


def find_warning_lights(text: str) -> list[LightMatch]:
    """Find the dashboard lights a message describes, in order of appearance.

    Returns one ``LightMatch`` per light (a light described twice is one match), with
    the colour and flashing state read from the words around it. Look-alikes (oil
    pressure vs oil level, coolant temperature vs level) are settled by colour, then by
    the words used, then in favour of the more urgent one. Never raises.
    """
    prepared = Prepared.of(text, VOCABULARY)
    hits = sorted(_hits(prepared), key=lambda hit: (hit.start, -hit.weight))
    chosen: list[tuple[_Hit, Colour | None]] = []
    used: set[int] = set()  # ids of hits already settled
    for hit in hits:
        if id(hit) in used:
            continue
        group = [hit]
        if hit.light.family is not None:
            group += [
                other
                for other in hits
                if other is not hit
                and other.light.family == hit.light.family
                and other.start < hit.end
                and hit.start < other.end
            ]
        used.update(id(other) for other in group)
        colour = _colour_of(prepared, hit)
        chosen.append((_settle(group, colour), colour))
    matches: dict[str, LightMatch] = {}
    for hit, colour in chosen:
        if hit.light.id in matches:
            if matches[hit.light.id].colour is None and colour is not None:
                matches[hit.light.id] = LightMatch(
                    hit.light, colour, matches[hit.light.id].flashing
                )
            continue
        matches[hit.light.id] = LightMatch(hit.light, colour, _flashing_of(prepared, hit))
    return list(matches.values())


def explain_warning_light(
    description: str, colour: str | None = None, flashing: bool | None = None
) -> dict[str, object]:
    """Answer the ``explain_warning_light`` tool: the lights a description matches.

    ``colour`` (red, amber, yellow, green, blue, white) and ``flashing`` override what
    the description says. Returns ``{"found": True, "lights": [...]}`` (at most 3, each
    ``LightMatch.to_dict()``), or ``{"found": False, "note", "known_lights"}``. Raises
    ValueError for a colour it does not know.
    """
    override = None
    if colour:
        named = {"yellow": "amber", "orange": "amber"}.get(colour.lower(), colour.lower())
        try:
            override = Colour(named)
        except ValueError:
            known = ", ".join(c.value for c in Colour)
            raise ValueError(f"unknown colour '{colour}'; use one of {known}") from None
    matches = find_warning_lights(description)
    if not matches:
        # A bare shape ("red oil can") still has to land; try it as a light.
        matches = find_warning_lights(f"{description} light")
    if not matches:
        return {
            "found": False,
            "note": "No dashboard light matched that description. Ask the user for the "
            "symbol's shape and colour, and whether it is flashing.",
            "known_lights": [f"{light.name}: {light.symbol}" for light in _LIGHTS],
        }
    results = []
    for match in matches[:3]:
        match = LightMatch(
            match.light,
            override or match.colour,
            match.flashing if flashing is None else flashing,
        )
        results.append(match.to_dict())
    return {"found": True, "lights": results}
