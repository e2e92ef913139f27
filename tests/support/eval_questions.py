"""The staying-on-topic evaluation set: labelled questions, car and off-topic.

Every car question must be answered (never refused by any pre-filter); every off-topic one
may be redirected politely. Each entry also carries the entities the finders must extract
from it -- VINs, trouble codes (uppercase) and tire sizes (as `find_tire_sizes` returns them,
i.e. as written), the dashboard lights `find_warning_lights` names (ids) and whether triage
raises a red flag -- so extraction is checked on the same realistic text.

Entries live in named sections (``SECTIONS``); ``QUESTIONS`` is all of them in order.
The app-level test uses ``car_questions()`` and ``off_topic_questions()``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EvalQuestion:
    text: str
    car: bool
    vins: tuple[str, ...] = ()
    dtcs: tuple[str, ...] = ()
    tires: tuple[str, ...] = ()
    note: str = ""
    lights: tuple[str, ...] = ()  # automotive.warning_lights ids, in order of appearance
    red_flag: bool = False  # automotive.triage says "stop safely now"


def _car(
    text: str,
    *,
    vins: tuple[str, ...] = (),
    dtcs: tuple[str, ...] = (),
    tires: tuple[str, ...] = (),
    note: str = "",
    lights: tuple[str, ...] = (),
    red_flag: bool = False,
) -> EvalQuestion:
    return EvalQuestion(text, True, vins, dtcs, tires, note, lights, red_flag)


def _off(text: str, *, note: str = "") -> EvalQuestion:
    """Off-topic questions carry no car entities (the tests hold them to that)."""
    return EvalQuestion(text, False, note=note)


# North American VIN (first character 1-5) whose ninth character is deliberately wrong:
# the check digit of 1FTFW1ET?DFC10312 is 9, not 5. Still a well-formed VIN to find.
WRONG_CHECK_DIGIT_VIN = "1FTFW1ET5DFC10312"
# A VIN (2HGFC2F55HH512345) with its last character cut off: 16 characters are not a VIN.
TRUNCATED_VIN = "2HGFC2F55HH51234"

SYMPTOMS = (
    _car("my car shakes at idle"),
    _car("squealing when braking"),
    _car("Check engine light came on right after I filled up with gas", lights=("check_engine",)),
    _car("Battery light flickers at night when the headlights are on", lights=("charging",)),
    _car(
        "Oil pressure light comes on at idle once the engine is hot",
        lights=("oil_pressure",),
        red_flag=True,
    ),
    _car("Steering wheel vibrates between 60 and 70 mph"),
    _car("Temperature gauge climbs in traffic but is fine on the highway"),
    _car("Car pulls to the right when I brake hard"),
    _car("Grinding noise when shifting into 2nd gear on my manual"),
    _car("Sweet smell inside the cabin and the windows fog up"),
    _car("Blue smoke from the exhaust on startup"),
    _car("Engine cranks but won't start on cold mornings"),
    _car("AC blows warm air on the passenger side only"),
    _car("TPMS light on but all four tires are at 35 psi", lights=("tpms",)),
    _car("Whining noise that rises with engine RPM"),
    _car("Brake pedal feels spongy and sinks to the floor at red lights", red_flag=True),
    _car("Car hesitates when I floor it from a stop"),
)

TROUBLE_CODES = (
    _car("P0420 code meaning", dtcs=("P0420",)),
    _car("p0171 and p0174 together?", dtcs=("P0171", "P0174")),
    _car("what's U0100", dtcs=("U0100",)),
    _car("got a C0035 on my abs", dtcs=("C0035",)),
    _car("B0001 airbag light", dtcs=("B0001",), lights=("airbag",)),
    _car("P0300 flashing light", dtcs=("P0300",)),
    _car(
        "Is it safe to drive with P0301 and a flashing check engine light?",
        dtcs=("P0301",),
        lights=("check_engine",),
        red_flag=True,
    ),
    _car("Scanner says P0128, is that just the thermostat?", dtcs=("P0128",)),
    _car(
        "P0442/P0456 small evap leak after I changed the gas cap",
        dtcs=("P0442", "P0456"),
        note="two codes joined by a slash",
    ),
    _car(
        "codes P0101,P0102 then p0101 again after cleaning the MAF",
        dtcs=("P0101", "P0102"),
        note="comma-joined, repeated in lower case: de-duplicated, order of appearance",
    ),
    _car("P2463 on a 2016 Ram EcoDiesel, DPF soot too high", dtcs=("P2463",)),
    _car(
        "U0073 and U0121 showed up right after I replaced the battery",
        dtcs=("U0073", "U0121"),
    ),
    _car(
        "C1201 on my Lexus RX with the VSC and check engine lights",
        dtcs=("C1201",),
        lights=("esc", "check_engine"),
    ),
    _car("B1318 battery voltage low code on a Ford Escape", dtcs=("B1318",)),
    _car("P0700 and the transmission is stuck in third", dtcs=("P0700",)),
    _car("OBD2 reader shows P0455 (gross EVAP leak), is it serious?", dtcs=("P0455",)),
    _car("DTC P0506: idle speed lower than expected", dtcs=("P0506",)),
    _car("Should I clear P0138 or replace the O2 sensor first?", dtcs=("P0138",)),
    _car(
        "P2A00 upstream O2 sensor range on a Nissan Rogue",
        dtcs=("P2A00",),
        note="hexadecimal letter inside the code",
    ),
)

VINS = (
    _car("Decode this VIN: 1HGCM82633A004352", vins=("1HGCM82633A004352",)),
    _car(
        "vin 1m8gdm9axkp042788 what year is it",
        vins=("1M8GDM9AXKP042788",),
        note="lower case; check digit X",
    ),
    _car(
        "Is 5YJ3E1EA2KF317000 a Long Range or a Standard Range Model 3?",
        vins=("5YJ3E1EA2KF317000",),
    ),
    _car(
        f"Carfax won't take {WRONG_CHECK_DIGIT_VIN}, did the seller give me a typo?",
        vins=(WRONG_CHECK_DIGIT_VIN,),
        note="well-formed VIN with a wrong check digit: found, then flagged by check_vin",
    ),
    _car("Recall check for VIN 2T1BURHEXJC043821 please", vins=("2T1BURHEXJC043821",)),
    _car(
        f"My VIN is {TRUNCATED_VIN}, what engine does it have?",
        note="16 characters (last one missing): not a VIN, nothing to find",
    ),
    _car(
        "WVWZZZ1JZXW000001 - which Golf generation is this?",
        vins=("WVWZZZ1JZXW000001",),
        note="European VIN with ZZZ filler",
    ),
    _car("BMW VIN WBA3A5C53CF256985, is it an xDrive?", vins=("WBA3A5C53CF256985",)),
    _car("Which factory built JHMCM56557C404453?", vins=("JHMCM56557C404453",)),
    _car("Hyundai KMHDN46D95U123456 engine size?", vins=("KMHDN46D95U123456",)),
    _car("VF1RFB00X56789012 Renault Mégane, which trim level?", vins=("VF1RFB00X56789012",)),
    _car(
        "Range Rover SALLSAAF4AA123456 — is this the supercharged one?",
        vins=("SALLSAAF4AA123456",),
    ),
    _car(
        "Two trucks for sale: 1G1YY22G165104356 and 1GCHK23U83F123456, which is older?",
        vins=("1G1YY22G165104356", "1GCHK23U83F123456"),
    ),
    _car(
        "Tesla built in Shanghai? VIN LRWYGCEK2NC123456",
        vins=("LRWYGCEK2NC123456",),
        note="Chinese VIN: check digit applies",
    ),
    _car(
        "my vin 1N4AZOCP3DC412345 won't decode on the Nissan site",
        note="letter O typed for a zero: never valid in a VIN, so nothing to find",
    ),
    _car("VIN: 3VWFE21C04M000001.", vins=("3VWFE21C04M000001",)),
    _car(
        "Is KNAFX4A68F5123456 the 2.0 or the 1.8 Forte?",
        vins=("KNAFX4A68F5123456",),
    ),
)

TIRES = (
    _car("225/45R17 94W what do the numbers mean", tires=("225/45R17 94W",)),
    _car("Is 205/55 ZR16 the same as 205/55R16?", tires=("205/55 ZR16", "205/55R16")),
    _car("LT265/75R16 on a half-ton, will it ride too stiff?", tires=("LT265/75R16",)),
    _car("31x10.50R15 on a stock Jeep Wrangler?", tires=("31x10.50R15",)),
    _car(
        "can I put 245/40R18 instead of 225/45R18",
        tires=("245/40R18", "225/45R18"),
    ),
    _car(
        "p215/65r15 95h vs 215/65R15 96H, which one for my Camry?",
        tires=("p215/65r15 95h", "215/65R15 96H"),
        note="sizes are returned as written",
    ),
    _car(
        "Will 35x12.50R20LT rub on a leveled Silverado?",
        tires=("35x12.50R20LT",),
        note="flotation size with LT written straight after the rim",
    ),
    _car(
        "Winter tyres 195/65R15 91T XL for a Golf",
        tires=("195/65R15 91T",),
        note="the XL suffix is not part of the returned size",
    ),
    _car(
        "LT285/70R17 121/118S load range E, what pressure for towing?",
        tires=("LT285/70R17 121/118S",),
    ),
    _car(
        "Speedometer error going from 225/45 R17 to 225/50 R17",
        tires=("225/45 R17", "225/50 R17"),
    ),
    _car(
        "Spare tire says T125/70D17, how fast can I drive on it?",
        tires=("T125/70D17",),
        note="temporary spare, diagonal (bias-ply) construction",
    ),
    _car("Trailer tires ST225/75R15 load range D, how old is too old?", tires=("ST225/75R15",)),
    _car(
        "Right pressure for 235/65R17 104H on a RAV4 with a roof box?",
        tires=("235/65R17 104H",),
    ),
    _car("255/35ZR19 (96Y) on the rear only, is that ok?", tires=("255/35ZR19",)),
)

MAINTENANCE = (
    _car("How often should I change the oil with full synthetic 0W-20?"),
    _car("Timing belt interval for a 2010 Honda Accord V6"),
    _car("Can I mix green and orange coolant?"),
    _car("DOT 3 vs DOT 4 brake fluid, can I top up with either?"),
    _car("When should the CVT fluid be replaced?"),
    _car("Is 5W-30 okay if the manual says 5W-20?"),
    _car("What does maintenance minder A12 mean on my Honda?"),
    _car("How often to rotate tires on an AWD car?"),
    _car("Power steering fluid or ATF in a 2004 Civic?"),
    _car("Spark plug replacement interval for iridium plugs"),
    _car("Cabin air filter vs engine air filter, how often each?"),
    _car("Do I really need a coolant flush at 100k miles?"),
    _car("Which gear oil for a Subaru Outback rear diff?"),
)

EV_HYBRID = (
    _car("Tesla phantom drain overnight, is 3% normal?"),
    _car("Prius hybrid battery replacement cost"),
    _car(
        "P0A80 replace hybrid battery pack on a 2010 Prius",
        dtcs=("P0A80",),
        note="hexadecimal letter inside the code",
    ),
    _car("Level 2 charger installation: 40 or 48 amp circuit?"),
    _car("Nissan Leaf lost 4 battery bars, worth replacing the pack?"),
    _car("Regen braking feels weak when it's freezing out"),
    _car("Should I charge my EV to 100% every night?"),
    _car("Plug-in hybrid: do I need to run the gas engine now and then to use up old fuel?"),
    _car("Ioniq 5 charging slows down after 80% at a DC fast charger"),
    _car("CCS or NACS adapter for road trips?"),
)

BUYING = (
    _car("Is a Miata reliable"),
    _car("should I buy a used BMW N54"),
    _car("Is the Ford Focus PowerShift dual clutch as bad as people say?"),
    _car("Nissan CVT reliability on a 2015 Altima"),
    _car("Lease or buy if I drive 20,000 miles a year?"),
    _car("What should a pre-purchase inspection of a used Mazda3 cover?"),
    _car("Is a salvage title car ever worth buying?"),
    _car("Fair price for a 2018 Civic with 60k miles?"),
    _car("Hybrid or diesel for mostly highway commuting?"),
    _car(
        "Is a used Tesla P100D worth it?",
        note="a trim name that fits the trouble-code pattern, and no code word near it",
    ),
)

SLANG = (
    _car("Is a beemer expensive to keep after 100k?"),
    _car("chevy silverado 5.3 lifter tick, is it the AFM?"),
    _car("C8 vette frunk won't open"),
    _car("bimmer cooling system overhaul, which parts?"),
    _car("How much is an oil change on a lambo Huracán?"),
    _car("VW dub scene: best coilovers for a Mk4 GTI?"),
    _car("Subie head gaskets: which years to avoid?"),
    _car("yota 4Runner frame rust, how bad is too bad?"),
    _car("merc ML350 airmatic sagging overnight"),
    _car("Caddy Northstar head bolts, worth fixing?"),
    _car("Is the Hemi tick a real thing?"),
    _car("Cummins vs Powerstroke vs Duramax for towing"),
    _car("LS swap into an E36, which mounts?"),
    _car("Scooby WRX makes a flutter noise when I lift off"),
    _car("Jeep death wobble after hitting a pothole"),
    _car("stang 5.0 coyote oil consumption normal?"),
    _car(
        "Chevy C1500 won't start after sitting a month",
        note="a model name that fits the trouble-code pattern, and no code word near it",
    ),
    _car(
        "B16A2 swap into an EG hatch, which ECU?",
        note="a Honda engine code that fits the trouble-code pattern",
    ),
    _car("1995 Chevy C1500", note="a model name alone is not a code"),
    _car("mazda B2300 timing belt or chain?", note="a model name alone is not a code"),
    _car("my C1500 shows code P0300", dtcs=("P0300",), note="the code word claims P0300"),
    _car("p 0420 after new o2 sensors", dtcs=("P0420",), note="a code written with a space"),
    _car("po300 on a 2012 Camry", dtcs=("P0300",), note="letter O typed for zero"),
    _car("code P0420/P0171 on my Accord", dtcs=("P0420", "P0171"), note="codes with a slash"),
    _car("P0420,P0171", dtcs=("P0420", "P0171"), note="codes with a comma"),
    _car("P0AA6 on my Prius, is it safe?", dtcs=("P0AA6",)),
    _car("U0121 and the ABS light", dtcs=("U0121",), lights=("abs",)),
)

MOTORCYCLES = (
    _car("How tight should the chain be on a Yamaha MT-07?"),
    _car("Harley won't idle once it's warm"),
    _car("How often to change brake fluid on a motorcycle?"),
    _car("Ducati desmo service cost on a Monster 821"),
    _car(
        "My 120/70ZR17 front and 180/55ZR17 rear are cupping on my CBR600",
        tires=("120/70ZR17", "180/55ZR17"),
    ),
    _car("Motorbike battery keeps dying over winter, trickle charger?"),
)

TRUCKS_TOWING = (
    _car("Can my F-150 tow a 7000 lb camper?"),
    _car("Do I need a weight distribution hitch for a 5000 lb travel trailer?"),
    _car("DPF regen keeps failing on short trips"),
    _car("Does DEF fluid freeze in winter?"),
    _car("Trailer brake controller gain, how do I set it?"),
    _car("Gooseneck vs fifth wheel hitch for a 3/4 ton truck"),
    _car("Payload vs towing capacity, which one limits me?"),
)

LAWS_INSURANCE = (
    _car("Do I need to tell my insurance if I fit aftermarket wheels?"),
    _car("How do I register a car bought in another state?"),
    _car("Is it legal to drive with a cracked windshield in California?"),
    _car("Can I turn right on red in New York City?"),
    _car("Will a speeding ticket raise my insurance?"),
    _car("My car failed the MOT on emissions, what now?"),
    _car("Do I need a special licence to tow a big trailer in the UK?"),
    _car("Who is at fault if I'm reversing out of a parking space and get hit?"),
)

DIY = (
    _car("How to bleed brakes by myself"),
    _car("Changing spark plugs on a Toyota V6, do I need to remove the intake?"),
    _car("Jump start: which cable goes on first?"),
    _car("Replacing an H7 headlight bulb without removing the bumper"),
    _car("How do I reset the oil life indicator after an oil change?"),
    _car("Can I replace brake pads without changing the rotors?"),
    _car("How to fix a slow leak from a nail in the tread?"),
)

TYPOS = (
    _car("my brakes are squeeky"),
    _car("check engin light on", lights=("check_engine",)),
    _car("transmision slipping"),
    _car("alternater or batery? car dies wile driving"),
    _car("wich oil for my hunda civic 2012"),
    _car("tire presure light keeps comming on", lights=("tpms",)),
    _car("cluch pedal goes to the flor"),
    _car("stearing wheel shakes at hi speed"),
    _car("egzost smells like roten eggs"),
    _car("radiater leaking green stuf"),
)

# Other languages, keyed by ISO 639-1 code; car questions and off-topic ones alike.
OTHER_LANGUAGES: dict[str, tuple[EvalQuestion, ...]] = {
    "de": (
        _car("Mein Auto springt nicht an"),
        _car("Was bedeutet der Fehlercode P0420 bei meinem Golf?", dtcs=("P0420",)),
        _car("Wann muss der Zahnriemen beim Passat gewechselt werden?"),
        _off("Wie backe ich einen Käsekuchen?"),
    ),
    "es": (
        _car("¿Qué significa el código P0420?", dtcs=("P0420",)),
        _car("Mi coche hace un ruido al frenar"),
        _off("¿Cuál es la capital de Francia?"),
    ),
    "fr": (
        _car("Ma voiture fait un bruit"),
        _car("Quelle huile pour une Clio 4 diesel ?"),
        _off("Écris un poème sur la mer"),
    ),
    "it": (
        _car("La mia macchina perde olio, cosa può essere?"),
        _car(
            "Spia dell'olio accesa sulla mia Fiat Panda",
            lights=("oil_pressure",),
            red_flag=True,
        ),
    ),
    "pt": (
        _car("Meu carro está esquentando muito no trânsito", red_flag=True),
        _car(
            "Posso usar pneus 205/55R16 no lugar dos 195/65R15?",
            tires=("205/55R16", "195/65R15"),
        ),
        _off("Qual é a melhor receita de pão de queijo?"),
    ),
    "pl": (_car("Samochód szarpie przy przyspieszaniu, co może być przyczyną?"),),
    "nl": (_car("Mijn auto start niet als het koud is"),),
    "ja": (
        _car(
            "エンジン警告灯が点いてP0420が出ました",
            dtcs=("P0420",),
            note="no spaces around the code, as Japanese is written",
        ),
        _car("車のバッテリーが上がりました。どうすればいいですか？"),
        _off("日本の首相は誰ですか？"),
    ),
    "zh": (
        _car("我的车刹车时有异响"),
        _car(
            "车架号 LSVAU218XN2183294 是哪一年的车？",
            vins=("LSVAU218XN2183294",),
            note="Chinese VIN (check digit applies), spaces around it",
        ),
        _car(
            "这个车架号LSVAU218XN2183294是什么车",
            vins=("LSVAU218XN2183294",),
            note="no spaces around the VIN, as Chinese is written",
        ),
        _car(
            "轮胎225/45R17可以换成235/40R18吗",
            tires=("225/45R17", "235/40R18"),
            note="no spaces around the sizes, as Chinese is written",
        ),
        _car(
            "故障码P0171是什么意思",
            dtcs=("P0171",),
            note="no spaces around the code, as Chinese is written",
        ),
        _off("量子物理是什么？"),
    ),
    "ru": (
        _car("Ошибка P0300 на Ладе Весте, что делать?", dtcs=("P0300",)),
        _car("Машина не заводится в мороз"),
        _off("Как приготовить борщ?"),
    ),
    "tr": (
        _car("Arabamda P0171 arıza kodu çıktı", dtcs=("P0171",)),
        _car("Fren balataları ne zaman değişmeli?"),
    ),
    "ar": (
        _car("سيارتي لا تعمل، ما المشكلة؟"),
        _car("ماذا يعني الرمز P0420 في سيارتي؟", dtcs=("P0420",)),
    ),
    "ko": (_car("자동차 엔진 경고등이 켜졌어요"),),
    "sv": (_car("Bilen drar åt vänster när jag bromsar"),),
    "cs": (_car("Kolik stojí výměna rozvodů na Octavii?"),),
    "hi": (_car("मेरी कार का एसी ठंडा नहीं कर रहा"),),
}

SHORT = (
    _car("P0420?", dtcs=("P0420",)),
    _car("oil change?"),
    _car("brakes grinding"),
    _car("tpms?"),
    _car("abs light", lights=("abs",)),
    _car("overheating", red_flag=True),
    _car("won't start"),
    _car("flat tire"),
    _car("u0100", dtcs=("U0100",)),
)

# Car questions that use words a naive keyword filter would call off-topic.
OFF_TOPIC_SOUNDING = (
    _car("Explain the physics of how ABS prevents wheel lock"),
    _car("my car radio shows a quantum error"),
    _car("What's the chemistry inside a catalytic converter?"),
    _car("Write me a Python script that reads live OBD-II data from an ELM327 adapter"),
    _car("Math question: what final drive ratio gives 2000 rpm at 70 mph on 26 inch tires?"),
    _car("Is there a recipe for cleaning battery terminals with baking soda?"),
    _car(
        "Is carbon monoxide from an exhaust leak dangerous for my kids in the back seat?",
        red_flag=True,
        note="carbon monoxide: the stop-and-air-out advice is the answer either way",
    ),
    _car("History of the Volkswagen Beetle's air-cooled engine: why did they stop?"),
    _car("Statistics question: my mpg went 34, 33, 31, 28 over four tanks, is something wrong?"),
    _car("Can I use cooking oil instead of engine oil in an emergency?"),
    _car("Explain the thermodynamics of why my engine runs hotter uphill"),
    _car("Write a short poem I can leave for my mechanic explaining the rattle in my dash"),
)

# Car questions without a single car keyword: only the situation says they are about a car.
NO_CAR_KEYWORDS = (
    _car("it makes a clunk over bumps"),
    _car("the light with the exclamation mark came on"),
    _car("there's a puddle of green stuff under the front"),
    _car("the needle goes all the way up to H", red_flag=True),
    _car("it won't turn over, just clicks"),
    _car("white smoke out the back on cold mornings"),
    _car("smells like rotten eggs after the highway"),
    _car("the yellow submarine symbol is lit"),
    _car("everything shakes above 60 mph"),
    _car("humming that gets louder the faster I go"),
)

OFF_TOPIC = (
    _off("Explain quantum physics"),
    _off("Give me a recipe for banana bread"),
    _off("Write a poem about autumn leaves"),
    _off("How do I reverse a linked list in Python?"),
    _off("Solve 3x + 7 = 22"),
    _off("Who won the Battle of Hastings?"),
    _off("What was the score of last night's Lakers game?"),
    _off("What should I take for a migraine?"),
    _off("What's the weather in Paris tomorrow?"),
    _off("Tell me a joke about cats"),
    _off("How do I center a div in CSS?"),
    _off("Summarize the plot of Hamlet"),
    _off("What is the P0 ratio in statistics?", note="P0 is too short for a trouble code"),
    _off("How much vitamin B12 should an adult take daily?"),
    _off(
        "Windows crashed with exception code C0000005, how do I fix it?",
        note="eight characters: not a trouble code at word boundaries",
    ),
    _off("Explain how a Tesla coil works", note="a car brand in a physics question"),
    _off("How fast can a jaguar run?", note="a car brand that is an animal"),
    _off("How many moons does Saturn have?", note="a former car brand that is a planet"),
    _off("History of wild mustang horses in Nevada", note="a car model that is a horse"),
    _off("Write a cover letter for a marketing job"),
    _off("What is the capital of Australia?"),
    _off("Translate 'good morning' into Japanese"),
    _off("How do I fix a dripping kitchen faucet?"),
    _off("My laptop battery drains overnight while asleep, why?"),
    _off("Search engine optimization tips for a bakery website"),
    _off("Is it a good time to invest in index funds?"),
    _off("Tips for training a puppy not to bite"),
    _off("What's the difference between C++ and C#?"),
    _off("Simplify 150/75 and 300/60", note="fractions, not tire sizes"),
    _off(
        "Track my parcel 12345678901234567",
        note="17 digits: a number, not a VIN",
    ),
    _off("Explain the HTTP 404 error"),
    _off("Recommend a good sci-fi novel"),
    _off("How do black holes form?"),
    _off("What's 17% of 240?"),
    _off("How many calories are in an avocado?"),
    _off("Who painted the Mona Lisa?"),
    _off("Help me plan a vegan dinner party"),
)

# Dashboard lights as drivers describe them: shapes, colours, flashing, other languages.
WARNING_LIGHTS = (
    _car(
        "red oil can on the dash, what now?",
        lights=("oil_pressure",),
        red_flag=True,
    ),
    _car("yellow oil can with a wavy line came on", lights=("oil_level",)),
    _car("a tortoise appeared on my Leaf's dashboard", lights=("reduced_power",)),
    _car("horseshoe with an exclamation mark lit up this morning", lights=("tpms",)),
    _car("coil symbol stays on for ages when it's cold", lights=("glow_plug",)),
    _car("car with squiggly lines flashing on the icy road", lights=("esc",)),
    _car("Motorkontrollleuchte leuchtet gelb", lights=("check_engine",)),
    _car(
        "le voyant de température est rouge",
        lights=("coolant_temperature",),
        red_flag=True,
    ),
    _car("se encendió el testigo del ABS", lights=("abs",)),
    _car("AdBlue warning says 500 miles until no start", lights=("adblue",)),
    _car("DPF light on after lots of short trips", lights=("dpf",)),
    _car(
        "engine light blinking and the car is shaking",
        lights=("check_engine",),
        red_flag=True,
    ),
)

# Safety-critical symptoms: triage puts a "stop safely now" card first.
RED_FLAGS = (
    _car("my brake pedal went to the floor this morning", red_flag=True),
    _car("smoke coming from under the hood while driving", red_flag=True),
    _car("strong smell of petrol inside the car", red_flag=True),
    _car("temp gauge in the red and steam from the bonnet", red_flag=True),
    _car("steering suddenly went heavy and I can barely turn", red_flag=True),
    _car("Rauch aus dem Motorraum, was tun?", red_flag=True),
    _car("rear ended at a light and now the airbag light is on", lights=("airbag",), red_flag=True),
)

SECTIONS: dict[str, tuple[EvalQuestion, ...]] = {
    "symptoms": SYMPTOMS,
    "trouble_codes": TROUBLE_CODES,
    "vins": VINS,
    "tires": TIRES,
    "maintenance": MAINTENANCE,
    "ev_hybrid": EV_HYBRID,
    "buying": BUYING,
    "slang": SLANG,
    "motorcycles": MOTORCYCLES,
    "trucks_towing": TRUCKS_TOWING,
    "laws_insurance": LAWS_INSURANCE,
    "diy": DIY,
    "typos": TYPOS,
    "other_languages": tuple(q for group in OTHER_LANGUAGES.values() for q in group),
    "short": SHORT,
    "off_topic_sounding": OFF_TOPIC_SOUNDING,
    "no_car_keywords": NO_CAR_KEYWORDS,
    "warning_lights": WARNING_LIGHTS,
    "red_flags": RED_FLAGS,
    "off_topic": OFF_TOPIC,
}

QUESTIONS: list[EvalQuestion] = [q for section in SECTIONS.values() for q in section]


# ----------------------------------------------------------------------------------------
# Hook for the app-level test: every car question must be answered, never refused.
# ----------------------------------------------------------------------------------------


def car_questions() -> list[EvalQuestion]:
    """Every question about vehicles or driving: none of them may be refused."""
    return [q for q in QUESTIONS if q.car]


def off_topic_questions() -> list[EvalQuestion]:
    """Every unrelated question: these may be redirected politely."""
    return [q for q in QUESTIONS if not q.car]
