"""The red-flag triage set: messages labelled "stop safely now" or not.

Positives describe a safety-critical symptom happening now (brake failure, steering
loss, smoke or fire, a fuel smell or leak, overheating, lost oil pressure, a failing
wheel or tire, a stuck accelerator, exhaust fumes inside, an EV battery in trouble, an
airbag light after a crash, a stop-level warning light). Negatives are the questions
that share their words and must not raise the alarm: maintenance ("how often should I
change brake fluid"), mild symptoms ("my brake pads squeal a bit"), shop talk ("smoke
machine test for EVAP leak"), and denials ("no smoke, no warning lights").

Each positive names the category automotive.triage should give it. bench/red_flags.py
prints recall and the false-alarm rate over the set; tests/unit/test_triage.py holds
them to floors. The rules were tuned on ``POSITIVES`` and ``NEGATIVES``, so their figures
are an upper bound; ``HELD_OUT`` was written at the same time but never tuned on, and the
benchmark prints it apart.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RedFlagMessage:
    text: str
    red_flag: bool
    category: str | None = None  # the expected triage category (positives)
    language: str = "en"
    note: str = ""


def _stop(text: str, category: str, language: str = "en", note: str = "") -> RedFlagMessage:
    return RedFlagMessage(text, True, category, language, note)


def _fine(text: str, language: str = "en", note: str = "") -> RedFlagMessage:
    return RedFlagMessage(text, False, None, language, note)


POSITIVES = (
    # brakes
    _stop("brake pedal goes to the floor", "brake_failure"),
    _stop("My brake pedal sank all the way to the floor at a stop sign", "brake_failure"),
    _stop("Brake pedal feels spongy and sinks to the floor at red lights", "brake_failure"),
    _stop("I have no brakes!!", "brake_failure"),
    _stop("brakes just failed on the highway, what do I do", "brake_failure"),
    _stop(
        "my breaks arent working properly, pedal goes to the flor",
        "brake_failure",
        note="typos: breaks, flor",
    ),
    _stop("lost my brakes coming down the mountain", "brake_failure"),
    _stop("brakes stopped working and the car wont stop", "brake_failure"),
    _stop("Bremspedal fällt durch bis zum Boden", "brake_failure", "de"),
    _stop("Meine Bremsen funktionieren nicht mehr!", "brake_failure", "de"),
    _stop("Je n'ai plus de freins, la pédale s'enfonce", "brake_failure", "fr"),
    _stop("Me quedé sin frenos en la autopista", "brake_failure", "es"),
    _stop("los frenos no funcionan, el pedal se va al fondo", "brake_failure", "es"),
    _stop("the brake light is on and the pedal goes to the floor", "brake_failure"),
    _stop("my brakes are spongy and the pedal sinks", "brake_failure"),
    _stop("brake pedal sinks", "brake_failure"),
    _stop("soft brake pedal", "brake_failure"),
    _stop("spongy brakes", "brake_failure"),
    _stop("brakes feel soft", "brake_failure"),
    _stop("car won't stop", "brake_failure"),
    _stop(
        "red BRAKE light and the pedal goes to the floor",
        "brake_failure",
        note="brake failure first, the red brake light card after",
    ),
    # brakes overheating on a descent
    _stop("brakes overheating on a long downhill", "brake_fade"),
    # red brake light
    _stop("red brake warning light came on while driving", "brake_warning"),
    _stop("red exclamation mark in a circle on the dash", "brake_warning"),
    _stop("the (!) light is on and the parking brake is off", "brake_warning"),
    # steering
    _stop("steering suddenly went heavy on the motorway", "steering_loss"),
    _stop("I lost steering while driving, the wheel won't turn", "steering_loss"),
    _stop("stearing locked up while I was driving", "steering_loss", note="typo: stearing"),
    _stop("red steering wheel with exclamation mark light came on", "steering_loss"),
    _stop("Die Lenkung ist plötzlich blockiert während der Fahrt", "steering_loss", "de"),
    _stop("la direction est bloquée en roulant", "steering_loss", "fr"),
    _stop("no puedo girar el volante mientras conduzco", "steering_loss", "es"),
    # smoke and fire
    _stop("smoke coming from under the hood", "fire"),
    _stop("there's smoke pouring out of my dashboard vents", "fire"),
    _stop("my car is on fire", "fire"),
    _stop("flames under the engine!!", "fire"),
    _stop("smell of burning plastic and smoke from the dash", "fire"),
    _stop("smokee comming from the engine bay", "fire", note="typos: smokee, comming"),
    _stop("Rauch kommt aus dem Motorraum", "fire", "de"),
    _stop("Es qualmt unter der Motorhaube", "fire", "de"),
    _stop("de la fumée sort du capot", "fire", "fr"),
    _stop("sale humo del motor", "fire", "es"),
    _stop("el coche está en llamas", "fire", "es"),
    # fuel
    _stop("strong smell of gas inside the car", "fuel_leak"),
    _stop("I can smell petrol in the cabin while driving", "fuel_leak"),
    _stop("fuel is dripping from under the car", "fuel_leak"),
    _stop("puddle of gasoline under my truck and it reeks of fuel", "fuel_leak"),
    _stop("Es riecht stark nach Benzin im Auto", "fuel_leak", "de"),
    _stop("forte odeur d'essence dans la voiture", "fuel_leak", "fr"),
    _stop("hay olor a gasolina dentro del coche", "fuel_leak", "es"),
    # overheating
    _stop("temperature gauge in the red and steam from the hood", "overheating"),
    _stop("engine overheating, temp needle at H", "overheating"),
    _stop("steam coming out from the engine and the temp is high", "overheating"),
    _stop("car is overheeting in traffic", "overheating", note="typo: overheeting"),
    _stop("coolant is boiling in the reservoir", "overheating"),
    _stop("red thermometer light came on", "overheating"),
    _stop("Motor überhitzt, Temperaturanzeige im roten Bereich", "overheating", "de"),
    _stop("le moteur surchauffe et il y a de la vapeur sous le capot", "overheating", "fr"),
    _stop("temperature gauge is going up", "overheating"),
    _stop("temp gauge climbing", "overheating"),
    _stop("Kühlmittelleuchte blinkt", "overheating", "de"),
    # fire risk from a glowing exhaust part
    _stop("the catalytic converter is glowing red", "fire"),
    # transmission overheating: not the engine-coolant advice
    _stop("transmission overheating while towing", "transmission_overheating"),
    _stop("my automatic gearbox is overheating", "transmission_overheating"),
    _stop("gearbox overheating light", "transmission_overheating"),
    _stop("ATF temp warning", "transmission_overheating"),
    _stop("el motor se está sobrecalentando", "overheating", "es"),
    # oil pressure
    _stop("oil pressure light came on", "oil_pressure"),
    _stop("Oil pressure light comes on at idle once the engine is hot", "oil_pressure"),
    _stop("red oil can light on the dashboard", "oil_pressure"),
    _stop("low oil pressure warning while driving", "oil_pressure"),
    _stop("oil presure light flickering", "oil_pressure", note="typo: presure"),
    _stop("Öldruckkontrollleuchte leuchtet rot", "oil_pressure", "de"),
    _stop("le voyant de pression d'huile s'est allumé", "oil_pressure", "fr"),
    _stop("se encendió la luz de presión de aceite", "oil_pressure", "es"),
    _stop("Spia dell'olio accesa sulla mia Fiat Panda", "oil_pressure", "it"),
    _stop("oil pressure gauge drops to zero", "oil_pressure"),
    _stop("oil pressure reads 0", "oil_pressure"),
    _stop("oil presure lite on", "oil_pressure", note="typos: presure, lite"),
    # flashing engine light
    _stop("yellow engine light flashing", "engine_light"),
    _stop("Is it safe to drive with P0301 and a flashing check engine light?", "engine_light"),
    _stop("check engine light blinking and the car shakes", "engine_light"),
    _stop("Motorkontrollleuchte blinkt", "engine_light", "de"),
    _stop("le voyant moteur clignote", "engine_light", "fr"),
    _stop("la luz del motor parpadea", "engine_light", "es"),
    _stop("chek engin lite flashin", "engine_light", note="typos: chek, engin, lite, flashin"),
    # wheels and tires
    _stop("my tire blew out on the freeway", "wheel_tire"),
    _stop("wheel is wobbling and I think the lug nuts are loose", "wheel_tire"),
    _stop("big bulge on the sidewall of my front tire", "wheel_tire"),
    _stop("Reifen geplatzt auf der Autobahn", "wheel_tire", "de"),
    # accelerator
    _stop("gas pedal is stuck and the car keeps accelerating", "stuck_accelerator"),
    _stop("the car accelerates by itself", "stuck_accelerator"),
    # exhaust fumes
    _stop("exhaust fumes coming into the cabin, I feel dizzy", "exhaust_fumes"),
    _stop("my CO detector went off in the car", "exhaust_fumes"),
    # EV
    _stop("the EV battery is hissing and smoking", "ev_fault"),
    _stop("red car with exclamation mark on my hybrid's dash", "ev_fault"),
    _stop("battery overheating warning on my Leaf", "ev_fault"),
    # red brake light in Spanish
    _stop("luz de frenos encendida", "brake_warning", "es"),
    # airbag after a crash
    _stop("airbag light came on after a minor accident", "airbag_after_crash"),
    _stop("got rear ended yesterday and now the SRS light is on", "airbag_after_crash"),
    _stop("Airbag-Leuchte leuchtet nach dem Unfall", "airbag_after_crash", "de"),
)

NEGATIVES = (
    # brakes
    _fine("how often should I change brake fluid"),
    _fine("my brake pads squeal a bit"),
    _fine("My brakes squeal in the morning"),
    _fine("squealing when braking"),
    _fine("DOT 3 vs DOT 4 brake fluid, can I top up with either?"),
    _fine("How to bleed brakes by myself"),
    _fine("Can I replace brake pads without changing the rotors?"),
    _fine("my brake lights are not working, is it the bulb or the fuse?"),
    _fine("cluch pedal goes to the flor", note="the clutch, not the brakes"),
    _fine("Car pulls to the right when I brake hard"),
    _fine("Wann müssen die Bremsbeläge gewechselt werden?", "de"),
    _fine("¿Cada cuánto se cambia el líquido de frenos?", "es"),
    _fine("how to prevent brake failure"),
    # steering
    _fine("Steering wheel vibrates between 60 and 70 mph"),
    _fine("stearing wheel shakes at hi speed"),
    _fine("steering wheel locked and the key won't turn"),
    _fine("Jeep death wobble after hitting a pothole"),
    _fine("power steering fluid or ATF in a 2004 Civic?"),
    # smoke and fire
    _fine("smoke machine test for EVAP leak"),
    _fine("Blue smoke from the exhaust on startup"),
    _fine("white smoke from the exhaust on cold mornings, normal?"),
    _fine("how do I get rid of cigarette smoke smell in a used car"),
    _fine("engine fires right up but dies after a second"),
    _fine("P0300 random misfire on my Accord"),
    _fine("should I keep a fire extinguisher in the car?"),
    _fine(
        "I passed a car on fire on the highway, anyway what oil for a Civic",
        note="someone else's car",
    ),
    _fine("Weißer Rauch aus dem Auspuff beim Kaltstart", "de"),
    _fine("fumée bleue à l'échappement au démarrage", "fr"),
    # fuel
    _fine("Check engine light came on right after I filled up with gas"),
    _fine("car smells like gas after filling up, I spilled some"),
    _fine("how much gas does a V8 burn per 100 miles"),
    _fine("gas mileage dropped after winter tires"),
    _fine("AC gas leak, how much to recharge?"),
    _fine("egzost smells like roten eggs"),
    _fine("can a loose gas cap cause a fuel smell?"),
    _fine("¿Cuál es el mejor combustible para mi coche?", "es"),
    # overheating
    _fine("Temperature gauge climbs in traffic but is fine on the highway"),
    _fine("how to prevent overheating when towing a trailer"),
    _fine("AC blows warm air on the passenger side only"),
    _fine("what's the normal operating temperature of a Duramax"),
    _fine("heater blows cold air, could it be the thermostat?"),
    _fine("steam cleaning the engine bay, is it safe?"),
    _fine("Can I mix green and orange coolant?"),
    _fine("Do I really need a coolant flush at 100k miles?"),
    _fine("my neighbour's car overheated yesterday"),
    _fine("turbo overheating", note="not the engine coolant: no coolant card"),
    # oil
    _fine("How often should I change the oil with full synthetic 0W-20?"),
    _fine("oil change light is on, how do I reset it"),
    _fine("oil pressure sensor is leaking oil, how hard to replace"),
    _fine("yellow oil can light came on", note="amber: the oil level warning, top up soon"),
    _fine("how do I reset the oil light after an oil change", note="a service reminder"),
    _fine("Welches Öl für einen Golf 7 TDI?", "de"),
    # lights that are not stop-now
    _fine("TPMS light on but all four tires are at 35 psi"),
    _fine("check engin light on", note="steady check-engine light: soon, not stop"),
    _fine("check engine light came on, steady, car drives fine"),
    _fine("ABS and traction control lights on after a wheel bearing change"),
    _fine("Battery light flickers at night when the headlights are on"),
    _fine("tortoise symbol on the dash of my Leaf"),
    _fine("glow plug light stays on for a few seconds when cold"),
    _fine("DPF light came on after short trips"),
    _fine("airbag light stays on after I replaced the seat"),
    _fine("blue temperature light on a cold morning"),
    _fine("Batterieleuchte leuchtet", "de", note="charging light: soon, not stop"),
    _fine("Batteriesymbol leuchtet rot", "de", note="red charging light: soon, not stop"),
    _fine("Motorleuchte gelb", "de", note="steady amber engine light"),
    _fine("tmps light", note="typo: tmps"),
    _fine("water in fuel light"),
    _fine("master warning light on", note="amber unless said"),
    # wheels, tires, misc
    _fine("How to fix a slow leak from a nail in the tread?"),
    _fine("tire presure light keeps comming on"),
    _fine("Tire rotation interval for an AWD car?"),
    _fine("what is a blowout preventer"),
    _fine("my cruise control won't hold speed on hills"),
    _fine("Is a Miata reliable"),
    _fine("no smoke, no warning lights, but the car hesitates"),
    _fine("alternater or batery? car dies wile driving"),
    # other languages: the same words in ordinary questions
    _fine("Wie oft muss die Bremsflüssigkeit gewechselt werden?", "de"),
    _fine("Meine Bremsen quietschen ein bisschen", "de"),
    _fine("Welches Kühlmittel darf ich nachfüllen?", "de"),
    _fine("Reifendruck im Winter erhöhen?", "de"),
    _fine("Quand faut-il changer les plaquettes de frein ?", "fr"),
    _fine("mes freins grincent un peu le matin", "fr"),
    _fine("le chauffage ne chauffe plus", "fr"),
    _fine("quelle pression pour mes pneus ?", "fr"),
    _fine("mis frenos chirrían un poco", "es"),
    _fine("¿Cada cuánto hay que cambiar el aceite?", "es"),
    _fine("el aire acondicionado no enfría", "es"),
    _fine("¿Qué presión deben tener los neumáticos?", "es"),
)

# Written with the rest, never tuned on: the honest check of the figures above.
HELD_OUT = (
    _stop("pedal went to the floor and the brakes barely work", "brake_failure"),
    _stop("I think my car is overheating, there's steam everywhere", "overheating"),
    _stop("smoke from the wheel after braking hard down the hill", "fire"),
    _stop("oil light came on and the engine is knocking", "oil_pressure"),
    _stop("la voiture prend feu !", "fire", "fr"),
    _stop("mis frenos no responden", "brake_failure", "es"),
    _stop("strong fuel smell after the crash", "fuel_leak"),
    _stop("the steering wheel came off in my hands", "steering_loss"),
    _fine("what does the red oil light mean in general?", note="a question about the light"),
    _fine("best brake pads for towing"),
    _fine("engine smokes a bit on startup from the tailpipe"),
    _fine("how hot should coolant get?"),
    _fine("is it normal for brakes to be a bit soft when cold?"),
    _fine("Mein Auto raucht nicht, aber es stinkt", "de"),
)

MESSAGES = POSITIVES + NEGATIVES + HELD_OUT


@dataclass(frozen=True)
class Score:
    """How a classifier did on a group of labelled messages.

    ``misses``: red flags it did not raise, or raised under another category;
    ``false_alarms``: messages it flagged that are not red flags.
    """

    positives: int
    negatives: int
    misses: tuple[RedFlagMessage, ...]
    false_alarms: tuple[RedFlagMessage, ...]

    @property
    def recall(self) -> float:
        """Share of red flags raised with the expected category (1.0 with none to find)."""
        return 1 - len(self.misses) / self.positives if self.positives else 1.0

    @property
    def false_alarm_rate(self) -> float:
        """Share of non-red-flag messages flagged (0.0 with none)."""
        return len(self.false_alarms) / self.negatives if self.negatives else 0.0


def score(messages: tuple[RedFlagMessage, ...], flags_for) -> Score:
    """Score ``flags_for(text) -> list of category ids`` on labelled messages."""
    misses, false_alarms = [], []
    for message in messages:
        found = flags_for(message.text)
        if message.red_flag and message.category not in found:
            misses.append(message)
        elif not message.red_flag and found:
            false_alarms.append(message)
    positives = sum(message.red_flag for message in messages)
    return Score(positives, len(messages) - positives, tuple(misses), tuple(false_alarms))
