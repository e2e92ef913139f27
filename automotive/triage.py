"""Red-flag triage: spot a safety-critical symptom in a message and say "stop safely now".

A message describing brake failure, steering loss, smoke or fire, a fuel smell or leak,
overheating, lost oil pressure, a wheel or tire failing, a stuck accelerator, exhaust
fumes in the cabin, an EV battery in trouble, an airbag light after a crash, or a
dashboard light whose colour and state mean stop, gets a short card before anything
else, with or without a model. The rules are phrase patterns (English with common
typos, German, French, Spanish, and some Italian and Portuguese); their recall and
false-alarm rate on the labelled set in tests/support/red_flag_messages.py are printed
by bench/red_flags.py.

Sources of the advice: owners' manuals and the roadside-assistance clubs' guidance
(AAA, AA, RAC, ADAC) for each emergency; NHTSA's advice for a stuck accelerator; the
colour convention of ISO 2575 / UN ECE R121 for warning lights (see
automotive.warning_lights). No Flask here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from automotive import warning_lights
from automotive.dtc import Severity
from automotive.warning_lights import (
    LightMatch,
    Prepared,
    Vocabulary,
    alternation,
    find_warning_lights,
    near,
)

EMERGENCY = "call the emergency number (112 in Europe, 911 in North America)"


@dataclass(frozen=True)
class RedFlag:
    """A safety-critical situation and what to do about it right now.

    ``warning`` is the stop advice (one or two sentences, shown first); ``steps`` the
    few lines after it. ``lights`` lists the warning lights (ids of
    automotive.warning_lights.LIGHTS) this flag already covers, so their own cards need
    not repeat the stop advice.
    """

    id: str
    label: str
    warning: str
    steps: tuple[str, ...]
    lights: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, object]:
        """The flag as JSON-able data."""
        return {
            "id": self.id,
            "label": self.label,
            "warning": self.warning,
            "steps": list(self.steps),
            "lights": list(self.lights),
        }


# In the order the cards are shown when several apply: danger to life first.
_CATEGORIES = (
    RedFlag(
        "fire",
        "Smoke or fire",
        "Pull over as soon as it is safe, switch the engine off, get everyone out and well "
        f"away from the car, and {EMERGENCY}. Don't open the hood or bonnet.",
        (
            "Leave belongings; stand at least 30 m (100 ft) away, upwind, off the road.",
            "Smoke without flames can still turn into a fire: don't drive on until a "
            "mechanic has found the cause.",
        ),
    ),
    RedFlag(
        "fuel_leak",
        "Fuel smell or leak",
        "Stop somewhere safe, switch the engine off and don't start it again; no smoking "
        "or sparks nearby. Get out and have the car recovered.",
        (
            "A strong fuel smell inside the car, or fuel dripping underneath, is a fire risk.",
            "A faint smell just after refuelling (a spill, a loose cap) is usually harmless; "
            "if it stays, treat it as a leak.",
        ),
    ),
    RedFlag(
        "brake_failure",
        "Brakes failing",
        "Pump the brake pedal, shift to a lower gear (or use strong regenerative braking), "
        "apply the parking brake gradually, steer to a safe place and stop. Don't drive on: "
        "have it towed.",
        (
            "A pedal that sinks to the floor or suddenly goes soft usually means a fluid leak "
            "or a master-cylinder fault.",
            "Use the hazard lights and the horn to warn others.",
        ),
    ),
    RedFlag(
        "brake_warning",
        "Red brake warning light",
        "Check the parking brake is fully released. If the light stays on, stop safely: the "
        "brake fluid may be low or the brake hydraulics faulty. Don't drive on until checked.",
        (
            "With the engine off, check the brake fluid reservoir; a low level means worn pads "
            "or a leak, and a leak means a tow.",
            "If the ABS light is on as well, brake-force distribution may be lost too.",
        ),
        ("brake_system",),
    ),
    RedFlag(
        "brake_fade",
        "Brakes overheating (fade)",
        "Ease off and shift to a lower gear (or a low drive mode, or strong regenerative "
        "braking) so the engine holds the car back, brake firmly in short bursts instead of "
        "riding the pedal, then stop somewhere safe and let the brakes cool for at least 30 "
        "minutes.",
        (
            "Hot brakes grip less and less (fade); on a long downhill pick a low gear at the "
            "top so the brakes stay cool.",
            "Don't pour water on hot brakes, and if the car can be held in Park or in gear, "
            "don't leave the parking brake on hot discs or drums.",
            "If the pedal goes soft or sinks, treat it as brake failure: pump the pedal, apply "
            "the parking brake gradually and have the car towed.",
        ),
    ),
    RedFlag(
        "steering_loss",
        "Steering failing",
        "Hold the wheel firmly with both hands, slow down gently without braking hard, turn "
        "on the hazard lights and stop somewhere safe. Don't drive on: have it towed.",
        (
            "Steering that suddenly goes very heavy usually means the power assistance has "
            "failed (belt, pump or electric motor); steering that goes loose or clunks can mean "
            "a broken joint or track rod.",
        ),
        ("power_steering",),
    ),
    RedFlag(
        "stuck_accelerator",
        "Accelerator stuck",
        "Brake firmly and steadily (don't pump), shift to neutral, steer to a safe place, "
        "stop and switch the engine off. With a push-button start, hold the button for about "
        "3 seconds to switch off while moving.",
        ("Check nothing (a floor mat) is trapping the pedal; don't drive on until it is checked.",),
    ),
    RedFlag(
        "wheel_tire",
        "Wheel or tire failing",
        "Hold the wheel straight, ease off the accelerator without braking hard, and stop "
        "somewhere safe. Don't drive on a wheel that wobbles or a tire that has burst or bulges.",
        (
            "Loose wheel nuts or a bulging sidewall can let go without further warning.",
            "Fit the spare only off the road, away from traffic, or call for help.",
        ),
    ),
    RedFlag(
        "overheating",
        "Engine overheating",
        "Pull over safely and switch the engine off. Never open the radiator or coolant cap "
        "while it is hot: it can spray scalding coolant.",
        (
            "If you must move a short distance first, turn the heater to full hot and the fan "
            "to maximum: it takes heat away from the engine.",
            "Let it cool for at least 30 minutes, then check the coolant level; if it is empty "
            "or steam keeps coming, have it towed.",
            "Driving on while overheating can warp the cylinder head or blow the head gasket.",
        ),
        ("coolant_temperature",),
    ),
    RedFlag(
        "transmission_overheating",
        "Transmission overheating",
        "Stop somewhere safe, put the gear selector in Park (or neutral with the parking "
        "brake on) and let the engine idle for a few minutes so the transmission fluid can "
        "cool. Don't keep towing or climbing while the warning is on.",
        (
            "Some makers say to switch the engine off instead: the owner's manual decides.",
            "Drive on gently once the warning goes out; if it keeps coming back, lighten the "
            "load and have the fluid level and condition checked (dark or burnt-smelling fluid "
            "means damage).",
            "This is the transmission, not the engine's cooling system: the engine-overheating "
            "advice does not apply.",
        ),
        ("transmission_temperature",),
    ),
    RedFlag(
        "oil_pressure",
        "Oil pressure lost",
        "Pull over as soon as it is safe and switch the engine off: without oil pressure the "
        "engine can be ruined within minutes.",
        (
            "After 5 minutes on level ground, check the dipstick and top up if low.",
            "If the level is fine and the light stays on or comes back at idle, don't drive: "
            "have it towed.",
            "An amber oil can (often with a wavy line) is the oil level warning instead: top "
            "up soon.",
        ),
        ("oil_pressure",),
    ),
    RedFlag(
        "engine_light",
        "Flashing engine warning light",
        "Ease off and slow down, and stop safely as soon as you can: a flashing engine light "
        "means misfires bad enough to overheat the catalytic converter (a fire risk) and "
        "damage the engine.",
        (
            "If it keeps flashing after a restart, have it towed; if it goes steady, drive "
            "gently and straight to a garage.",
            "A steady engine light is less urgent: have the code read soon.",
        ),
        ("check_engine",),
    ),
    RedFlag(
        "exhaust_fumes",
        "Exhaust fumes in the car",
        "Open all the windows, stop as soon as it is safe and get out into fresh air. Carbon "
        "monoxide causes headache, dizziness and drowsiness; don't drive on until the exhaust "
        "is checked.",
        (f"If anyone feels unwell or confused, {EMERGENCY}.",),
    ),
    RedFlag(
        "ev_fault",
        "EV or hybrid system fault",
        "Stop safely and switch the car off. If the battery smokes, hisses or pops, get "
        f"everyone out, move well away and {EMERGENCY}: battery fires can restart.",
        ("Don't touch orange high-voltage cables; call the maker's roadside assistance.",),
        ("ev_system",),
    ),
    RedFlag(
        "airbag_after_crash",
        "Airbag warning after a crash",
        "Don't drive the car until it has been inspected: after a crash the airbags may not "
        "work, and hidden damage to steering, brakes, wheels or fuel lines can fail on the road.",
        (
            f"If anyone is hurt, {EMERGENCY}.",
            "Deployed airbags must be replaced along with their crash sensors.",
        ),
        ("airbag",),
    ),
)
CATEGORIES: Mapping[str, RedFlag] = MappingProxyType({flag.id: flag for flag in _CATEGORIES})

# A stop-level light raises the flag of the emergency it signals.
_LIGHT_CATEGORY = {
    "oil_pressure": "oil_pressure",
    "coolant_temperature": "overheating",
    "brake_system": "brake_warning",
    "power_steering": "steering_loss",
    "check_engine": "engine_light",
    "ev_system": "ev_fault",
    "transmission_temperature": "transmission_overheating",
}


# ---------------------------------------------------------------- the phrase rules


@dataclass(frozen=True)
class _Rule:
    category: str
    regex: re.Pattern[str]
    unless: re.Pattern[str] | None = None  # near the match: not an emergency
    requires: re.Pattern[str] | None = None  # somewhere in the message: needed
    subject: re.Pattern[str] | None = None  # just before or in the match: someone else's


def _rule(
    category: str,
    *sources: str,
    unless: str | None = None,
    requires: str | None = None,
    subject: str | None = None,
) -> _Rule:
    def compiled(source: str | None) -> re.Pattern[str] | None:
        return re.compile(source) if source else None

    return _Rule(
        category,
        re.compile(alternation(*sources)),
        compiled(unless),
        compiled(requires),
        compiled(subject),
    )


_FLAMES = (
    r"on fire|caught fire|catch fire|catching fire|car fire|engine fire|flames?|ablaze"
    r"|fire (?:in|under|from|coming|behind|at)|burst into flames"
    r"|brennt|feuer|flammen|en feu|prend feu|pris feu|a pris feu|flammes|incendie"
    r"|fuego|llamas|en llamas|incendio|se incendio|in fiamme|fuoco|pegando fogo|chamas"
)
_SMOKE = (
    r"smoke|smoking|smokes|smoked|smokey|smoky|rauch|raucht|qualm|qualmt|fumee|fume|fumer"
    r"|humo|humea|echa humo|fumo|fumaca|rook"
)
_SMOKE_PLACE = (
    r"hood|bonnet|engine bay|engine compartment|under the hood|the engine|engine is"
    r"|dash|dashboard|vents?|steering column|wheel|wheels|brakes?|battery|wiring|wires"
    r"|fuse box|interior|cabin|behind the glove box|glove box|seat|motorraum|motorhaube|haube"
    r"|armaturenbrett|luftung|lueftung|capot|moteur|tableau de bord|sous le capot|capo|cofre"
    r"|motor|tablero|frenos|freins|bremsen|rueda|roue|cofano|motore|radiator|radiateur"
)
_EXHAUST = (
    r"exhaust|tailpipe|tail pipe|muffler|auspuff|echappement|escape|tubo de escape|scarico"
    r"|smoke machine|smoke test\w*|smoke pen|smoke tester|cigarette\w*|cigar|smoker"
    r"|tobacco|vape|vaping|weed|odou?r|smell (?:of|from) (?:the )?previous|burnout|donut"
)
_FUEL = r"gas|gasoline|petrol|fuel|diesel|benzin|sprit|kraftstoff|essence|carburant|gasoil"
_FUEL += r"|gazole|gasolina|combustible|nafta|benzina|combustivel"
_SMELL = r"smell|smells|smelling|smelt|odou?r|stinks?|stinking|reeks?|reeking|fumes"
_BRAKES = r"brakes?|breaks?|brake pedal|break pedal|braking"
_FLOOR = r"floor|flor|flore|ground|bottom|boden|plancher|fondo|piso|chao"
_TEMP = r"temp|temperature|temp gauge|temperature gauge|gauge|needle|thermometer|temperatur"
_TEMP += r"|temperature moteur|aguja|aiguille|temperatura|nadel|anzeige"
_RED_ZONE = (
    r"in the red|into the red|on the red|at the red|red zone|red line|maxed|maxed out|pegged"
    r"|all the way up|on h|at h|to h|hit h|hits h|on hot|roten bereich|im roten|dans le rouge"
    r"|au rouge|en el rojo|en rojo|al rojo|nel rosso|no vermelho"
)
_CRASH = (
    r"accident|crash|crashed|collision|collided|fender bender|rear ended|t boned|hit a "
    r"(?:car|tree|pole|wall|deer|guard ?rail)|got hit|was hit|unfall|auffahrunfall|zusammenstoss"
    r"|accrochage|choc|collision|choque|chocado|choque|accidente|colision|incidente|batida"
)
_AIRBAG = r"airbags?|air bags?|srs|bolsa de aire|coussin gonflable"
_HYPOTHETICAL = (
    r"prevent\w*|avoid\w*|in case|what if|what to do if|what happens if|tips|how to stop"
    r"|how do i stop|causes? of|what causes"
)
# Somebody else's car, seen or heard about: not this driver's emergency.
_OTHERS = (
    r"neighbou?rs?|neighbou?r s|friend s|someone s|somebody s|passed a|saw a|seen a|see a"
    r"|another car|other car|on the news|in a video|youtube|movie"
)
# Hot, but not the engine: each has its own card (or none).
_NOT_ENGINE = (
    r"transmission|trans|tranny|gearbox|gear box|atf|cvt|getriebe\w*|boite|caja|turbo\w*"
    r"|brakes?|breaks?|braking|batter\w*|akku|phone|laptop|charger|cable|tires?|tyres?"
    r"|seat|seats|dog|baby|kid|kids|passengers?"
)
_TRANSMISSION = (
    r"transmission|trans|tranny|gearbox|gear box|atf|cvt|dsg|automatic|auto box|getriebe\w*"
    r"|automatikgetriebe|boite de vitesses|boite auto\w*|caja de cambios|caja automatica"
    r"|cambio automatico"
)
_TOO_HOT = (
    r"overheat\w*|over heating|too hot|running hot|getting (?:very |really |too )?hot"
    r"|temp\w* (?:warning|light|lamp|alarm|message|high|too high)|uberhitz\w*|ueberhitz\w*"
    r"|zu heiss|surchauff\w*|sobrecalent\w*|recalent\w*"
)
_SOFT = r"spongy|spongey|squishy|mushy|soft|softer|sinks?|sinking|sank|sunk"
# Long past and dealt with: not an emergency now ("overheated last year, then ...").
_PAST = (
    r"last (?:week|month|year|summer|winter|time)|(?:weeks|months|years) ago|was fixed"
    r"|yesterday|the other day"
    r"|got fixed|been fixed|since (?:fixed|repaired)"
)

_RULES = (
    # ---- fire and smoke (not from the exhaust, not a smoke test)
    _rule(
        "fire",
        rf"\b(?:{_FLAMES})\b",
        near(_SMOKE, _SMOKE_PLACE, 4),
        near(_SMOKE, r"burning|fire|flames?|sparks?|melting", 4),
        r"\b(?:burning (?:plastic|rubber|electrical|wires?|wiring)|electrical burning) smell\b",
        r"\bsmell (?:of |like )?(?:burning (?:plastic|rubber|wires?|wiring)|electrical burning)\b",
        r"\b(?:sparks?|sparking|arcing) (?:from|under|behind|in) (?:the )?(?:hood|dash|battery"
        r"|wiring|engine)\b",
        unless=rf"\b(?:{_EXHAUST}|{_PAST}|{_OTHERS}|fire extinguisher|misfire\w*"
        r"|fires? (?:right )?up"
        r"|fired up|firing order|fire it up|smoking hot|looks? fire)\b",
    ),
    # ---- a glowing catalytic converter or manifold sets grass and the underbody alight
    _rule(
        "fire",
        r"\b(?:catalytic converter|catalytic|cat converter|converter|cat|exhaust manifold"
        r"|manifold|turbo\w*|downpipe|katalysator|kat|catalyseur|catalizador|catalisador)"
        r" (?:is |was |are |keeps |started |starts )?(?:glowing|glows|glowed|red hot|white hot"
        r"|gluht|glueht|rougeoie|al rojo)\b",
        unless=rf"\b(?:{_HYPOTHETICAL}|{_OTHERS}|normal|dyno|race|racing|track day)\b",
    ),
    # ---- fuel smell or leak (not the AC's gas, not a spill at the pump)
    _rule(
        "fuel_leak",
        rf"\b(?:{_SMELL}) (?:of |like |strongly of |like raw |of raw )?(?:{_FUEL})\b",
        rf"\b(?:{_FUEL}) (?:{_SMELL})\b",
        rf"\b(?:{_FUEL}) (?:is |was )?(?:leak\w*|dripping|drips|pouring|spraying|pissing|running"
        r" out|gushing|puddl\w*)\b",
        rf"\b(?:leak\w*|dripping|puddle of|drip of|losing) (?:some |raw )?(?:{_FUEL})\b",
        r"\b(?:benzin|diesel|kraftstoff|sprit)geruch\b|\briecht (?:stark )?nach (?:benzin|diesel"
        r"|sprit|kraftstoff)\b",
        r"\b(?:benzin|diesel|kraftstoff|sprit) (?:lauft|tropft|leckt) (?:aus|raus)\b"
        r"|\bverliert (?:benzin|diesel|kraftstoff|sprit)\b",
        r"\b(?:odeur|sent|sens) (?:d |de l |l )?(?:essence|carburant|gasoil|gazole)\b"
        r"|\bfuite (?:d |de )?(?:essence|carburant|gasoil|gazole)\b",
        r"\b(?:olor|huele|olia) (?:a |mucho a |fuerte a )?(?:gasolina|combustible|nafta|diesel)\b"
        r"|\bfuga de (?:gasolina|combustible|nafta|diesel)\b"
        r"|\b(?:pierde|gotea|chorrea) (?:gasolina|combustible|nafta)\b",
        r"\b(?:odore|puzza) di (?:benzina|gasolio)\b|\bcheiro de (?:gasolina|combustivel)\b",
        unless=r"\b(?:after (?:filling|refuel\w*|i filled|getting gas|fill ?up|i got gas)|at the"
        r" pump|spill\w*|spilt|a c|ac|air con\w*|aircon|refrigerant|freon|r134a|klima\w*|gas "
        r"mileage|gas pedal|exhaust gas|gas strut\w*|gas spring\w*|mpg|economy|consumption"
        r"|how much|price|cost|station|nach dem tanken|apres le plein|despues de cargar"
        r"|(?:gas|fuel|petrol|filler|tank) caps?|tankdeckel|bouchon)\b",
    ),
    # ---- brakes failing (not the clutch, not a maintenance question)
    _rule(
        "brake_failure",
        near(_BRAKES, rf"(?:to|on|into|hits?|hitting|touch\w*|near|down to) the (?:{_FLOOR})", 6),
        rf"\b(?:no|lost|lose|losing|lost all|lost my|lost the|without) (?:my |the |all |any )?"
        rf"(?:{_BRAKES})\b(?! (?:light|lights|pads?|fluid|squeal\w*|noise|dust))",
        rf"\b(?:{_BRAKES}) (?:are |is |just |suddenly |completely |totally |have |has )*"
        r"(?:failed|failing|fail|gone|went out|gave out|quit|stopped working|not working|n t "
        r"working|don t work|dont work|do not work|didn t work|did not work|won t work|do nothing"
        r"|doing nothing|barely work\w*|aren t working|isn t working|not responding|went soft"
        r"|went to nothing|let go)\b",
        rf"\b(?:{_BRAKES}) failure\b",
        r"\b(?:can t|cannot|can not|couldn t|won t|wouldn t) (?:stop|slow) (?:the car|the truck"
        r"|it|down)?\b(?= (?:brake|braking|pedal))",
        near(
            _BRAKES,
            r"(?:won t|wont|will not|wouldn t|doesn t|does not|isn t|can t|cannot) (?:stop"
            r"|slow down|stopping)(?! \w+ing)",
            8,
        ),
        r"\bpedal (?:goes|went|sinks|sank|drops|dropped|falls|fell) (?:all the way )?"
        rf"(?:to|into|down to) the (?:{_FLOOR})\b(?=.*\b(?:brake|braking|stop)\b)",
        # de, fr, es, it, pt
        r"\bbrems\w* (?:geht|gehen|funktionier\w*|greift|greifen|reagier\w*) (?:nicht|kaum)\b",
        r"\bbremspedal (?:fallt|faellt|geht|sackt|sinkt) (?:\S+ )?(?:durch|bis zum boden|ins "
        r"leere|nach unten)\b|\bkeine bremswirkung\b|\bbrems\w* (?:versag\w*|ausgefallen|weg)\b"
        r"|\bbremsversagen\b",
        r"\b(?:plus|pas) de freins?\b|\bfreins? (?:ne )?(?:marchent|fonctionnent|repondent|"
        r"freinent) (?:plus|pas)\b|\bpedale de frein (?:s enfonce|va|descend|tombe)\b"
        r"|\bfreins? (?:lachent|ont lache|lache)\b|\bperte de freinage\b",
        r"\b(?:sin|perdi los|perdi el) frenos?\b|\bno tengo frenos?\b|\bfrenos? no "
        r"(?:funcionan?|responden?|frenan?|sirven?)\b|\bpedal (?:de|del) freno se (?:va|fue|hunde"
        r"|hundio|baja|bajo)\b|\b(?:fallo|falla|fallaron) (?:de |los )?frenos?\b",
        r"\bfreni non (?:funzionano|frenano)\b|\bpedale del freno (?:va|affonda)\b"
        r"|\bfreio nao funciona\b|\bfiquei sem freios?\b|\bpedal do freio (?:vai|afunda)\b",
        unless=rf"\b(?:{_HYPOTHETICAL}|clutch|kupplung|embrayage|embrague|frizione|embreagem"
        r"|floor ?mats?"
        r"|floor pan|garage floor|shop floor|floor jack|how often|when should|interval|bleed\w*"
        r"|brake lights?|stop lights?|engine braking|regen\w*|parking brake|hand ?brake"
        r"|e brake|emergency brake|trailer brake\w*|brake controller)\b",
    ),
    # ---- brakes failing, told by the pedal: it sinks, or feels soft or spongy (a brake light
    # may be on too, so these don't share the rule above's "brake lights" exception)
    _rule(
        "brake_failure",
        rf"\bpedal (?:\S+ ){{0,3}}(?:to|into|down to|on|hits?|hitting|touch\w*) the (?:{_FLOOR})\b",
        rf"\bpedal (?:is |feels |felt |goes |went |has |gone |got |getting |keeps |just )*"
        rf"(?:very |really |super |too |all )?(?:{_SOFT}|going down|goes down|drops|dropping)\b",
        rf"\b(?:{_SOFT}) (?:brake|break)s?(?: pedal)?\b",
        rf"\b(?:{_BRAKES}) (?:are |is |feel |feels |felt |went |go |got |getting |have |has |gone "
        rf"|suddenly |very |really |super |too |all )*(?:{_SOFT})\b",
        requires=r"\b(?:brakes?|breaks?|braking|stop|stopping|slow down)\b",
        unless=rf"\b(?:{_HYPOTHETICAL}|{_PAST}|clutch|kupplung|embrayage|embrague|floor ?mats?"
        r"|floor pan|garage floor|shop floor|floor jack|gas pedal|accelerator|throttle|a bit"
        r"|a little|slightly|bit soft|little soft|normal|when cold|bleed\w*|new pads|how often"
        r"|soft close|soft top)\b",
    ),
    # ---- the car itself won't stop (not "won't stop beeping")
    _rule(
        "brake_failure",
        r"\b(?:car|truck|van|vehicle|suv) (?:won t|wont|will not|wouldn t|doesn t|does not"
        r"|can t|cannot|isn t) (?:stop|stopping|slow down|slowing down)(?= *$| (?:and|when|even"
        r"|at all|i|my|properly|in time|quickly|fast|anymore|no|help|what|brake\w*|pedal))",
        unless=rf"\b(?:{_HYPOTHETICAL}|{_OTHERS}|clutch)\b",
    ),
    # ---- brakes overheating on a long descent (fade)
    _rule(
        "brake_fade",
        rf"\b(?:{_BRAKES}) (?:are |is |keep |keeps |started |start |starting |seem |getting )?"
        r"(?:overheat\w*|over heating|too hot|very hot|fading|fade|faded|cooking|cooked)\b",
        r"\bbrake (?:fade|fading|overheat\w*)\b",
        rf"\b(?:overheat\w*|overheated|cooked) (?:the |my )?(?:{_BRAKES})\b",
        r"\bbremsen? (?:uberhitz\w*|ueberhitz\w*|zu heiss|lassen nach)\b|\bfreins? (?:qui )?"
        r"(?:surchauff\w*|chauffent)\b|\bfrenos? (?:sobrecalentad\w*|recalentad\w*|calientes)\b",
        unless=rf"\b(?:{_HYPOTHETICAL}|{_PAST}|{_OTHERS}|normal|track day|brake lights?)\b",
    ),
    # ---- steering failing (not the ordinary steering lock of a parked car)
    _rule(
        "steering_loss",
        r"\b(?:lost|lose|losing|no) (?:my |the |all |power )?steering\b",
        r"\bsteering (?:wheel )?(?:is |has |just |suddenly |completely )*(?:locked|locks|locking"
        r"|seized|jammed|stuck|went out|gave out|failed|gone|stopped working|not working|"
        r"n t working|came off|came loose|went loose|is loose|feels loose|went heavy|went stiff"
        r"|went hard|snapped|broke|broken|not responding|won t turn|doesn t turn)\b",
        r"\b(?:can t|cannot|can not|couldn t|unable to) (?:steer|turn the (?:steering )?wheel)\b",
        r"\bsteering (?:suddenly|all of a sudden) (?:went |became |got |is )?(?:very |really )?"
        r"(?:heavy|stiff|hard|tight)\b|\bsuddenly (?:very |really )?(?:hard|heavy|stiff) to steer"
        r"\b",
        r"\b(?:tie rod|track rod|ball joint|steering (?:column|rack|shaft)) (?:broke|snapped|came"
        r" off|came apart|separated|failed|let go)\b",
        r"\blenkung (?:ist |wird |geht )?(?:plotzlich |ploetzlich |auf einmal )?(?:blockiert"
        r"|ausgefallen|geht nicht|reagiert nicht|fallt aus|faellt aus|klemmt|weg|schwer)\b"
        r"|\bkann nicht (?:mehr )?lenken\b",
        r"\bdirection (?:est )?(?:bloquee|ne repond plus|lache|dure d un coup)\b|\bplus de "
        r"direction\b|\bne peux plus tourner le volant\b",
        r"\bdireccion se (?:bloqueo|trabo|puso dura)\b|\bperdi la direccion\b|\bno puedo "
        r"(?:girar|mover) el volante\b|\bsterzo bloccato\b",
        unless=r"\b(?:key|ignition|won t start|wont start|parked|turn the key|push button|start "
        r"button|zundschloss|schlussel|cle|llave|vibrat\w*|shak\w*|wobble|at low speed|when cold"
        r"|in the morning|game|video|sim)\b",
    ),
    # ---- accelerator stuck, car accelerating by itself
    _rule(
        "stuck_accelerator",
        r"\b(?:accelerator|gas pedal|throttle|accelerator pedal|gas) (?:is |got |gets |was )?"
        r"(?:stuck|jammed|sticking|stuck down|stuck open|stays down|staying down|won t come "
        r"back|doesn t come back|won t return|not returning)\b",
        r"\b(?:car|engine|truck|it) (?:keeps |is |started )?(?:accelerat\w*|revving|revs|racing"
        r"|speeding up|speeds up|runs away|running away) (?:on its own|by itself|itself|"
        r"uncontrollably|and won t (?:stop|slow))\b",
        r"\bunintended acceleration\b|\brunaway (?:engine|diesel|car)\b",
        r"\bgaspedal (?:hangt|haengt|klemmt|bleibt hangen|bleibt haengen)\b|\bbeschleunigt von"
        r" selbst\b|\bpedale d accelerateur (?:bloquee|coincee)\b|\baccelere tout seul\b"
        r"|\bacelerador (?:trabado|pegado|atascado|se quedo pegado)\b|\bacelera solo\b",
        unless=r"\b(?:clutch|cruise control|idle (?:is )?high|high idle|when cold|cold start"
        r"|game)\b",
    ),
    # ---- wheel or tire failing
    _rule(
        "wheel_tire",
        r"\b(?:tire|tyre|tires|tyres|wheel) (?:just |has |had )?(?:blew|blown|blew out|burst"
        r"|exploded|came apart|delaminat\w*|is separating|shredded)\b",
        r"\bblow ?outs?\b|\bblew a (?:tire|tyre)\b|\btread (?:is )?(?:separating|peeling|coming "
        r"off|came off)\b",
        r"\bwheel (?:is |feels |started |keeps )?(?:wobbling|wobbly|loose|came off|coming off"
        r"|fell off|falling off|coming loose|came loose)\b",
        r"\b(?:lug|wheel) (?:nuts?|bolts?) (?:are |were |is )?(?:loose|missing|came off|fell off"
        r"|sheared|snapped|broken)\b",
        r"\b(?:bulge|bubble|lump|egg|blister) (?:on|in) (?:the |my )?(?:side ?wall|tire|tyre)\b"
        r"|\bside ?wall (?:is )?(?:bulg\w*|torn|cut|split)\b",
        r"\breifen (?:ist )?(?:geplatzt|explodiert)\b|\breifenplatzer\b|\brad (?:wackelt|ist "
        r"locker|ist lose)\b|\bradmuttern? (?:locker|lose)\b|\bbeule (?:im|am|in der) (?:reifen"
        r"|flanke|seitenwand)\b",
        r"\bpneu (?:a )?eclate\b|\beclatement (?:du |d un )?pneu\b|\broue (?:se desserre|qui se "
        r"desserre|a du jeu)\b|\becrous (?:de roue )?desserres\b|\bhernie (?:sur|au|dans) "
        r"(?:le |un )?pneu\b",
        r"\b(?:revento|exploto) (?:la |una |el )?(?:llanta|rueda|neumatico|goma|cubierta)\b"
        r"|\breventon\b|\brueda (?:floja|suelta|se esta soltando|se solto)\b|\btuercas "
        r"(?:flojas|sueltas)\b|\b(?:chichon|bulto|burbuja|huevo) en (?:el |la )?(?:neumatico"
        r"|llanta|flanco)\b",
        unless=r"\b(?:death wobble|speed wobble|steering wheel wobbl\w*|balanc\w*|alignment"
        r"|game|fuse blew|blew a fuse|blower|preventers?|drilling|oil well|well|rig|hair\w*"
        r"|sale|sales|what is|what s a)\b",
    ),
    # ---- overheating (the gauge in the red, steam, boiling coolant)
    _rule(
        "overheating",
        r"\b(?:over ?heat\w*|over heating|running (?:very |really )?hot|boil\w* over)\b",
        near(_TEMP, _RED_ZONE, 3),
        rf"\bsteam\w* (?:is )?(?:coming |pouring |billowing |rising |blowing )?(?:out )?"
        rf"(?:from|of|under|out of) (?:the |my )?(?:{_SMOKE_PLACE}|front|engine|radiator)\b",
        r"\b(?:hood|bonnet|engine|radiator|coolant|front) (?:is )?steam\w*\b",
        r"\bsteam\w* and (?:the )?(?:temp\w*|gauge|needle|coolant)\b",
        r"\b(?:coolant|radiator|antifreeze|water) (?:is )?(?:boiling|bubbling|boiled)\b",
        r"\b(?:uberhitz|ueberhitz)\w*\b|\bmotor (?:ist |wird )?(?:zu heiss|kocht)\b|\bkuhlwasser "
        r"kocht\b|\bdampf (?:kommt )?(?:aus|unter) (?:der|dem) (?:motorhaube|motorraum|kuhler)\b",
        r"\bsurchauff\w*\b|\bmoteur (?:qui )?chauffe\b|\bvapeur (?:qui sort )?(?:du|sous le)"
        r" (?:capot|moteur|radiateur)\b|\bliquide de refroidissement (?:qui )?bout\b",
        rf"\b(?:{_TEMP}) (?:gauge |needle )?(?:is |keeps |has been |started |starts |just )?"
        r"(?:going up|goes up|went up|climbing|climbs|climbed|rising|rises|rose|creeping up"
        r"|shooting up|getting high|very high|too high|high|past half|past the middle)\b",
        r"\b(?:sobrecalent|recalent)\w*\b|\bse (?:esta )?calent(?:ando|o|a) (?:mucho|demasiado)"
        r"\b|\bsale vapor\b|\bvapor (?:del|en el|de debajo del) (?:motor|capo|cofre|radiador)\b"
        r"|\bhierve el (?:agua|refrigerante|anticongelante)\b",
        r"\bsurriscald\w*\b|\bsuperaquec\w*\b|\besquentando (?:muito|demais)\b|\bfervendo\b",
        subject=rf"\b(?:{_NOT_ENGINE})\b",
        unless=rf"\b(?:{_HYPOTHETICAL}|{_PAST}|{_OTHERS}|steam clean\w*|ac|a c|air con\w*|seat"
        r"|phone|charger"
        r"|laptop|fuel gauge|gas gauge|battery gauge|fuel needle|tach\w*|rev counter|rpm|cold "
        r"morning|winter morning|cold start|from the exhaust|tailpipe|exhaust|normal|fine"
        r"|then drops|back down|settles|stabili\w*|outside|ambient|oil temp\w*|trans temp\w*)\b",
    ),
    # ---- transmission overheating (its own advice: idle in Park, don't keep towing)
    _rule(
        "transmission_overheating",
        near(_TRANSMISSION, _TOO_HOT, 3),
        unless=rf"\b(?:{_HYPOTHETICAL}|{_PAST}|{_OTHERS}|sensor|normal|what s|what is|cooler"
        r" install\w*|how hot|fine)\b",
    ),
    # ---- oil pressure lost
    _rule(
        "oil_pressure",
        r"\b(?:low|no|lost|losing|lose|zero|dropping|dropped|drop in|loss of) (?:the )?oil "
        r"pressure\b",
        r"\boil pressure (?:is |went |goes |has |keeps )?(?:low|zero|0|gone|lost|dropping|"
        r"dropped|drops|dropping to zero|bottom\w*|nothing)\b",
        r"\boil pressure (?:gauge |needle |reading |light )?(?:is |reads |reading |shows |showing "
        r"|went |goes |drops |dropped |dropping |fell |falls |falling |has |keeps |just |at |to "
        r"|down )*(?:zero|0|nothing|nil|bottom\w*|the bottom)\b",
        r"\b(?:oldruck|oeldruck) (?:zu niedrig|weg|verloren|fallt|faellt|sinkt)\b"
        r"|\bkein (?:oldruck|oeldruck)\b",
        r"\b(?:perte de|plus de|pas de) pression d huile\b|\bpression d huile (?:basse|faible"
        r"|nulle|chute)\b",
        r"\b(?:baja|sin|poca|perdida de) presion de(?:l)? aceite\b|\bpresion de(?:l)? aceite "
        r"(?:baja|cero|nula)\b",
        unless=rf"\b(?:{_HYPOTHETICAL}|sensor|sender|switch|gauge reads? high|high oil pressure)\b",
    ),
    # ---- exhaust fumes in the cabin, carbon monoxide
    _rule(
        "exhaust_fumes",
        r"\b(?:exhaust|fumes|exhaust fumes|exhaust smell) (?:\S+ )?(?:in|inside|into|coming into)"
        r" (?:the )?(?:car|cabin|cab|interior|passenger compartment)\b",
        r"\b(?:smell|smells|smelling) (?:of |like )?exhaust (?:\S+ )?(?:in|inside) (?:the )?"
        r"(?:car|cabin|cab)\b",
        r"\bcarbon monoxide\b|\bco (?:detector|alarm)\b",
        near(r"headache|headaches|dizzy|dizziness|drowsy|nause\w*", r"fumes|exhaust", 5),
        r"\babgas\w* im (?:innenraum|auto|wagen)\b|\bkohlenmonoxid\b|\bodeur d echappement dans"
        r"\b|\bmonoxyde de carbone\b|\bolor a (?:gases de )?escape (?:dentro|en el interior|en "
        r"la cabina)\b|\bmonoxido de carbono\b",
        unless=r"\b(?:detector (?:install|batter\w*)|which detector|buy)\b",
    ),
    # ---- EV / hybrid battery in trouble
    _rule(
        "ev_fault",
        r"\b(?:ev |hv |high voltage |traction |hybrid )?batter(?:y|ies) (?:is |are )?"
        r"(?:smoking|hissing|popping|swelling|swollen|venting|on fire|bulging|crackling)\b",
        r"\b(?:hissing|popping|crackling) (?:sound|noise)s? from (?:the )?(?:battery|floor)\b",
        r"\b(?:ev |hv |high voltage |traction |hybrid |drive )?batter(?:y|ies) (?:is |are |keeps )?"
        r"(?:overheat\w*|over heating|too hot|getting (?:very |too )?hot|temp\w* (?:warning|too "
        r"high|high|alert))\b|\bakku (?:uberhitzt|ueberhitzt|zu heiss)\b",
        r"\bhigh voltage (?:system )?(?:fault|failure|warning|error|isolation fault)\b",
        r"\bakku (?:raucht|zischt|brennt)\b|\bbatterie (?:fume|gonfle)\b|\bbateria (?:echa humo"
        r"|hinchada)\b",
        unless=r"\b(?:phone|laptop|scooter|e ?bike|key fob|fob|remote|vape)\b",
    ),
    # ---- airbag light or deployment after a crash
    _rule(
        "airbag_after_crash",
        near(_AIRBAG, _CRASH, 10),
        r"\bairbags? (?:went off|deployed|popped|blew)\b",
        unless=r"\b(?:recall|takata|replace the clock ?spring|aftermarket seat)\b",
    ),
)

VOCABULARY = Vocabulary.from_patterns(
    [rule.regex.pattern for rule in _RULES],
    extra=warning_lights.VOCABULARY.known,
)


# ---------------------------------------------------------------- triage


def _symptoms(prepared: Prepared) -> set[str]:
    found = set()
    for rule in _RULES:
        if rule.category in found:
            continue
        for match in rule.regex.finditer(prepared.text):
            start, end = match.span()
            if prepared.negated(start):
                continue
            if rule.unless is not None and rule.unless.search(prepared.around(start, end)):
                continue
            if rule.requires is not None and not rule.requires.search(prepared.text):
                continue
            if rule.subject is not None:
                before = " ".join([*prepared.words_before(start, 3), prepared.text[start:end]])
                if rule.subject.search(before):
                    continue
            found.add(rule.category)
            break
    return found


def _light_flag(match: LightMatch) -> RedFlag:
    """The flag for a stop-level light that no emergency category names."""
    light = match.light
    return RedFlag(
        f"light_{light.id}",
        light.title,
        light.action,
        (f"What it means: {light.meaning}",),
        (light.id,),
    )


def find_red_flags(text: str, lights: list[LightMatch] | None = None) -> list[RedFlag]:
    """The safety-critical situations a message describes, most dangerous first.

    ``lights`` are the message's warning lights when the caller has already found them
    (``find_warning_lights``); a light that means stop in the colour and state described
    raises its emergency's flag. Each flag appears once. Never raises.
    """
    prepared = Prepared.of(text, VOCABULARY)
    found = _symptoms(prepared)
    if lights is None:
        lights = find_warning_lights(text)
    extra: list[RedFlag] = []
    for match in lights:
        if match.severity is not Severity.STOP:
            continue
        category = _LIGHT_CATEGORY.get(match.light.id)
        if category is not None:
            found.add(category)
        else:
            extra.append(_light_flag(match))
    flags = [flag for flag in _CATEGORIES if flag.id in found]
    return flags + extra


def is_red_flag(text: str) -> bool:
    """Whether a message describes a safety-critical situation (for the benchmark)."""
    return bool(find_red_flags(text))
