"""Curated OBD-II trouble codes, written for this project in plain language.

Titles follow SAE J2012 / ISO 15031-6 (the 2002-2007 wording, with bank and sensor spelled
out) and must match automotive.dtc_titles, the list of every generic title this project ships
(newer entries take theirs from it). Meanings, causes, checks and driving guidance are our own
words for drivers. Severity is "stop", "soon" or "monitor" (see automotive.dtc.Severity, which
loads and serves this table), and it must agree with the guidance: "stop" when the guidance
opens with an order to stop driving, never otherwise ("soon" and "monitor" may say when to
stop, such as a flashing light or a red warning).

Codes that come in families (cylinders, banks, sensors) are written once by the helpers below,
so that siblings say the same thing in the same words.
"""

from __future__ import annotations

from collections.abc import Sequence

from automotive.dtc_titles import TITLES

STOP = "stop"
SOON = "soon"
MONITOR = "monitor"

# code -> (title, meaning, causes, check_first, severity, drive_guidance)
Row = tuple[str, str, tuple[str, ...], tuple[str, ...], str, str]
ROWS: dict[str, Row] = {}

# Generic chassis numbers the table leaves out because GM uses them with another meaning than
# the current SAE list (C0035 and C0040, which are in the table, say so in their meaning).
MAKE_NOTES: dict[str, str] = {
    "C0045": "GM vehicles use C0045 for the left rear wheel speed sensor circuit.",
    "C0050": "GM vehicles use C0050 for the right rear wheel speed sensor circuit.",
}


def _title(code: str) -> str:
    """The code's SAE J2012 title, from automotive.dtc_titles (one spelling for both tables)."""
    return TITLES[code]


def _add(
    code: str,
    title: str,
    meaning: str,
    causes: Sequence[str],
    checks: Sequence[str],
    severity: str,
    guidance: str,
) -> None:
    if code in ROWS:
        raise ValueError(f"{code} is listed twice in the trouble code table")
    ROWS[code] = (title, meaning, tuple(causes), tuple(checks), severity, guidance)


_BANK = {
    1: "bank 1 (the side of the engine with cylinder 1)",
    2: "bank 2 (the side opposite cylinder 1)",
}
_CAMSHAFT = {"A": "intake (or left/front)", "B": "exhaust (or right/rear)"}

# Driving guidance shared by many codes, so that the same situation gets the same advice.
# A misfire code alone does not say whether the light flashes, so the entry is "soon" and the
# text gives both cases: flashing means stop, steady means drive gently to a workshop soon.
_MISFIRE = (
    "With a steady check-engine light, drive gently and only as far as a workshop, soon: "
    "avoid hard acceleration, heavy loads and long trips. If the light starts flashing, the "
    "misfire is severe: pull over safely and switch off, because unburnt fuel can overheat "
    "and ruin the catalytic converter within minutes and, at worst, start a fire; have the "
    "car towed. Do the same if the engine shakes badly or loses a lot of power."
)
_DRIVABILITY = (
    "Usually drivable, but the engine may hesitate, run roughly, stall or use more fuel. "
    "Drive gently and get it checked soon."
)
_LIMP = (
    "The engine may drop into a reduced-power (limp) mode, sometimes suddenly. Drive "
    "carefully, avoid overtaking and fast merges, and get it checked soon."
)
_STALL = (
    "The engine may stall without warning or fail to restart. Avoid highways and heavy "
    "traffic until it is fixed; if it stalls, get to a safe place and have the car towed."
)
_EMISSIONS = (
    "Safe to drive; the engine should run normally. Fix it when convenient: the car will "
    "likely fail an emissions inspection until then."
)
_EVAP = (
    "Safe to drive: it does not affect how the engine runs, but the car will fail an "
    "emissions inspection. If you ever smell raw fuel, have it checked promptly."
)
_HEATER = (
    "Safe to drive. The sensor takes longer to start working after a cold start, so fuel use "
    "and emissions rise slightly; fix it when convenient."
)
_O2_UPSTREAM = (
    "Usually drivable gently, but fuel use and emissions rise and a rich-running engine can "
    "damage the catalytic converter over time. Get it checked soon, and stop if the "
    "check-engine light starts flashing."
)
_O2_DOWNSTREAM = (
    "Safe to drive: this sensor mainly watches the catalytic converter, so the engine usually "
    "runs normally. Fix it when convenient; the car will likely fail an emissions inspection."
)
_LEAN = (
    "Usually drivable in the short term, but a lean engine can hesitate, misfire and run "
    "hotter. Get it diagnosed soon, and stop if the check-engine light starts flashing."
)
_RICH = (
    "Usually drivable in the short term, but rich running wastes fuel, fouls spark plugs and "
    "can overheat and damage the catalytic converter. Get it diagnosed soon, and stop if the "
    "check-engine light starts flashing."
)
_COOLING = (
    "Watch the temperature gauge. If it climbs above normal, or you see steam or smell "
    "coolant, pull over and switch off; never open a hot radiator cap. Otherwise drive gently "
    "and get it checked soon."
)
_TRANSMISSION = (
    "Drive gently and as little as possible until it is checked: a transmission that shifts "
    "wrongly or slips wears quickly. If it slips, won't engage a gear, or you smell burning "
    "fluid, stop and have the car towed."
)
_COMPUTER = (
    "The car may run normally, run poorly, drop into limp mode or refuse to start. Avoid long "
    "trips and get it checked soon."
)
_CHARGING = (
    "The battery may not be charging, so the car can run its battery flat and stop. Switch "
    "off non-essential loads (heated seats, rear defroster), avoid long trips and get it "
    "checked soon; if the battery light comes on and other warnings appear, pull over "
    "somewhere safe."
)
_ABS = (
    "Normal braking still works, but ABS (and usually traction and stability control) may be "
    "off: leave extra distance and brake gently on wet or slippery roads. Get it fixed soon, "
    "and stop if the red BRAKE warning light comes on or the pedal feels soft or unusual."
)
_AIRBAG = (
    "The car drives normally, but the airbag may not deploy in a crash. Get it fixed promptly "
    "by someone trained on airbag systems, and never probe airbag wiring yourself."
)
_NETWORK = (
    "Expect warning lights and odd behaviour in the systems that lost contact. If the car "
    "drives normally, drive carefully to a workshop soon; if it stalls, won't shift, or the "
    "brakes or steering feel wrong, stop safely and have it towed."
)


# --- Camshaft timing (variable valve timing) -----------------------------------------------


def _camshaft_timing() -> None:
    causes = (
        "Low engine oil level, or oil that is old, sludged or the wrong viscosity",
        "Sticking valve timing solenoid (oil control valve), or a blocked screen in its feed",
        "Worn or sticking cam phaser",
        "Stretched timing chain, or a chain or belt fitted a tooth off",
    )
    checks = (
        "Check the oil level and condition first; change oil and filter if in doubt",
        "Inspect the valve timing solenoid and its oil screen for sludge or debris",
        "Compare commanded and actual camshaft angle on a scan tool",
        "Listen for timing chain rattle at a cold start",
    )
    timing_guidance = (
        "Check the oil level before driving further. Usually drivable gently, but low oil or a "
        "stretched timing chain can lead to serious engine damage: stop if the oil warning "
        "light comes on or you hear rattling or knocking."
    )
    circuit_causes = (
        "Failed valve timing solenoid (oil control valve)",
        "Damaged wiring, or a loose or corroded connector at the solenoid",
        "Engine computer driver fault (rare)",
    )
    circuit_checks = (
        "Inspect the solenoid connector and wiring for damage or oil inside the plug",
        "Measure the solenoid's resistance and compare with the service manual value",
        "Switch the solenoid on and off with a scan tool and feel or listen for it clicking",
    )
    circuit_guidance = (
        "Usually drivable, but with the valve timing stuck the engine may idle roughly, lack "
        "power and use more fuel. Get it checked soon."
    )
    for bank, base in ((1, 10), (2, 20)):
        for offset, letter in ((0, "A"), (3, "B")):
            cam = f'camshaft "{letter}" on {_BANK[bank]}, usually the {_CAMSHAFT[letter]} camshaft'
            actuator = "Actuator Circuit" if letter == "A" else "- Actuator Circuit"
            _add(
                f"P00{base + offset}",
                f'"{letter}" Camshaft Position {actuator} (Bank {bank})',
                "The engine computer sees an electrical fault in the control circuit of the "
                f"variable valve timing solenoid for {cam}.",
                circuit_causes,
                circuit_checks,
                SOON,
                circuit_guidance,
            )
            _add(
                f"P00{base + offset + 1}",
                f'"{letter}" Camshaft Position - Timing Over-Advanced or System Performance '
                f"(Bank {bank})",
                f"The valve timing of {cam}, is further advanced than the engine computer "
                "commanded, or is slow to follow its commands.",
                causes,
                checks,
                SOON,
                timing_guidance,
            )
            _add(
                f"P00{base + offset + 2}",
                f'"{letter}" Camshaft Position - Timing Over-Retarded (Bank {bank})',
                f"The valve timing of {cam}, is later (more retarded) than the engine computer "
                "commanded.",
                causes,
                checks,
                SOON,
                timing_guidance,
            )
    for code, bank, letter, level in (
        ("P2088", 1, "A", "low"),
        ("P2089", 1, "A", "high"),
        ("P2090", 1, "B", "low"),
        ("P2091", 1, "B", "high"),
        ("P2092", 2, "A", "low"),
        ("P2093", 2, "A", "high"),
        ("P2094", 2, "B", "low"),
        ("P2095", 2, "B", "high"),
    ):
        short = "ground" if level == "low" else "voltage"
        _add(
            code,
            _title(code),
            "The control circuit of the variable valve timing solenoid for camshaft "
            f'"{letter}" on {_BANK[bank]} reads a {level}er voltage than it should.',
            (
                f"Solenoid control wire shorted to {short}, or an open circuit",
                *circuit_causes,
            ),
            circuit_checks,
            SOON,
            circuit_guidance,
        )


def _crank_cam_correlation() -> None:
    causes = (
        "Stretched timing chain, or worn chain guides and tensioner",
        "Timing chain or belt that jumped a tooth or was fitted wrongly",
        "Cam phaser stuck away from its rest position, or a sticking oil control valve",
        "Low oil level or oil pressure",
        "Faulty camshaft or crankshaft sensor, or a damaged reluctor (tone) wheel",
    )
    checks = (
        "Check the oil level and condition",
        "Read the cam/crank correlation values on a scan tool, or compare the sensor patterns "
        "on a scope",
        "Listen for timing chain rattle at a cold start",
        "Verify the timing marks before replacing sensors",
    )
    guidance = (
        "Drive as little as possible until it is checked. If the timing has slipped it can "
        "slip further and, on many engines, let pistons hit the valves: if the engine rattles, "
        "knocks or runs badly, stop and have it towed."
    )
    for code, bank, letter in (
        ("P0016", 1, "A"),
        ("P0017", 1, "B"),
        ("P0018", 2, "A"),
        ("P0019", 2, "B"),
    ):
        _add(
            code,
            f"Crankshaft Position - Camshaft Position Correlation (Bank {bank} Sensor {letter})",
            "The crankshaft and camshaft position signals are out of step: the "
            f"{_CAMSHAFT[letter]} camshaft on {_BANK[bank]} is not where it should be relative "
            "to the crankshaft.",
            causes,
            checks,
            SOON,
            guidance,
        )


# --- Oxygen sensors and their heaters ------------------------------------------------------


def _sensor_position(bank: int, sensor: int) -> str:
    which = {
        1: "The oxygen sensor before the catalytic converter",
        2: "The oxygen sensor after the catalytic converter",
        3: "The third oxygen sensor, furthest downstream in the exhaust,",
    }[sensor]
    return f"{which} on {_BANK[bank]}"


def _heater_control() -> None:
    shared = (
        "Blown oxygen sensor heater fuse, or no power reaching the heater",
        "Wiring or connector damaged or melted against the exhaust",
        "Engine computer heater driver fault (rare)",
    )
    first_cause = {
        "": "Burnt-out heater element inside the sensor, or a broken wire (an open circuit)",
        " Low": "Heater control wire shorted to ground, or an open in the heater circuit",
        " High": "Heater control wire shorted to battery voltage, or a shorted heater element",
    }
    reading = {
        "": "the computer sees a fault in that heater's control circuit",
        " Low": "the heater control circuit reads a lower voltage than it should",
        " High": "the heater control circuit reads a higher voltage than it should",
    }
    checks = (
        "Check the oxygen sensor heater fuse",
        "Measure the heater resistance at the sensor plug and compare with the service manual "
        "(usually a few ohms)",
        "With the ignition on, check for battery voltage on the heater feed wire",
        "Inspect the wiring where it runs near the exhaust",
    )
    for bank, sensor, base in (
        (1, 1, 30),
        (1, 2, 36),
        (1, 3, 42),
        (2, 1, 50),
        (2, 2, 56),
        (2, 3, 62),
    ):
        for offset, suffix in enumerate(("", " Low", " High")):
            _add(
                f"P00{base + offset}",
                f"HO2S Heater Control Circuit{suffix} (Bank {bank} Sensor {sensor})",
                f"{_sensor_position(bank, sensor)} has a built-in heater so that it works soon "
                f"after a cold start; {reading[suffix]}.",
                (first_cause[suffix], *shared),
                checks,
                MONITOR,
                _HEATER,
            )
    for code, bank, sensor in (
        ("P0053", 1, 1),
        ("P0054", 1, 2),
        ("P0055", 1, 3),
        ("P0059", 2, 1),
        ("P0060", 2, 2),
        ("P0061", 2, 3),
    ):
        _add(
            code,
            _title(code),
            f"{_sensor_position(bank, sensor)} has a built-in heater; its resistance is outside "
            "the range the computer expects, so the heater may not warm the sensor properly.",
            (
                "Ageing or failed heater element inside the sensor",
                "Wrong sensor fitted (a different heater rating)",
                "High resistance in the heater wiring or connector",
            ),
            checks[1:] + checks[:1],
            MONITOR,
            _HEATER,
        )


def _oxygen_sensors() -> None:
    upstream_checks = (
        "Fix any misfire, vacuum leak or fuel trim problem first",
        "Inspect the sensor wiring and plug for heat damage and chafing",
        "Watch the sensor on a scan tool: a warm narrow-band sensor should switch quickly "
        "between about 0.1 and 0.9 V (wide-band air-fuel sensors read differently; use the "
        "make's values)",
        "Check for exhaust leaks ahead of the sensor",
    )
    downstream_checks = (
        "Fix any misfire, fuel trim or upstream sensor problem first",
        "Inspect the sensor wiring and plug for heat damage and chafing",
        "Watch the sensor on a scan tool while briefly making the mixture rich (a quick "
        "throttle snap): a working sensor responds",
        "Check for exhaust leaks near the sensor",
    )
    heater_checks = (
        "Check the oxygen sensor heater fuse",
        "Measure the heater resistance at the sensor plug and compare with the service manual",
        "Check for battery voltage on the heater feed with the ignition on",
    )
    kinds = (
        (
            "O2 Sensor Circuit",
            "The computer sees a fault in its signal circuit: no usable signal, an open or a "
            "short.",
            (
                "Failed oxygen sensor",
                "Damaged, chafed or melted wiring near the exhaust",
                "Loose or corroded connector",
                "Engine computer fault (rare)",
            ),
        ),
        (
            "O2 Sensor Circuit Low Voltage",
            "Its signal stays too low, as if the exhaust were always lean.",
            (
                "Failed or contaminated oxygen sensor",
                "Exhaust leak ahead of the sensor drawing in outside air",
                "Signal wire shorted to ground",
                "Engine genuinely running lean (vacuum leak, low fuel pressure)",
            ),
        ),
        (
            "O2 Sensor Circuit High Voltage",
            "Its signal stays too high, as if the exhaust were always rich.",
            (
                "Failed sensor, or one contaminated by fuel, oil, coolant or silicone",
                "Signal wire shorted to a voltage source (often the heater wire)",
                "Engine genuinely running rich (leaking injector, high fuel pressure)",
            ),
        ),
        (
            "O2 Sensor Circuit Slow Response",
            "It switches between rich and lean too slowly, which is typical of an ageing or "
            "contaminated sensor.",
            (
                "Ageing oxygen sensor",
                "Sensor contaminated by oil or coolant burning in the engine, or by silicone",
                "Exhaust leak ahead of the sensor",
                "Sensor heater not working properly",
            ),
        ),
        (
            "O2 Sensor Circuit No Activity Detected",
            "Its signal barely moves, as if the sensor were cold, dead or disconnected.",
            (
                "Failed oxygen sensor",
                "Open circuit in the signal or ground wire",
                "Sensor heater not working, so the sensor stays cold",
                "Unplugged or damaged connector",
            ),
        ),
        (
            "O2 Sensor Heater Circuit",
            "Its built-in heater circuit is faulty, so the sensor takes much longer to start "
            "working after a cold start.",
            (
                "Burnt-out heater element inside the sensor (the sensor must be replaced)",
                "Blown heater fuse, or no power reaching the heater",
                "Damaged wiring or connector near the exhaust",
                "Engine computer heater driver fault (rare)",
            ),
        ),
    )
    for bank, sensor, base in (
        (1, 1, 130),
        (1, 2, 136),
        (1, 3, 142),
        (2, 1, 150),
        (2, 2, 156),
        (2, 3, 162),
    ):
        upstream = sensor == 1
        role = (
            "tells the engine computer how rich or lean the mixture is."
            if upstream
            else "mainly checks how well the converter is cleaning the exhaust."
        )
        for offset, (name, problem, causes) in enumerate(kinds):
            heater = name.endswith("Heater Circuit")
            if heater:
                checks, severity, guidance = heater_checks, MONITOR, _HEATER
            elif upstream:
                checks, severity, guidance = upstream_checks, SOON, _O2_UPSTREAM
            else:
                checks, severity, guidance = downstream_checks, MONITOR, _O2_DOWNSTREAM
            _add(
                f"P0{base + offset}",
                f"{name} (Bank {bank} Sensor {sensor})",
                f"{_sensor_position(bank, sensor)} {role} {problem}",
                causes,
                checks,
                severity,
                guidance,
            )


def _stuck_oxygen_sensors() -> None:
    for code, bank, sensor, lean in (
        ("P2195", 1, 1, True),
        ("P2196", 1, 1, False),
        ("P2197", 2, 1, True),
        ("P2198", 2, 1, False),
        ("P2270", 1, 2, True),
        ("P2271", 1, 2, False),
        ("P2272", 2, 2, True),
        ("P2273", 2, 2, False),
        ("P2274", 1, 3, True),
        ("P2275", 1, 3, False),
        ("P2276", 2, 3, True),
        ("P2277", 2, 3, False),
    ):
        side = "lean" if lean else "rich"
        if lean:
            causes = (
                "Vacuum leak, or an exhaust leak ahead of the sensor",
                "Failing oxygen or air-fuel sensor",
                "Low fuel pressure or clogged injectors",
                "Wiring fault in the sensor circuit",
            )
        else:
            causes = (
                "Failing or contaminated oxygen or air-fuel sensor",
                "Leaking injector or fuel pressure too high",
                "EVAP purge valve stuck open",
                "Sensor signal wire shorted to voltage",
            )
        upstream = sensor == 1
        _add(
            code,
            f"O2 Sensor Signal Stuck {side.title()} (Bank {bank} Sensor {sensor})",
            f"{_sensor_position(bank, sensor)} keeps reading {side} and does not respond the "
            "way the engine computer expects. Either the sensor is faulty or the engine really "
            f"is running {side}.",
            causes,
            (
                "Check fuel trims and any lean or rich codes to tell an engine fault from a "
                "sensor fault",
                "Inspect for vacuum and exhaust leaks",
                "Watch the sensor on a scan tool: a good sensor reacts quickly to a brief rich "
                "or lean change",
            ),
            SOON if upstream else MONITOR,
            _O2_UPSTREAM if upstream else _O2_DOWNSTREAM,
        )
    for code, bank, sensor in (
        ("P2A00", 1, 1),
        ("P2A01", 1, 2),
        ("P2A02", 1, 3),
        ("P2A03", 2, 1),
        ("P2A04", 2, 2),
        ("P2A05", 2, 3),
    ):
        upstream = sensor == 1
        _add(
            code,
            _title(code),
            f"{_sensor_position(bank, sensor)} gives readings that don't make sense for how "
            "the engine is running, or responds poorly.",
            (
                "Ageing or contaminated oxygen or air-fuel sensor",
                "Exhaust leak ahead of the sensor",
                "Vacuum leak or fuel delivery problem upsetting the mixture",
                "Wiring or connector fault",
            ),
            (
                "Fix any lean, rich or misfire codes first",
                "Check for exhaust leaks ahead of the sensor",
                "Compare the sensor's readings with fuel trims and the other sensors on a scan "
                "tool",
            ),
            SOON if upstream else MONITOR,
            _O2_UPSTREAM if upstream else _O2_DOWNSTREAM,
        )


# --- Air, fuel and engine sensors ----------------------------------------------------------

_ELECTRICAL_CHECKS = (
    "Inspect the sensor connector and wiring for damage, corrosion or oil",
    "Check the sensor's 5-volt reference, ground and signal with a meter",
    "Watch the sensor reading live on a scan tool while wiggling the harness",
)


def _mass_air_flow() -> None:
    intro = (
        "The mass airflow (MAF) sensor measures how much air enters the engine so that the "
        "computer can add the right amount of fuel."
    )
    rows = (
        (
            "P0100",
            "Mass or Volume Air Flow Circuit",
            "The computer sees a fault in its circuit: no usable signal, an open or a short.",
            (
                "Unplugged, loose or corroded connector",
                "Damaged wiring, or no power or ground at the sensor (check the fuse)",
                "Failed MAF sensor",
            ),
            _ELECTRICAL_CHECKS,
        ),
        (
            "P0101",
            "Mass or Volume Air Flow Circuit Range/Performance",
            "Its reading doesn't match what the computer expects from engine speed, throttle "
            "opening and the other sensors.",
            (
                "Dirty MAF sensor element (oiled air filters are a common cause)",
                "Air leak between the sensor and the throttle (cracked intake boot, loose clamp)",
                "Clogged air filter or blocked intake",
                "Vacuum leak",
                "Failing MAF sensor",
            ),
            (
                "Inspect the air filter and the intake duct after the sensor for cracks and "
                "loose clamps",
                "Clean the sensor element with dedicated MAF cleaner, without touching it",
                "Compare MAF readings at idle and higher rpm with the values expected for the "
                "engine",
            ),
        ),
        (
            "P0102",
            "Mass or Volume Air Flow Circuit Low Input",
            "Its signal is lower than possible, as if almost no air were entering.",
            (
                "Unplugged, loose or corroded connector",
                "Open or grounded signal wire, or no power to the sensor",
                "Failed MAF sensor",
                "Very dirty sensor element",
            ),
            _ELECTRICAL_CHECKS,
        ),
        (
            "P0103",
            "Mass or Volume Air Flow Circuit High Input",
            "Its signal is higher than possible.",
            (
                "Signal wire shorted to voltage",
                "Poor sensor ground",
                "Failed MAF sensor",
            ),
            _ELECTRICAL_CHECKS,
        ),
        (
            "P0104",
            "Mass or Volume Air Flow Circuit Intermittent",
            "Its signal drops out or jumps erratically from time to time.",
            (
                "Loose or corroded connector",
                "Wiring chafed or broken inside its insulation",
                "Failing MAF sensor",
            ),
            _ELECTRICAL_CHECKS,
        ),
    )
    for code, title, problem, causes, checks in rows:
        _add(code, title, f"{intro} {problem}", causes, checks, SOON, _DRIVABILITY)


def _manifold_pressure() -> None:
    intro = (
        "The manifold absolute pressure (MAP) sensor measures vacuum in the intake manifold, "
        "which the computer uses to work out engine load and fuelling."
    )
    wiring = (
        "Failed MAP sensor",
        "Damaged wiring, or a loose or corroded connector",
        "Problem with the shared 5-volt sensor supply",
    )
    rows = (
        (
            "P0105",
            "Manifold Absolute Pressure/Barometric Pressure Circuit",
            "The computer sees a fault in its circuit.",
            wiring,
            _ELECTRICAL_CHECKS,
        ),
        (
            "P0106",
            "Manifold Absolute Pressure/Barometric Pressure Circuit Range/Performance",
            "Its reading doesn't make sense compared with throttle opening and engine speed.",
            (
                "Cracked, disconnected or blocked vacuum hose to the sensor",
                "Vacuum leak in the intake",
                "Failing MAP sensor",
                "Engine fault giving weak vacuum (valve timing, burnt valve)",
            ),
            (
                "Check the sensor's vacuum hose and port",
                "Compare the MAP reading with the weather's barometric pressure, key on and "
                "engine off",
                "Check for vacuum leaks",
            ),
        ),
        (
            "P0107",
            "Manifold Absolute Pressure/Barometric Pressure Circuit Low Input",
            "Its signal voltage is below the normal range.",
            ("Signal wire open or shorted to ground", "Loss of the 5-volt reference", *wiring[:1]),
            _ELECTRICAL_CHECKS,
        ),
        (
            "P0108",
            "Manifold Absolute Pressure/Barometric Pressure Circuit High Input",
            "Its signal voltage is above the normal range.",
            ("Signal wire shorted to voltage", "Open sensor ground", *wiring[:1]),
            _ELECTRICAL_CHECKS,
        ),
    )
    for code, title, problem, causes, checks in rows:
        _add(code, title, f"{intro} {problem}", causes, checks, SOON, _DRIVABILITY)


def _temperature_sensors() -> None:
    iat = "The intake air temperature sensor reports how warm the incoming air is."
    iat_checks = (
        "Check the sensor is plugged in (it is often built into the MAF sensor)",
        "On a cold engine, compare the reading on a scan tool with the outside temperature",
        "Inspect the wiring and connector",
    )
    iat_guidance = (
        "Safe to drive; the computer substitutes a default value. Fix it when convenient, as "
        "fuel economy and emissions may suffer slightly."
    )
    for code, title, problem, causes in (
        (
            "P0110",
            "Intake Air Temperature Sensor 1 Circuit",
            "The computer sees a fault in its circuit.",
            ("Failed sensor", "Damaged wiring or connector", "Sensor unplugged"),
        ),
        (
            "P0111",
            "Intake Air Temperature Sensor 1 Circuit Range/Performance",
            "Its reading doesn't make sense compared with the other temperature sensors.",
            ("Sensor drifting out of calibration", "Poor connection", "Wiring fault"),
        ),
        (
            "P0112",
            "Intake Air Temperature Sensor 1 Circuit Low",
            "Its signal voltage is too low, which reads as extremely hot air.",
            ("Signal wire shorted to ground", "Failed (shorted) sensor", "Damaged connector"),
        ),
        (
            "P0113",
            "Intake Air Temperature Sensor 1 Circuit High",
            "Its signal voltage is too high, which reads as extremely cold air.",
            ("Sensor unplugged or connector loose", "Open wire in the circuit", "Failed sensor"),
        ),
    ):
        _add(code, title, f"{iat} {problem}", causes, iat_checks, MONITOR, iat_guidance)

    ect = (
        "The coolant temperature sensor tells the engine computer how warm the engine is; it "
        "drives fuelling, idle speed and often the cooling fans."
    )
    ect_checks = (
        "With the engine cold, check the coolant level (never open a hot radiator cap)",
        "Compare the sensor reading with outside temperature on a cold engine, then watch it "
        "climb smoothly as the engine warms",
        "Inspect the sensor connector and wiring",
    )
    for code, title, problem, causes in (
        (
            "P0115",
            "Engine Coolant Temperature Circuit",
            "The computer sees a fault in its circuit.",
            ("Failed sensor", "Damaged wiring or connector", "Sensor unplugged"),
        ),
        (
            "P0116",
            "Engine Coolant Temperature Circuit Range/Performance",
            "Its reading doesn't make sense for how long the engine has run or compared with "
            "other sensors.",
            (
                "Low coolant level, or an air pocket around the sensor",
                "Thermostat stuck open or closed",
                "Sensor drifting out of calibration",
                "Poor connection",
            ),
        ),
        (
            "P0117",
            "Engine Coolant Temperature Circuit Low",
            "Its signal voltage is too low, which reads as a very hot engine.",
            ("Signal wire shorted to ground", "Failed (shorted) sensor", "Damaged connector"),
        ),
        (
            "P0118",
            "Engine Coolant Temperature Circuit High",
            "Its signal voltage is too high, which reads as a very cold engine, so the fans may "
            "not be switched on when needed.",
            ("Sensor unplugged or connector loose", "Open wire in the circuit", "Failed sensor"),
        ),
        (
            "P0119",
            "Engine Coolant Temperature Circuit Intermittent",
            "Its signal drops out or jumps erratically.",
            ("Loose or corroded connector", "Chafed wiring", "Failing sensor"),
        ),
    ):
        _add(code, title, f"{ect} {problem}", causes, ect_checks, SOON, _COOLING)

    thermostat_checks = (
        "With the engine cold, check the coolant level",
        "Watch coolant temperature on a scan tool: it should reach normal operating "
        "temperature (typically about 85-105 °C / 185-220 °F) within roughly 10-15 minutes",
        "Feel the upper radiator hose: if it warms up early with the engine, the thermostat is "
        "probably stuck open",
    )
    _add(
        "P0125",
        "Insufficient Coolant Temperature for Closed Loop Fuel Control",
        "The engine is taking too long to warm up enough for the computer to start fine-tuning "
        "the mixture with the oxygen sensors.",
        (
            "Thermostat stuck open",
            "Low coolant level",
            "Faulty coolant temperature sensor",
        ),
        thermostat_checks,
        MONITOR,
        "Safe to drive, though fuel use is higher and the heater may be weak. Fix it when "
        "convenient, and don't let the coolant level drop.",
    )
    _add(
        "P0128",
        "Coolant Thermostat (Coolant Temperature Below Thermostat Regulating Temperature)",
        "The engine does not reach its normal operating temperature, or takes too long to. "
        "The thermostat is usually stuck open.",
        (
            "Thermostat stuck open or opening too early",
            "Low coolant level",
            "Faulty coolant temperature sensor",
            "Cooling fan running all the time",
        ),
        thermostat_checks,
        MONITOR,
        "Safe to drive: an engine that runs a little cool is not dangerous. Expect a weak "
        "heater and higher fuel use, and fix it when convenient.",
    )


def _throttle_sensors() -> None:
    causes = (
        "Worn or failed throttle position sensor (on electronic throttles, part of the "
        "throttle body)",
        "Accelerator pedal sensor fault (some makes use these codes for the pedal)",
        "Damaged wiring, or a loose or corroded connector at the throttle body",
        "Problem with the 5-volt reference or ground shared with other sensors",
    )
    checks = (
        "Look for sensor reference voltage codes (P0641, P0651) that would explain it",
        "Inspect the throttle body connector and wiring",
        "Watch the throttle and pedal sensor signals on a scan tool while slowly pressing the "
        "pedal: they should change smoothly, without dropouts",
    )
    suffixes = (
        ("", "The computer sees a fault in its circuit."),
        (
            " Range/Performance",
            "Its reading doesn't make sense compared with the other throttle signal or the "
            "airflow.",
        ),
        (" Low", "Its signal voltage is below the normal range."),
        (" High", "Its signal voltage is above the normal range."),
        (" Intermittent", "Its signal drops out or jumps from time to time."),
    )
    for letter, base in (("A", 120), ("B", 220), ("C", 225)):
        intro = (
            f'Throttle/pedal position sensor "{letter}" reports how far the throttle (or, on '
            "some makes, the accelerator pedal) is open."
        )
        for offset, (suffix, problem) in enumerate(suffixes):
            _add(
                f"P0{base + offset}",
                f'Throttle/Pedal Position Sensor/Switch "{letter}" Circuit{suffix}',
                f"{intro} {problem}",
                causes,
                checks,
                SOON,
                _LIMP,
            )
    _add(
        "P2135",
        'Throttle/Pedal Position Sensor/Switch "A"/"B" Voltage Correlation',
        "The two throttle position signals (the pedal's, on some makes) disagree with each "
        "other. Since the computer can no longer be sure what the throttle is doing, it "
        "usually limits power.",
        causes,
        checks,
        SOON,
        _LIMP,
    )
    for code, pair in (("P2136", '"A"/"C"'), ("P2137", '"B"/"C"')):
        _add(
            code,
            _title(code),
            f"Throttle position signals {pair} disagree with each other (the pedal's, on some "
            "makes), so the computer usually limits power.",
            causes,
            checks,
            SOON,
            _LIMP,
        )

    # "D", "E" and "F" are the accelerator pedal's sensors on nearly every make: the pedal,
    # not the throttle body, comes first.
    pedal_causes = (
        "Worn or failed accelerator pedal position sensor (usually built into the pedal assembly)",
        "Damaged wiring, or a loose or corroded connector at the pedal (a wet footwell or a "
        "trapped floor mat can cause it)",
        "Problem with the 5-volt reference or ground shared with other sensors",
        "Engine computer fault (rare)",
    )
    pedal_checks = (
        "Inspect the connector at the accelerator pedal and the wiring behind it",
        "Look for sensor reference voltage codes (P0641, P0651, P0697) that would explain it",
        "Watch both pedal signals on a scan tool while slowly pressing the pedal: they should "
        "rise smoothly together, without dropouts",
    )
    for letter, base in (("D", 2120), ("E", 2125), ("F", 2130)):
        intro = (
            f'Pedal position sensor "{letter}" is one of the (usually two) sensors that tell '
            "the engine computer how far the accelerator pedal is pressed."
        )
        for offset, (_, problem) in enumerate(suffixes):
            code = f"P{base + offset}"
            if offset == 1:
                problem = "Its reading doesn't match the other pedal sensor's."
            _add(code, _title(code), f"{intro} {problem}", pedal_causes, pedal_checks, SOON, _LIMP)
    for code, pair in (("P2138", '"D"/"E"'), ("P2139", '"D"/"F"'), ("P2140", '"E"/"F"')):
        _add(
            code,
            _title(code),
            f"The accelerator pedal position signals {pair} disagree with each other. Since the "
            "computer can no longer be sure how far the pedal is pressed, it usually limits "
            "power.",
            pedal_causes,
            pedal_checks,
            SOON,
            _LIMP,
        )


def _fuel_trims() -> None:
    lean_causes = (
        "Vacuum leak: cracked hose, intake gasket, PCV valve or hose, brake booster hose",
        "Dirty or faulty MAF sensor reading less air than really enters",
        "Weak fuel pump, clogged fuel filter or faulty pressure regulator",
        "Clogged fuel injectors",
        "Exhaust leak ahead of the upstream oxygen sensor",
    )
    rich_causes = (
        "Leaking fuel injector(s)",
        "Fuel pressure too high (faulty regulator)",
        "Faulty MAF sensor reading more air than really enters",
        "Coolant temperature sensor falsely reading a cold engine",
        "EVAP purge valve stuck open, or engine oil diluted with fuel",
    )
    lean_checks = (
        "Read short- and long-term fuel trims at idle and at about 2,500 rpm: trims that "
        "improve with rpm point to a vacuum leak, trims that get worse point to fuel delivery "
        "or the MAF sensor",
        "Smoke-test the intake for vacuum leaks",
        "Inspect and clean (or test) the MAF sensor",
        "Measure fuel pressure and volume",
    )
    rich_checks = (
        "Read fuel trims, and look for coolant temperature or MAF readings that make no sense",
        "Measure fuel pressure, and check that it holds after switch-off (a drop suggests a "
        "leaking injector or regulator)",
        "Check that the EVAP purge valve is not stuck open",
        "Smell the engine oil for fuel",
    )
    both_banks = (
        "If both banks set the code, look for a cause they share: the MAF sensor, fuel "
        "pressure or a central vacuum leak"
    )
    for code, title, bank, lean, when in (
        ("P0171", "System Too Lean (Bank 1)", 1, True, ""),
        ("P0172", "System Too Rich (Bank 1)", 1, False, ""),
        ("P0174", "System Too Lean (Bank 2)", 2, True, ""),
        ("P0175", "System Too Rich (Bank 2)", 2, False, ""),
        ("P2177", "System Too Lean Off Idle (Bank 1)", 1, True, " above idle"),
        ("P2178", "System Too Rich Off Idle (Bank 1)", 1, False, " above idle"),
        ("P2179", "System Too Lean Off Idle (Bank 2)", 2, True, " above idle"),
        ("P2180", "System Too Rich Off Idle (Bank 2)", 2, False, " above idle"),
        ("P2191", "System Too Lean at Higher Load (Bank 1)", 1, True, " at higher load"),
        ("P2192", "System Too Rich at Higher Load (Bank 1)", 1, False, " at higher load"),
        ("P2193", "System Too Lean at Higher Load (Bank 2)", 2, True, " at higher load"),
        ("P2194", "System Too Rich at Higher Load (Bank 2)", 2, False, " at higher load"),
        ("P2187", "System Too Lean at Idle (Bank 1)", 1, True, " at idle"),
        ("P2188", "System Too Rich at Idle (Bank 1)", 1, False, " at idle"),
        ("P2189", "System Too Lean at Idle (Bank 2)", 2, True, " at idle"),
        ("P2190", "System Too Rich at Idle (Bank 2)", 2, False, " at idle"),
    ):
        if lean:
            meaning = (
                f"The engine computer is adding much more fuel than normal on {_BANK[bank]}"
                f"{when} and has reached its correction limit: too much air or too little fuel "
                "is getting in."
            )
            causes = list(lean_causes)
            if when in (" above idle", " at higher load"):
                # Off idle a small vacuum leak matters less than fuel delivery and airflow.
                causes = [causes[1], causes[2], causes[3], causes[0], causes[4]]
            checks: tuple[str, ...] = (*lean_checks, both_banks)
            guidance = _LEAN
        else:
            meaning = (
                f"The engine computer is taking away much more fuel than normal on "
                f"{_BANK[bank]}{when} and has reached its correction limit: too much fuel or "
                "too little air is getting in."
            )
            causes = list(rich_causes)
            checks = (*rich_checks, both_banks)
            guidance = _RICH
        _add(code, title, meaning, causes, checks, SOON, guidance)

    for code, title, bank, lean in (
        ("P2096", "Post Catalyst Fuel Trim System Too Lean (Bank 1)", 1, True),
        ("P2097", "Post Catalyst Fuel Trim System Too Rich (Bank 1)", 1, False),
        ("P2098", "Post Catalyst Fuel Trim System Too Lean (Bank 2)", 2, True),
        ("P2099", "Post Catalyst Fuel Trim System Too Rich (Bank 2)", 2, False),
    ):
        side = "lean" if lean else "rich"
        if lean:
            causes = (
                "Exhaust leak near the downstream oxygen sensor letting in air",
                "Engine running lean (vacuum leak, fuel delivery)",
                "Faulty upstream or downstream oxygen sensor",
                "Worn catalytic converter",
            )
        else:
            causes = (
                "Engine running rich (leaking injector, high fuel pressure)",
                "Faulty upstream or downstream oxygen sensor",
                "Worn catalytic converter",
                "Oil or coolant being burnt and contaminating the sensors",
            )
        _add(
            code,
            title,
            f"The oxygen sensor after the catalytic converter on {_BANK[bank]} keeps reading "
            f"{side}, and the small correction the computer makes from that sensor has reached "
            "its limit.",
            causes,
            (
                "Fix any lean, rich, misfire or upstream oxygen sensor codes first",
                "Check for exhaust leaks around the downstream sensor",
                "Compare upstream and downstream sensor readings on a scan tool",
            ),
            MONITOR,
            "Safe to drive if the engine runs normally; get it checked, especially if lean, "
            "rich or misfire codes appear too, and expect an emissions-test failure until then.",
        )


def _fuel_pressure() -> None:
    _add(
        "P0068",
        "MAP/MAF - Throttle Position Correlation",
        "The airflow the engine computer measures (with the MAF or MAP sensor) doesn't match "
        "what it expects from the throttle opening.",
        (
            "Vacuum or intake air leak after the throttle",
            "Dirty or faulty MAF sensor",
            "Faulty MAP sensor, or a problem with its hose",
            "Dirty or faulty electronic throttle body",
        ),
        (
            "Look for intake leaks: cracked boots, loose clamps, PCV hoses",
            "Compare MAF, MAP and throttle readings on a scan tool",
            "Inspect and clean the throttle body",
        ),
        SOON,
        _LIMP,
    )
    _add(
        "P0087",
        "Fuel Rail/System Pressure - Too Low",
        "Fuel pressure is lower than the engine computer expects. The engine may hesitate, "
        "lack power, stall or fail to start.",
        (
            "Weak or failing fuel pump",
            "Clogged fuel filter or pump strainer",
            "Faulty fuel pressure regulator",
            "Faulty fuel rail pressure sensor",
            "Very low fuel level",
            "On direct-injection and diesel engines, a failing high-pressure pump",
        ),
        (
            "Make sure there is plenty of fuel in the tank",
            "Measure actual fuel pressure with a gauge and compare it with the sensor reading",
            "Check the fuel pump fuse, relay and the voltage reaching the pump",
        ),
        SOON,
        "Drive gently and avoid heavy loads and fast merges: the engine may lose power or "
        "stall suddenly. If it stalls or stumbles badly, stop somewhere safe and have it "
        "towed.",
    )
    _add(
        "P0088",
        "Fuel Rail/System Pressure - Too High",
        "Fuel pressure is higher than the engine computer wants.",
        (
            "Faulty fuel pressure regulator or pressure control valve",
            "Faulty fuel rail pressure sensor",
            "Restricted fuel return line (on systems that have one)",
            "High-pressure pump control fault (direct injection and diesel)",
        ),
        (
            "Compare the sensor reading with a mechanical gauge",
            "Check the pressure regulator or control valve and its wiring",
            "Look for a kinked or blocked return line",
        ),
        SOON,
        _DRIVABILITY,
    )
    intro = (
        "The fuel rail pressure sensor tells the engine computer the fuel pressure at the "
        "injectors."
    )
    _add(
        "P0190",
        "Fuel Rail Pressure Sensor Circuit",
        f"{intro} The computer sees a fault in its circuit.",
        (
            "Failed fuel rail pressure sensor",
            "Damaged wiring or connector",
            "Problem with the 5-volt sensor supply",
        ),
        _ELECTRICAL_CHECKS,
        SOON,
        _STALL,
    )
    _add(
        "P0191",
        "Fuel Rail Pressure Sensor Circuit Range/Performance",
        f"{intro} Its reading doesn't make sense for how the engine is running.",
        (
            "Failing fuel rail pressure sensor",
            "Genuine fuel pressure problem (weak pump, clogged filter)",
            "Poor connection at the sensor",
        ),
        (
            "Compare the sensor reading with a mechanical fuel pressure gauge",
            "Check the fuel filter and pump",
            "Inspect the sensor connector",
        ),
        SOON,
        _STALL,
    )


def _injectors() -> None:
    causes = (
        "Failed injector coil (open or shorted)",
        "Unplugged, loose or corroded injector connector",
        "Damaged injector wiring, or a failed injector power feed or fuse",
        "Engine computer injector driver fault",
    )
    checks = (
        "Check the injector connector is fully seated and clean",
        "Measure the injector's resistance and compare with the specification",
        "Use a noid light or scope to confirm the computer is pulsing the injector",
        "Look for a misfire code on the same cylinder",
    )
    guidance = (
        "Expect a misfire on the affected cylinder. If the engine shakes badly or the "
        "check-engine light flashes, pull over and stop; otherwise drive only gently and get "
        "it fixed soon."
    )
    _add(
        "P0200",
        "Injector Circuit/Open",
        "The engine computer sees an electrical fault, often an open circuit, in the fuel "
        "injector circuits, so one or more cylinders may get no fuel.",
        causes,
        checks,
        SOON,
        guidance,
    )
    for cylinder in range(1, 13):
        _add(
            f"P02{cylinder:02d}",
            f"Injector Circuit/Open - Cylinder {cylinder}",
            "The engine computer sees an electrical fault, usually an open circuit, in the "
            f"cylinder {cylinder} fuel injector circuit, so that cylinder may get no fuel and "
            "misfire.",
            causes,
            checks,
            SOON,
            guidance,
        )


# --- Overheating, fuel pump, boost ---------------------------------------------------------


def _overheating_and_boost() -> None:
    _add(
        "P0217",
        "Engine Coolant Over Temperature Condition",
        "The engine has overheated: coolant temperature went above the safe limit.",
        (
            "Low coolant from a leak (hose, radiator, water pump, heater core)",
            "Cooling fan not working",
            "Thermostat stuck closed",
            "Failing water pump or a broken or slipping drive belt",
            "Clogged radiator",
            "Head gasket failure pushing combustion gas into the coolant",
        ),
        (
            "Let the engine cool completely before opening anything; never open a hot radiator "
            "or expansion tank cap",
            "Check the coolant level and look for leaks",
            "Check that the cooling fans run when the engine is hot or the A/C is on",
            "Have the cooling system pressure-tested and checked for combustion gases",
        ),
        STOP,
        "Pull over safely and switch the engine off now: driving an overheating engine can "
        "warp the cylinder head and blow the head gasket within minutes. Don't open the "
        "radiator cap while hot, and have the car towed if it overheats again after cooling "
        "and topping up.",
    )
    _add(
        "P0218",
        "Transmission Fluid Over Temperature Condition",
        "The automatic transmission fluid has become too hot. Hot fluid breaks down quickly "
        "and can burn the clutches inside the transmission.",
        (
            "Heavy towing, long climbs or stop-and-go traffic in hot weather",
            "Low or burnt transmission fluid",
            "Clogged transmission cooler or cooler lines",
            "Slipping torque converter or clutches generating heat",
            "Faulty fluid temperature sensor giving a false reading",
        ),
        (
            "Let the transmission cool down before driving on",
            "Check the fluid level and condition once cool, using the make's procedure",
            "Inspect the transmission cooler and lines for blockage or damage",
        ),
        STOP,
        "Pull over safely, shift to Park and let the transmission cool before going on; "
        "driving on with overheated fluid can ruin the transmission. If it overheats again "
        "soon after, or slips, have the car towed.",
    )
    _add(
        "P0230",
        "Fuel Pump Primary Circuit",
        "The engine computer sees a fault in the circuit that switches the fuel pump on "
        "(usually through the fuel pump relay).",
        (
            "Failed fuel pump relay",
            "Blown fuse",
            "Wiring or connector fault in the relay control circuit",
            "Fuel pump control module fault (on cars that have one)",
            "Engine computer driver fault",
        ),
        (
            "Check the fuel pump fuse and relay (swap in an identical relay)",
            "Listen for the pump running for a couple of seconds when the ignition is switched on",
            "Check the wiring from the computer to the relay",
        ),
        SOON,
        _STALL,
    )
    _add(
        "P0234",
        "Turbo/Super Charger Overboost Condition",
        "Boost pressure went higher than the engine computer allows. The computer usually cuts "
        "power to protect the engine.",
        (
            "Wastegate stuck closed, or its actuator or linkage seized",
            "Faulty boost control solenoid, or its hoses cracked or swapped",
            "Sticking variable-geometry turbo vanes (common on diesels)",
            "Faulty boost pressure sensor",
        ),
        (
            "Check the wastegate or vane actuator moves freely",
            "Inspect the boost control solenoid and its hoses",
            "Compare requested and actual boost on a scan tool",
        ),
        SOON,
        "Drive gently and avoid full throttle until it is fixed: sustained overboost can damage "
        "the engine. Get it checked soon.",
    )
    _add(
        "P0299",
        "Turbo/Super Charger Underboost",
        "The turbocharger or supercharger is making less boost than the engine computer "
        "asked for, so the engine has less power.",
        (
            "Boost leak: split intercooler hose, loose clamp or cracked intercooler",
            "Wastegate stuck open, or a boost control solenoid fault",
            "Sticking variable-geometry vanes (diesels)",
            "Worn or failing turbocharger",
            "Restricted air intake or exhaust (a clogged particulate filter on diesels)",
        ),
        (
            "Inspect all intercooler pipes and clamps for splits or oily residue",
            "Check the boost control hoses and solenoid",
            "Compare requested and actual boost on a scan tool",
            "Check the turbo for shaft play and oil leaks",
        ),
        SOON,
        "Drivable, but with less power: avoid overtaking or merging where you need full power. "
        "If the turbo starts whining or grinding loudly, or you see heavy blue smoke, stop: "
        "the turbo may be failing.",
    )
    _add(
        "P2263",
        "Turbo/Super Charger Boost System Performance",
        "The boost system isn't reaching or holding the boost pressure the engine computer "
        "expects.",
        (
            "Boost leak in the intercooler pipes or hoses",
            "Sticking wastegate or variable-geometry vanes",
            "Faulty boost control solenoid or boost pressure sensor",
            "Worn turbocharger",
        ),
        (
            "Inspect intercooler pipes and clamps",
            "Check the wastegate or vane actuator movement",
            "Compare requested and actual boost on a scan tool",
        ),
        SOON,
        _LIMP,
    )


# --- Ignition, misfire, knock, crank and cam sensors ---------------------------------------


def _misfires() -> None:
    _add(
        "P0300",
        "Random/Multiple Cylinder Misfire Detected",
        "The engine computer has detected misfires that move between cylinders or affect "
        "several at once: fuel is not burning properly, so the engine shakes, stumbles or "
        "loses power.",
        (
            "Worn spark plugs, or several weak ignition coils",
            "Vacuum leak or other unmeasured air making the mixture lean",
            "Low fuel pressure (weak pump, clogged filter) or contaminated fuel",
            "Dirty or faulty MAF sensor",
            "Mechanical fault: jumped timing chain or belt, low compression",
        ),
        (
            "Read the per-cylinder misfire counters on a scan tool to see which cylinders misfire",
            "Check fuel trims: high positive trims point to a vacuum leak or fuel delivery",
            "Inspect the spark plugs and coils",
            "Measure fuel pressure",
        ),
        SOON,
        _MISFIRE,
    )
    for cylinder in range(1, 13):
        _add(
            f"P03{cylinder:02d}",
            f"Cylinder {cylinder} Misfire Detected",
            f"The engine computer has detected cylinder {cylinder} misfiring: the mixture in "
            "that cylinder is not burning properly, so the engine shakes, idles roughly or "
            "loses power.",
            (
                f"Worn or fouled spark plug in cylinder {cylinder}",
                f"Failing ignition coil (or plug wire) on cylinder {cylinder}",
                f"Clogged, leaking or unplugged fuel injector on cylinder {cylinder}",
                "Vacuum leak near that cylinder's intake port",
                "Low compression: burnt valve, head gasket or worn rings",
            ),
            (
                "Swap the coil (and spark plug) with a neighbouring cylinder, clear the code "
                "and see whether the misfire moves",
                "Pull and inspect the spark plug: worn electrode, oil or fuel fouling, cracked "
                "insulator",
                "Check the injector's connector, and that it clicks when the engine runs",
                "If spark and fuel are fine, do a compression or leak-down test",
            ),
            SOON,
            _MISFIRE,
        )
    _add(
        "P0313",
        _title("P0313"),
        "The engine computer detected misfires while the fuel level was very low: the fuel "
        "pump may have drawn in air, starving the engine for a moment.",
        (
            "Running the tank nearly empty, especially on hills or in corners",
            "Faulty fuel level sender making the gauge read higher than the real level",
            "Weak fuel pump or clogged pump strainer",
            "Any ordinary misfire cause that happened to show up with a low tank",
        ),
        (
            "Refuel, clear the code and see whether it returns",
            "Compare the fuel gauge with the amount it takes to fill the tank",
            "If it returns with a full tank, read the per-cylinder misfire counters",
        ),
        SOON,
        _MISFIRE,
    )
    _add(
        "P0314",
        _title("P0314"),
        "The engine computer detected one cylinder misfiring but could not tell which one.",
        (
            "Worn or fouled spark plug",
            "Failing ignition coil or plug wire",
            "Clogged or leaking fuel injector",
            "Vacuum leak near one cylinder, or low compression",
        ),
        (
            "Read the per-cylinder misfire counters on a scan tool; they may still point to "
            "the cylinder",
            "Inspect the spark plugs and coils",
            "If spark and fuel are fine, do a compression test",
        ),
        SOON,
        _MISFIRE,
    )


def _ignition_coils() -> None:
    causes = (
        "Failed ignition coil",
        "Damaged, loose or corroded coil connector or wiring",
        "No power reaching the coils (fuse or relay)",
        "Engine computer coil driver fault (rare)",
    )
    checks = (
        "Inspect the coil connector and wiring",
        "Swap the coil with another cylinder's and see whether the code follows it",
        "Check coil power and the control signal from the computer",
        "Look for a matching misfire code",
    )
    guidance = (
        "The cylinder this coil fires will probably misfire. If the check-engine light flashes "
        "or the engine shakes badly, pull over and stop; otherwise drive gently and get it "
        "fixed soon."
    )
    _add(
        "P0350",
        "Ignition Coil Primary/Secondary Circuit",
        "The engine computer sees a fault in an ignition coil circuit, so one or more "
        "cylinders may not fire.",
        causes,
        checks,
        SOON,
        guidance,
    )
    for number, letter in enumerate("ABCDEFGHIJKL", start=1):
        _add(
            f"P0{350 + number}",
            f'Ignition Coil "{letter}" Primary/Secondary Circuit',
            f'The engine computer sees a fault in the circuit of ignition coil "{letter}", so '
            "the cylinder it fires may not fire. On most coil-on-plug engines coil "
            f'"{letter}" serves cylinder {number}, but check the make\'s layout.',
            causes,
            checks,
            SOON,
            guidance,
        )


def _knock_sensors() -> None:
    intro = (
        "The knock sensor listens for pinging (knock) so the computer can retard the ignition "
        "timing before it harms the engine."
    )
    electrical = (
        "Failed knock sensor",
        "Damaged wiring or connector (often under the intake manifold, where oil or coolant "
        "can collect)",
        "Sensor loose, or not tightened to the specified torque",
        "Engine computer fault (rare)",
    )
    checks = (
        "Inspect the sensor connector and wiring",
        "Check the sensor is tightened to the specified torque",
        "Test the sensor's resistance or signal as the service manual describes",
        "Use the fuel grade the owner's manual requires",
    )
    guidance = (
        "Drivable gently; the computer usually retards the timing, costing some power and "
        "economy. Use the required fuel grade and avoid heavy loads or towing until it is "
        "fixed, because knock that goes unnoticed can damage pistons."
    )
    for code, title, problem, causes in (
        (
            "P0325",
            "Knock Sensor 1 Circuit (Bank 1 or Single Sensor)",
            "The computer sees a fault in the circuit of knock sensor 1.",
            electrical,
        ),
        (
            "P0326",
            "Knock Sensor 1 Circuit Range/Performance (Bank 1 or Single Sensor)",
            "Knock sensor 1 gives a signal that doesn't fit how the engine is running.",
            (
                "Genuine engine knock (low-octane fuel, carbon build-up, overheating)",
                "Loose sensor or wrong mounting torque",
                "Mechanical engine noise picked up by the sensor",
                "Failing knock sensor",
            ),
        ),
        (
            "P0327",
            "Knock Sensor 1 Circuit Low (Bank 1 or Single Sensor)",
            "The signal from knock sensor 1 is weaker than it should be.",
            electrical,
        ),
        (
            "P0328",
            "Knock Sensor 1 Circuit High (Bank 1 or Single Sensor)",
            "The signal from knock sensor 1 is stronger than it should be.",
            electrical,
        ),
        (
            "P0330",
            "Knock Sensor 2 Circuit (Bank 2)",
            "The computer sees a fault in the circuit of knock sensor 2.",
            electrical,
        ),
        (
            "P0332",
            "Knock Sensor 2 Circuit Low (Bank 2)",
            "The signal from knock sensor 2 is weaker than it should be.",
            electrical,
        ),
        (
            "P0329",
            _title("P0329"),
            "The signal from knock sensor 1 drops out from time to time.",
            electrical,
        ),
        (
            "P0331",
            _title("P0331"),
            "Knock sensor 2 gives a signal that doesn't fit how the engine is running.",
            (
                "Genuine engine knock (low-octane fuel, carbon build-up, overheating)",
                "Loose sensor or wrong mounting torque",
                "Mechanical engine noise picked up by the sensor",
                "Failing knock sensor",
            ),
        ),
        (
            "P0333",
            _title("P0333"),
            "The signal from knock sensor 2 is stronger than it should be.",
            electrical,
        ),
        (
            "P0334",
            _title("P0334"),
            "The signal from knock sensor 2 drops out from time to time.",
            electrical,
        ),
    ):
        _add(code, title, f"{intro} {problem}", causes, checks, SOON, guidance)


def _position_sensors() -> None:
    crank = (
        "The crankshaft position sensor tells the computer engine speed and piston position; "
        "without it the engine cannot run."
    )
    crank_causes = (
        "Failed crankshaft position sensor (they often fail when hot and recover when cool)",
        "Damaged wiring or connector",
        "Damaged, dirty or loose reluctor (tone) wheel, or metal debris on the sensor tip",
        "Wrong air gap, or sensor not seated after a repair",
    )
    crank_checks = (
        "Inspect the sensor wiring and connector",
        "Watch engine rpm on a scan tool while cranking: no rpm points to this sensor or its "
        "circuit",
        "Check the sensor signal with a scope and compare it with the service manual",
        "Inspect the sensor tip and reluctor wheel for damage or debris",
    )
    for code, suffix, problem in (
        ("P0335", "", "The computer sees a fault in its circuit or gets no signal."),
        (
            "P0336",
            " Range/Performance",
            "Its signal is erratic or has missing or extra pulses.",
        ),
        ("P0337", " Low", "Its signal voltage is below the normal range."),
        ("P0338", " High", "Its signal voltage is above the normal range."),
        ("P0339", " Intermittent", "Its signal drops out from time to time."),
    ):
        _add(
            code,
            f'Crankshaft Position Sensor "A" Circuit{suffix}',
            f"{crank} {problem}",
            crank_causes,
            crank_checks,
            SOON,
            _STALL,
        )

    cam = (
        "The camshaft position sensor tells the computer which stroke each cylinder is on, for "
        "fuel injection and spark timing."
    )
    cam_causes = (
        "Failed camshaft position sensor",
        "Damaged wiring or connector, or oil wicking into the connector",
        "Timing chain or belt stretched or jumped a tooth",
        "Damaged camshaft reluctor (target) wheel",
    )
    cam_checks = (
        "Inspect the sensor wiring and connector",
        "Check the 5-volt reference, ground and signal at the sensor",
        "Compare cam and crank signals with a scope",
        "Check valve timing if the sensor and wiring are fine",
    )
    cam_guidance = (
        "The engine may be hard to start, run roughly or stall, and may not restart once "
        "switched off. Drive gently, avoid long trips and get it checked soon."
    )
    for code, suffix, where, problem in (
        ("P0340", "", "Bank 1 or Single Sensor", "The computer sees a fault in its circuit."),
        (
            "P0341",
            " Range/Performance",
            "Bank 1 or Single Sensor",
            "Its signal is erratic or out of step with the crankshaft signal.",
        ),
        ("P0342", " Low", "Bank 1 or Single Sensor", "Its signal voltage is below the range."),
        ("P0343", " High", "Bank 1 or Single Sensor", "Its signal voltage is above the range."),
        (
            "P0344",
            " Intermittent",
            "Bank 1 or Single Sensor",
            "Its signal drops out from time to time.",
        ),
        ("P0345", "", "Bank 2", "The computer sees a fault in the bank 2 sensor's circuit."),
    ):
        _add(
            code,
            f'Camshaft Position Sensor "A" Circuit{suffix} ({where})',
            f"{cam} {problem}",
            cam_causes,
            cam_checks,
            SOON,
            cam_guidance,
        )
    problems = (
        "The computer sees a fault in its circuit.",
        "Its signal is erratic or out of step with the crankshaft signal.",
        "Its signal voltage is below the normal range.",
        "Its signal voltage is above the normal range.",
        "Its signal drops out from time to time.",
    )
    # Sensor "A" on bank 2 (P0345 is above), then sensor "B" (usually the exhaust camshaft's)
    # on each bank.
    for base, sensor, bank, skip in ((345, "A", 2, 1), (365, "B", 1, 0), (390, "B", 2, 0)):
        for offset, problem in enumerate(problems[skip:], start=skip):
            code = f"P0{base + offset}"
            _add(
                code,
                _title(code),
                f'{cam} This is sensor "{sensor}" on {_BANK[bank]}; {problem[0].lower()}'
                f"{problem[1:]}",
                cam_causes,
                cam_checks,
                SOON,
                cam_guidance,
            )
    crank_b = (
        'Some engines have a second crankshaft position sensor, "B", which the computer uses '
        "alongside the first for engine speed and piston position."
    )
    for offset, problem in enumerate(problems):
        code = f"P0{385 + offset}"
        if offset == 1:
            problem = "Its signal is erratic or has missing or extra pulses."
        _add(
            code,
            _title(code),
            f"{crank_b} {problem}",
            crank_causes,
            crank_checks,
            SOON,
            _STALL,
        )


# --- Emission controls: EGR, secondary air, catalyst, EVAP --------------------------------


def _egr() -> None:
    intro = (
        "The exhaust gas recirculation (EGR) system feeds some exhaust back into the intake to "
        "lower combustion temperature and NOx emissions."
    )
    sticking = (
        "Carbon-clogged EGR valve or passages",
        "Sticking or failed EGR valve",
        "Faulty EGR control solenoid, or a cracked or disconnected vacuum hose",
        "Faulty EGR position or pressure (DPFE) sensor",
    )
    flow_checks = (
        "Read the freeze-frame data to see when the code set",
        "Command the EGR valve open with a scan tool at idle: the engine should stumble",
        "Inspect the valve and passages for carbon",
        "Check the vacuum hoses and control solenoid",
    )
    electrical = (
        "Failed EGR valve solenoid, motor or position sensor",
        "Damaged wiring or connector",
        "Blown fuse",
        "Engine computer driver fault (rare)",
    )
    pinging = (
        "Usually drivable, though the idle may be rough or the engine may ping under load. "
        "Get it checked soon, and ease off if you hear pinging or knocking."
    )
    _add(
        "P0400",
        "Exhaust Gas Recirculation Flow",
        f"{intro} The computer sees EGR flow that is not what it expects.",
        sticking,
        flow_checks,
        SOON,
        pinging,
    )
    _add(
        "P0401",
        "Exhaust Gas Recirculation Flow Insufficient Detected",
        f"{intro} Less exhaust is flowing back than the computer expects.",
        (
            "Carbon build-up in the EGR passages or ports (very common)",
            "Sticking EGR valve",
            "Faulty EGR vacuum solenoid, or a cracked vacuum hose",
            "Faulty EGR pressure (DPFE) or position sensor",
        ),
        flow_checks,
        MONITOR,
        "Safe to drive. If you hear pinging or knocking when accelerating or climbing, ease off "
        "and get it checked sooner, as sustained knock can damage the engine.",
    )
    _add(
        "P0402",
        "Exhaust Gas Recirculation Flow Excessive Detected",
        f"{intro} Too much exhaust is flowing back, especially at idle.",
        (
            "EGR valve held open by carbon",
            "Faulty EGR control solenoid",
            "Faulty EGR position or pressure sensor",
            "Vacuum hoses routed wrongly after a repair",
        ),
        flow_checks,
        SOON,
        "The engine may idle roughly, hesitate or stall at low speed. Leave extra room in "
        "traffic in case it stalls, and get it checked soon.",
    )
    for code, title, problem, causes in (
        (
            "P0403",
            "Exhaust Gas Recirculation Control Circuit",
            "The computer sees an electrical fault in the EGR valve's control circuit.",
            electrical,
        ),
        (
            "P0404",
            "Exhaust Gas Recirculation Control Circuit Range/Performance",
            "The EGR valve isn't reaching the position the computer commands.",
            (
                "Carbon making the EGR valve stick",
                "Failing EGR valve or position sensor",
                "Wiring or connector fault",
            ),
        ),
        (
            "P0405",
            'Exhaust Gas Recirculation Sensor "A" Circuit Low',
            "The EGR position or pressure sensor signal is below its normal range.",
            electrical,
        ),
        (
            "P0406",
            'Exhaust Gas Recirculation Sensor "A" Circuit High',
            "The EGR position or pressure sensor signal is above its normal range.",
            electrical,
        ),
    ):
        _add(code, title, f"{intro} {problem}", causes, _ELECTRICAL_CHECKS, SOON, pinging)


def _secondary_air() -> None:
    intro = (
        "Many petrol engines pump fresh air into the exhaust for a minute or two after a cold "
        "start to heat the catalytic converter faster."
    )
    causes = (
        "Failed air pump (water getting into it is a common cause)",
        "Stuck or leaking check (combination) valve",
        "Blown fuse or failed pump relay",
        "Cracked or disconnected hoses",
    )
    checks = (
        "Listen for the air pump running for up to two minutes after a cold start",
        "Check the pump fuse and relay",
        "Inspect the hoses and check valve; if exhaust got past the valve, replace the valve "
        "and the pump",
    )
    for code, title, problem in (
        ("P0410", "Secondary Air Injection System", "The computer sees a fault in this system."),
        (
            "P0411",
            "Secondary Air Injection System Incorrect Flow Detected",
            "The oxygen sensors don't see the expected extra air when the pump runs.",
        ),
        (
            "P0412",
            'Secondary Air Injection System Switching Valve "A" Circuit',
            "The computer sees an electrical fault in the air switching valve circuit.",
        ),
    ):
        _add(code, title, f"{intro} {problem}", causes, checks, MONITOR, _EMISSIONS)


def _catalysts() -> None:
    causes = (
        "Worn-out catalytic converter, often after years of use or after misfires or oil burning",
        "Exhaust leak near the oxygen sensors",
        "Faulty or slow downstream (or upstream) oxygen sensor",
        "Engine problem damaging the converter: misfire, rich running, burning oil or coolant",
    )
    checks = (
        "Fix any misfire, fuel trim or oxygen sensor codes first; they often cause or mimic "
        "this one",
        "Check for exhaust leaks ahead of and around the downstream sensor",
        "Compare upstream and downstream sensor signals: with a healthy converter the "
        "downstream signal stays fairly steady",
        "Check whether the engine uses oil or coolant, which poisons the converter",
    )
    guidance = (
        "Safe to drive if the engine runs normally, but the car will fail an emissions "
        "inspection. Get it checked soon if you notice a rotten-egg smell, rattling under the "
        "car or loss of power, or if misfire codes appear too."
    )
    for code, title, bank, which in (
        ("P0420", "Catalyst System Efficiency Below Threshold (Bank 1)", 1, "catalytic converter"),
        ("P0421", "Warm Up Catalyst Efficiency Below Threshold (Bank 1)", 1, "warm-up converter"),
        ("P0430", "Catalyst System Efficiency Below Threshold (Bank 2)", 2, "catalytic converter"),
        ("P0431", "Warm Up Catalyst Efficiency Below Threshold (Bank 2)", 2, "warm-up converter"),
    ):
        _add(
            code,
            title,
            f"The oxygen sensor after the {which} on {_BANK[bank]} shows that the converter no "
            "longer stores and cleans the exhaust as well as it should.",
            causes,
            checks,
            MONITOR,
            guidance,
        )


def _evap() -> None:
    intro = (
        "The evaporative emission (EVAP) system stores fuel-tank vapour in a charcoal canister "
        "and burns it in the engine later."
    )
    cap_check = "Check the fuel cap clicks shut and its rubber seal is intact"
    smoke = "Have the system smoke-tested to find the leak"
    electrical = (
        "Failed valve solenoid",
        "Damaged wiring or connector",
        "Blown fuse",
    )
    leak_causes = (
        "Fuel cap worn, cross-threaded or not tightened",
        "Cracked EVAP hose or loose connection",
        "Leaking purge or vent valve",
        "Leaking charcoal canister or filler neck",
    )
    rows = (
        (
            "P0440",
            "Evaporative Emission System",
            "The computer sees a fault somewhere in this system.",
            ("Loose or damaged fuel cap", *leak_causes[1:], "Faulty tank pressure sensor"),
            (cap_check, "Read the other EVAP codes for a more specific hint", smoke),
            _EVAP,
        ),
        (
            "P0441",
            "Evaporative Emission System Incorrect Purge Flow",
            "The computer doesn't see the expected change when it opens the purge valve, which "
            "draws vapour from the canister into the engine.",
            (
                "Purge valve stuck open or closed",
                "Cracked, blocked or disconnected purge hose",
                "Blocked canister or vent",
                "Faulty tank pressure sensor",
            ),
            (
                "Apply vacuum to the purge valve, or command it with a scan tool, to check it "
                "opens and seals",
                "Inspect the purge hoses",
                smoke,
            ),
            _EVAP,
        ),
        (
            "P0442",
            "Evaporative Emission System Leak Detected (small leak)",
            "The EVAP self-test found a small leak, about 1 mm (0.040 in) across.",
            leak_causes,
            (cap_check, smoke, "Inspect hoses around the canister and filler neck"),
            _EVAP,
        ),
        (
            "P0443",
            "Evaporative Emission System Purge Control Valve Circuit",
            "The computer sees an electrical fault in the purge valve circuit.",
            electrical,
            _ELECTRICAL_CHECKS,
            "Safe to drive; if the engine is hard to start right after refuelling, the purge "
            "valve may be stuck open. Fix it when convenient.",
        ),
        (
            "P0446",
            "Evaporative Emission System Vent Control Circuit",
            "The canister vent valve, which lets air in and out of the canister, isn't working "
            "as commanded or its circuit is faulty.",
            (
                "Faulty vent valve",
                "Vent valve or its filter blocked with dirt or insects",
                "Wiring or connector fault (the valve often sits near the rear axle, exposed to "
                "road grime)",
            ),
            ("Inspect the vent valve and its filter for dirt", *_ELECTRICAL_CHECKS[:2]),
            _EVAP,
        ),
        (
            "P0449",
            "Evaporative Emission System Vent Valve/Solenoid Circuit",
            "The computer sees an electrical fault in the canister vent valve circuit.",
            electrical,
            _ELECTRICAL_CHECKS,
            _EVAP,
        ),
        (
            "P0451",
            "Evaporative Emission System Pressure Sensor/Switch Range/Performance",
            "The fuel tank pressure sensor used for the leak test gives readings that don't "
            "make sense.",
            (
                "Faulty fuel tank pressure sensor",
                "Blocked or kinked vapour line to the sensor",
                "Fuel in the vapour lines from overfilling the tank",
                "Wiring fault",
            ),
            ("Stop filling at the pump's first click", *_ELECTRICAL_CHECKS[:2]),
            _EVAP,
        ),
        (
            "P0452",
            "Evaporative Emission System Pressure Sensor/Switch Low",
            "The fuel tank pressure sensor's signal is below its normal range.",
            ("Faulty fuel tank pressure sensor", "Signal wire open or shorted to ground"),
            _ELECTRICAL_CHECKS,
            _EVAP,
        ),
        (
            "P0453",
            "Evaporative Emission System Pressure Sensor/Switch High",
            "The fuel tank pressure sensor's signal is above its normal range.",
            ("Faulty fuel tank pressure sensor", "Signal wire shorted to voltage"),
            _ELECTRICAL_CHECKS,
            _EVAP,
        ),
        (
            "P0455",
            "Evaporative Emission System Leak Detected (large leak)",
            "The EVAP self-test found a large leak, or could not pull vacuum on the system.",
            (
                "Fuel cap missing, loose or the wrong type",
                "Disconnected or split EVAP hose",
                "Purge valve stuck closed, or vent valve stuck open",
                "Cracked canister or filler neck",
            ),
            (cap_check, smoke, "Check the purge and vent valves work"),
            "Safe to drive if you smell no fuel: the EVAP system holds only vapour, and the "
            "cause is usually a loose cap or a split hose. If you smell raw fuel or see it "
            "dripping, don't drive: a liquid fuel leak is a fire risk, so have it checked "
            "where the car stands.",
        ),
        (
            "P0456",
            "Evaporative Emission System Leak Detected (very small leak)",
            "The EVAP self-test found a very small leak, about 0.5 mm (0.020 in) across.",
            leak_causes,
            (cap_check, smoke),
            _EVAP,
        ),
        (
            "P0457",
            "Evaporative Emission System Leak Detected (fuel cap loose/off)",
            "The EVAP self-test found a leak that looks like a loose or missing fuel cap, "
            "usually right after refuelling.",
            (
                "Fuel cap loose, missing or not clicked shut",
                "Worn fuel cap seal",
                *leak_causes[1:2],
            ),
            (cap_check, "Replace the cap if its seal is cracked or flattened"),
            "Safe to drive. Tighten or refit the fuel cap; the light usually goes out by itself "
            "after a few days of normal driving once the system passes its test.",
        ),
        (
            "P0496",
            "Evaporative Emission System High Purge Flow",
            "Vapour is flowing into the engine when the purge valve should be closed; the "
            "purge valve is most likely stuck open.",
            (
                "Purge valve stuck open (often with charcoal debris inside)",
                "Purge valve wiring shorted, keeping it switched on",
                "Charcoal canister breaking up",
            ),
            (
                "With the engine off, check that the purge valve seals when vacuum is applied",
                "Look for charcoal granules in the purge hose",
            ),
            "Safe to drive. If the engine is hard to start or stalls right after refuelling, "
            "stop filling at the pump's first click and get the purge valve replaced soon.",
        ),
    )
    for code, title, problem, causes, checks, guidance in rows:
        _add(code, title, f"{intro} {problem}", causes, checks, MONITOR, guidance)


# --- Fuel level, fans, speed, idle, oil pressure, A/C, voltage ----------------------------


def _fuel_level() -> None:
    intro = (
        "The fuel level sensor (sender) in the tank tells the gauge and the computer how much "
        "fuel is left."
    )
    causes = (
        "Worn fuel level sender (its resistor track wears out)",
        "Wiring or connector fault at the fuel pump module",
        "Instrument cluster fault (less common)",
    )
    checks = (
        "Compare the gauge with the fuel actually added at a fill-up",
        "Inspect the connector on top of the fuel pump module",
        "Watch the fuel level reading on a scan tool for jumps",
    )
    guidance = (
        "Safe to drive, but don't trust the fuel gauge: refuel by distance on the trip meter "
        "so you don't run out. Fix it when convenient."
    )
    for code, suffix, problem in (
        ("P0460", "", "The computer sees a fault in its circuit."),
        (
            "P0461",
            " Range/Performance",
            "Its reading doesn't change the way fuel use says it should.",
        ),
        ("P0462", " Low", "Its signal voltage is below the normal range."),
        ("P0463", " High", "Its signal voltage is above the normal range."),
    ):
        _add(
            code,
            f'Fuel Level Sensor "A" Circuit{suffix}',
            f"{intro} {problem}",
            causes,
            checks,
            MONITOR,
            guidance,
        )


def _cooling_fans() -> None:
    intro = (
        "The electric cooling fans pull air through the radiator when the car is slow or stopped."
    )
    causes = (
        "Failed fan relay or blown fuse",
        "Worn or seized fan motor",
        "Fan control module fault (on cars that have one)",
        "Damaged wiring or connector",
    )
    checks = (
        "With the engine hot or the A/C on, check whether the fans run",
        "Check the fan fuses and relays",
        "Command the fans on with a scan tool",
        "Check the fan motor spins freely by hand, with the engine off",
    )
    for code, title, problem in (
        (
            "P0480",
            "Fan 1 Control Circuit",
            "The computer sees a fault in the fan 1 control circuit.",
        ),
        (
            "P0481",
            "Fan 2 Control Circuit",
            "The computer sees a fault in the fan 2 control circuit.",
        ),
        (
            "P0482",
            "Fan 3 Control Circuit",
            "The computer sees a fault in the fan 3 control circuit.",
        ),
        (
            "P0483",
            "Fan Rationality Check",
            "The fan isn't having the effect on temperature or speed that the computer expects.",
        ),
        (
            "P0484",
            "Fan Circuit Over Current",
            "A fan is drawing too much current, typical of a worn or sticking motor.",
        ),
    ):
        _add(code, title, f"{intro} {problem}", causes, checks, SOON, _COOLING)


def _speed_and_idle() -> None:
    intro = "The vehicle speed sensor tells the computers how fast the car is going."
    causes = (
        "Failed speed sensor (on many newer cars the ABS wheel speed sensors provide this)",
        "Damaged wiring or connector",
        "Damaged sensor drive gear or tone ring",
        "ABS module fault, on cars that take speed from the ABS",
    )
    checks = (
        "Check whether the speedometer works",
        "Look for ABS or wheel speed sensor codes",
        "Inspect the sensor wiring and connector",
        "Watch vehicle speed on a scan tool while driving slowly",
    )
    guidance = (
        "The speedometer may be wrong or dead, and automatic shifts, cruise control and "
        "sometimes ABS may act oddly. Drive carefully, judging speed from traffic, and get it "
        "checked soon."
    )
    for code, suffix, problem in (
        ("P0500", "", "The computer sees a fault with its signal."),
        ("P0501", " Range/Performance", "Its reading doesn't fit engine speed and gear."),
        ("P0502", " Circuit Low Input", "Its signal is missing or too low."),
        ("P0503", " Intermittent/Erratic/High", "Its signal drops out, jumps or is too high."),
    ):
        _add(
            code,
            f'Vehicle Speed Sensor "A"{suffix}',
            f"{intro} {problem}",
            causes,
            checks,
            SOON,
            guidance,
        )
    _add(
        "P0504",
        'Brake Switch "A"/"B" Correlation',
        "The brake pedal switch has two signals that should change together when you press "
        "the pedal, and they disagree. The brake lights may not work.",
        (
            "Faulty or misadjusted brake light switch",
            "Broken plastic stop pad under the brake pedal",
            "Wiring or connector fault",
            "Blown brake light fuse",
        ),
        (
            "Have someone confirm all brake lights come on when you press the pedal",
            "Inspect the switch and its stop pad at the pedal",
            "Watch both switch signals on a scan tool while pressing the pedal",
        ),
        SOON,
        "Check your brake lights before driving on: if they don't work, following drivers "
        "won't see you slow down, so get it fixed before driving. Cruise control may also be "
        "disabled.",
    )
    idle_causes = (
        "Dirty throttle body or idle air control valve (carbon build-up)",
        "Failed idle air control valve or electronic throttle",
        "Vacuum leak",
        "Wiring or connector fault",
    )
    idle_checks = (
        "Inspect and clean the throttle body and idle air passage",
        "Check for vacuum leaks",
        "Watch commanded and actual idle speed on a scan tool",
        "Some cars need an idle relearn after cleaning or battery disconnection",
    )
    _add(
        "P0505",
        "Idle Air Control System",
        "The engine computer can't hold the idle speed it wants: the idle may be too high, too "
        "low or hunting.",
        idle_causes,
        idle_checks,
        SOON,
        "Usually drivable, but the engine may stall as you slow down or stop; if it stalls, "
        "steering and braking take more effort. Leave extra room and get it checked soon.",
    )
    _add(
        "P0506",
        "Idle Air Control System RPM Lower Than Expected",
        "The engine idles slower than the computer wants, even after its corrections.",
        (
            "Dirty throttle body restricting idle air",
            "Failing idle air control valve or electronic throttle",
            "Heavy engine load from an accessory (A/C compressor, alternator)",
            "Engine running poorly (misfire, low compression)",
        ),
        idle_checks,
        SOON,
        "Usually drivable, but the engine may stall at stops; if it stalls, steering and "
        "braking take more effort. Get it checked soon.",
    )
    _add(
        "P0507",
        "Idle Air Control System RPM Higher Than Expected",
        "The engine idles faster than the computer wants, even after its corrections.",
        (
            "Vacuum leak (hose, intake gasket, brake booster)",
            "Throttle body or idle valve sticking open, or an idle relearn needed",
            "Faulty idle air control valve",
        ),
        idle_checks,
        MONITOR,
        "Safe to drive: the car may creep more at stops, so keep a firm foot on the brake. "
        "Fix it when convenient.",
    )


def _oil_pressure() -> None:
    verify = "Verify real oil pressure with a mechanical gauge before blaming the sensor"
    level = "Check the oil level on the dipstick with the car level and the engine off"
    connector = "Inspect the sensor connector for oil inside it, corrosion or damage"
    low_pressure_causes = (
        "Low oil level (leak or oil consumption)",
        "Wrong viscosity or badly worn-out oil",
        "Clogged oil pickup screen or oil filter",
        "Worn oil pump or worn engine bearings",
        "Faulty oil pressure sensor or wiring (confirm with a gauge first)",
    )
    stop_until_verified = (
        "Pull over safely and switch off, then check the oil level. Don't drive on until the "
        "level is correct and real oil pressure is confirmed (the oil warning light stays off "
        "with the engine running, ideally a gauge test): an engine without oil pressure can be "
        "destroyed within minutes."
    )
    _add(
        "P0520",
        "Engine Oil Pressure Sensor/Switch Circuit",
        "The engine computer sees a fault in the oil pressure sensor's circuit, so it cannot "
        "monitor oil pressure reliably.",
        (
            "Faulty oil pressure sensor or switch (they often leak oil into their own plug)",
            "Damaged wiring or connector",
            "Low oil level or genuinely low oil pressure, on some systems",
        ),
        (level, connector, verify),
        SOON,
        "Check the oil level before driving on. If it is correct, the oil warning light stays "
        "off and the engine sounds normal, drive gently to a workshop soon; if the oil light "
        "comes on or the engine starts ticking or knocking, pull over and switch off at once.",
    )
    _add(
        "P0521",
        "Engine Oil Pressure Sensor/Switch Range/Performance",
        "The oil pressure reading doesn't match what the computer expects for the engine's "
        "speed and temperature. It can be a sensor fault, but it can also be real low oil "
        "pressure.",
        (
            "Low oil level, or oil of the wrong viscosity",
            "Faulty oil pressure sensor",
            "Worn oil pump, clogged pickup or worn bearings",
            "Variable oil pump control fault (on engines that have one)",
        ),
        (level, verify, connector),
        STOP,
        stop_until_verified,
    )
    _add(
        "P0522",
        "Engine Oil Pressure Sensor/Switch Low Voltage",
        "The oil pressure sensor's signal is below its normal range, which reads as little or "
        "no oil pressure. Often it is the sensor or wiring, but the computer cannot tell that "
        "apart from a real loss of pressure.",
        (
            "Faulty oil pressure sensor",
            "Signal wire shorted to ground, or a lost 5-volt reference",
            "Genuinely low oil pressure (low oil level, worn pump or bearings)",
        ),
        (level, verify, connector),
        STOP,
        stop_until_verified,
    )
    _add(
        "P0523",
        "Engine Oil Pressure Sensor/Switch High Voltage",
        "The oil pressure sensor's signal is above its normal range, so it reads higher than "
        "possible and could hide a real drop in pressure.",
        (
            "Faulty oil pressure sensor",
            "Signal wire shorted to voltage, or an open sensor ground",
            "Damaged connector",
        ),
        (level, connector, verify),
        SOON,
        "Check the oil level before driving on, and drive gently to a workshop soon. The "
        "oil pressure warning may not work while this is set, so stop at once if the engine "
        "starts ticking or knocking.",
    )
    _add(
        "P0524",
        "Engine Oil Pressure Too Low",
        "The engine's oil pressure has dropped below the safe minimum. Without enough oil "
        "pressure the bearings and other moving parts wear out in minutes.",
        low_pressure_causes,
        (level, "Look for oil leaks, and note whether the oil warning light is on", verify),
        STOP,
        "Pull over safely and switch the engine off now: running with low oil pressure can "
        "destroy the engine within minutes. Check the oil level once stopped; don't restart "
        "unless the level was low and topping up makes the oil light go out at once, and even "
        "then have the pressure checked before driving far.",
    )


def _air_conditioning_and_voltage() -> None:
    intro = (
        "The A/C refrigerant pressure sensor tells the computer the refrigerant pressure, to "
        "protect the compressor and, on many cars, to control the cooling fans."
    )
    guidance = (
        "Safe to drive; the A/C will probably not work until it is fixed. On some cars this "
        "sensor also drives the cooling fans, so keep an eye on the temperature gauge."
    )
    for code, suffix, problem, causes in (
        (
            "P0530",
            "",
            "The computer sees a fault in its circuit.",
            ("Faulty pressure sensor", "Damaged wiring or connector", "Very low refrigerant"),
        ),
        (
            "P0532",
            " Low",
            "Its signal is below the normal range.",
            (
                "Refrigerant leak leaving the system nearly empty",
                "Faulty pressure sensor",
                "Signal wire open or shorted to ground",
            ),
        ),
        (
            "P0533",
            " High",
            "Its signal is above the normal range.",
            (
                "System overcharged, or condenser airflow blocked (fan not working)",
                "Faulty pressure sensor",
                "Signal wire shorted to voltage",
            ),
        ),
    ):
        _add(
            code,
            f'A/C Refrigerant Pressure Sensor "A" Circuit{suffix}',
            f"{intro} {problem}",
            causes,
            (
                "Check the A/C pressures with gauges",
                "Inspect the sensor connector and wiring",
                "Check the condenser is clear and the fans run",
            ),
            MONITOR,
            guidance,
        )

    voltage_checks = (
        "Measure battery voltage: about 12.6 V with the engine off and roughly 13.5-14.8 V "
        "running (many newer cars vary charging voltage on purpose)",
        "Clean and tighten the battery terminals and main ground straps",
        "Check the alternator drive belt",
        "Have the battery load-tested and the alternator output checked",
    )
    _add(
        "P0560",
        "System Voltage",
        "The engine computer sees its supply voltage outside the normal range or unstable.",
        (
            "Failing battery or alternator",
            "Loose or corroded battery terminals or ground straps",
            "Wiring fault in the computer's power feed",
        ),
        voltage_checks,
        SOON,
        _CHARGING,
    )
    _add(
        "P0562",
        "System Voltage Low",
        "The engine computer sees supply voltage below normal. The battery may not be charging, "
        "so the car can die or fail to restart.",
        (
            "Failing alternator or voltage regulator",
            "Loose, worn or broken alternator belt",
            "Weak or failing battery",
            "Loose or corroded battery terminals or ground straps",
            "Fault in the wiring that feeds the computer",
        ),
        voltage_checks,
        SOON,
        _CHARGING,
    )
    _add(
        "P0563",
        "System Voltage High",
        "The engine computer sees supply voltage above normal, usually the alternator "
        "overcharging.",
        (
            "Faulty alternator voltage regulator",
            "Poor voltage-sense connection to the alternator",
            "Incorrect jump-starting or battery charger left connected",
        ),
        voltage_checks,
        SOON,
        "Get it checked soon: overcharging can boil the battery and damage electronics. If the "
        "battery gets hot or swollen, you smell rotten eggs, or bulbs flare or blow, stop and "
        "switch off.",
    )


# --- Engine computer and outputs -----------------------------------------------------------


def _engine_computer() -> None:
    module_causes = (
        "Engine computer internal fault",
        "Poor power or ground supply to the computer (check the battery and grounds first)",
        "Software that needs updating or reprogramming",
        "Water getting into the computer or its connectors",
    )
    module_checks = (
        "Check battery voltage and the computer's power and ground connections",
        "Clear the code and see whether it returns",
        "Ask a dealer whether a software update or bulletin applies",
    )
    for code, title, problem in (
        (
            "P0600",
            "Serial Communication Link",
            "The engine computer has lost, or gets garbled, communication on a link with "
            "another control module.",
        ),
        (
            "P0601",
            "Internal Control Module Memory Check Sum Error",
            "The engine computer found corrupt data in its own memory; it usually needs "
            "reprogramming or replacing.",
        ),
        (
            "P0602",
            "Control Module Programming Error",
            "The engine computer is not programmed, or its programming is incomplete or corrupt.",
        ),
        (
            "P0604",
            "Internal Control Module Random Access Memory (RAM) Error",
            "The engine computer's working memory failed its self-test.",
        ),
        (
            "P0605",
            "Internal Control Module Read Only Memory (ROM) Error",
            "The engine computer's program memory failed its self-test.",
        ),
        (
            "P0606",
            "ECM/PCM Processor",
            "The engine computer's processor failed an internal self-check.",
        ),
        (
            "P0607",
            "Control Module Performance",
            "The engine computer found one of its internal circuits not performing as it should.",
        ),
    ):
        _add(code, title, problem, module_causes, module_checks, SOON, _COMPUTER)
    _add(
        "P0603",
        "Internal Control Module Keep Alive Memory (KAM) Error",
        "The engine computer lost the learned values it keeps while the car is off, often "
        "after the battery was disconnected or went flat.",
        (
            "Battery recently disconnected, replaced or run flat",
            "Poor constant power feed or ground to the computer",
            "Engine computer internal fault",
        ),
        (
            "Check battery condition and terminal connections",
            "Check the computer's constant power fuse and grounds",
            "Clear the code and see whether it returns",
        ),
        MONITOR,
        "Safe to drive; the engine may idle or shift a little oddly while it relearns. If the "
        "code keeps coming back, have the computer's power supply checked.",
    )
    _add(
        "P0615",
        "Starter Relay Circuit",
        "The engine computer sees a fault in the starter relay control circuit, so the engine "
        "may not crank.",
        (
            "Failed starter relay",
            "Blown fuse",
            "Wiring or connector fault",
            "Faulty clutch pedal or Park/Neutral switch input (on some makes)",
        ),
        (
            "Check the starter relay and fuse (swap in an identical relay)",
            "Check the wiring between the computer and the relay",
        ),
        SOON,
        "Driving is not affected, but the engine may not crank the next time you try to start "
        "it. Avoid switching off where you couldn't get help, and get it checked soon.",
    )
    for code, title, problem in (
        (
            "P0620",
            "Generator Control Circuit",
            "The engine computer sees a fault in the circuit it uses to control the alternator.",
        ),
        (
            "P0622",
            "Generator Field/F Terminal Circuit",
            "The engine computer sees a fault in the alternator field control circuit.",
        ),
    ):
        _add(
            code,
            title,
            f"{problem} The battery may not be charged properly.",
            (
                "Failing alternator or voltage regulator",
                "Damaged wiring or connector at the alternator",
                "Engine computer fault (rare)",
            ),
            (
                "Measure charging voltage with the engine running",
                "Inspect the alternator connector and wiring",
                "Have the alternator tested",
            ),
            SOON,
            _CHARGING,
        )
    _add(
        "P0627",
        'Fuel Pump "A" Control Circuit/Open',
        "The engine computer sees an open or fault in the fuel pump control circuit, so the "
        "pump may not run.",
        (
            "Failed fuel pump relay or control module",
            "Open wiring or a poor connection",
            "Blown fuse",
            "Failing fuel pump",
        ),
        (
            "Listen for the pump priming when the ignition is switched on",
            "Check the fuel pump fuse, relay or control module",
            "Check the wiring and connectors to the pump",
        ),
        SOON,
        _STALL,
    )
    for code, letter in (("P0641", "A"), ("P0651", "B")):
        _add(
            code,
            f'Sensor Reference Voltage "{letter}" Circuit/Open',
            "The engine computer feeds a regulated 5-volt supply to several sensors (throttle, "
            f'pedal, pressure sensors). Supply "{letter}" is open, shorted or out of range, so '
            "several sensors may read wrongly at once.",
            (
                "A shorted sensor pulling the shared 5-volt supply down",
                "Chafed wiring shorted to ground or to voltage",
                "Water in a connector",
                "Engine computer fault",
            ),
            (
                "Note which other sensor codes are set: they share this supply",
                "Unplug the sensors on that supply one at a time and see whether the voltage "
                "recovers",
                "Inspect the harnesses for chafing",
            ),
            SOON,
            _LIMP,
        )


# --- Transmission --------------------------------------------------------------------------


def _transmission() -> None:
    fluid_check = "Check the transmission fluid level and condition using the make's procedure"
    tcm_codes = "Read all transmission module codes and their freeze-frame data"
    _add(
        "P0700",
        "Transmission Control System (MIL Request)",
        "The transmission computer has stored a fault of its own and asked the engine computer "
        "to light the check-engine light. The actual fault code is stored in the transmission "
        "module.",
        (
            "A fault stored in the transmission module (read it to find out which)",
            "Low or degraded transmission fluid",
            "Transmission solenoid, sensor or wiring fault",
        ),
        ("Read the transmission module's codes with a scan tool that can reach it", fluid_check),
        SOON,
        _TRANSMISSION,
    )
    range_intro = (
        "The transmission range sensor tells the computers which position the gear selector is "
        "in (P, R, N, D)."
    )
    range_guidance = (
        "The car may not start in Park, may start in gear, or may show the wrong gear or "
        "reversing lights. Use the parking brake when parked, keep your foot on the brake when "
        "starting, and get it fixed soon."
    )
    range_causes = (
        "Faulty or misadjusted transmission range sensor",
        "Shift cable or linkage out of adjustment",
        "Damaged wiring or connector (often exposed under the car)",
        "Fluid leaking into the sensor's connector",
    )
    range_checks = (
        "Compare the gear shown on a scan tool with the selector position",
        "Check the shift cable adjustment",
        "Inspect the sensor connector and wiring",
    )
    _add(
        "P0705",
        "Transmission Range Sensor Circuit Malfunction (PRNDL Input)",
        f"{range_intro} Its signal is faulty or shows an impossible combination.",
        range_causes,
        range_checks,
        SOON,
        range_guidance,
    )
    _add(
        "P0706",
        "Transmission Range Sensor Circuit Range/Performance",
        f"{range_intro} Its signal doesn't match what the car is doing.",
        range_causes,
        range_checks,
        SOON,
        range_guidance,
    )
    sensor_causes = (
        "Failed sensor",
        "Damaged wiring or connector",
        "Metal debris on a magnetic sensor tip",
        "Transmission module fault (rare)",
    )
    sensor_checks = (
        fluid_check,
        "Inspect the sensor connector and wiring",
        "Watch the sensor reading on a scan tool while driving",
    )
    for code, title, problem in (
        (
            "P0710",
            'Transmission Fluid Temperature Sensor "A" Circuit',
            "The transmission fluid temperature sensor's circuit is faulty, so shifts may be "
            "harsh and the torque converter may not lock up.",
        ),
        (
            "P0711",
            'Transmission Fluid Temperature Sensor "A" Circuit Range/Performance',
            "The transmission fluid temperature reading doesn't fit how long the car has run; "
            "low fluid or a cooling problem can also cause it.",
        ),
        (
            "P0715",
            'Input/Turbine Speed Sensor "A" Circuit',
            "The sensor that measures the transmission's input speed has a fault, so shifts may "
            "be harsh or the transmission may stay in one gear (limp mode).",
        ),
        (
            "P0717",
            'Input/Turbine Speed Sensor "A" Circuit No Signal',
            "The transmission input speed sensor gives no signal, so the transmission may stay "
            "in one gear (limp mode).",
        ),
        (
            "P0720",
            "Output Speed Sensor Circuit",
            "The sensor that measures the transmission's output speed has a fault; shifts and "
            "the speedometer may be affected.",
        ),
        (
            "P0725",
            "Engine Speed Input Circuit",
            "The transmission computer isn't getting a good engine speed signal.",
        ),
    ):
        _add(code, title, problem, sensor_causes, sensor_checks, SOON, _TRANSMISSION)

    ratio_causes = (
        "Low, burnt or wrong transmission fluid",
        "Worn clutch packs or bands inside the transmission",
        "Faulty shift or pressure control solenoid, or a valve body problem",
        "Faulty input or output speed sensor",
    )
    ratio_checks = (
        f"{fluid_check}: a burnt smell, dark colour or debris are bad signs",
        tcm_codes,
        "Road-test while watching input and output speeds on a scan tool",
    )
    for code, title, gear in (
        ("P0729", "Gear 6 Incorrect Ratio", "6th gear"),
        ("P0730", "Incorrect Gear Ratio", "the selected gear"),
        ("P0731", "Gear 1 Incorrect Ratio", "1st gear"),
        ("P0732", "Gear 2 Incorrect Ratio", "2nd gear"),
        ("P0733", "Gear 3 Incorrect Ratio", "3rd gear"),
        ("P0734", "Gear 4 Incorrect Ratio", "4th gear"),
        ("P0735", "Gear 5 Incorrect Ratio", "5th gear"),
        ("P0736", "Reverse Incorrect Ratio", "reverse"),
    ):
        _add(
            code,
            title,
            f"The transmission's input and output speeds don't match {gear}: it is slipping "
            "in that gear or not engaging it properly.",
            ratio_causes,
            ratio_checks,
            SOON,
            _TRANSMISSION,
        )

    converter = (
        "The torque converter clutch locks the engine to the transmission at cruising speed to "
        "save fuel."
    )
    converter_causes = (
        "Low or worn transmission fluid",
        "Faulty torque converter clutch solenoid",
        "Wiring or connector fault (often the transmission's internal harness)",
        "Worn torque converter clutch or valve body problem",
    )
    converter_checks = (fluid_check, tcm_codes, "Measure the solenoid's resistance")
    for code, title, problem, guidance in (
        (
            "P0740",
            "Torque Converter Clutch Circuit/Open",
            "The computer sees an electrical fault in its solenoid circuit, so it probably "
            "won't lock up.",
            _TRANSMISSION,
        ),
        (
            "P0741",
            "Torque Converter Clutch Circuit Performance or Stuck Off",
            "It isn't locking up when commanded, or is slipping.",
            _TRANSMISSION,
        ),
        (
            "P0742",
            "Torque Converter Clutch Circuit Stuck On",
            "It stays locked when it should release, which can stall the engine as you stop.",
            "Be ready for the engine to stall as you come to a stop, like a manual car braked "
            "to a halt in gear; if it stalls, steering and braking take more effort. Get it "
            "checked soon.",
        ),
        (
            "P0743",
            "Torque Converter Clutch Circuit Electrical",
            "The computer sees an electrical fault in its solenoid circuit.",
            _TRANSMISSION,
        ),
    ):
        _add(
            code,
            title,
            f"{converter} {problem}",
            converter_causes,
            converter_checks,
            SOON,
            guidance,
        )

    solenoid_causes = (
        "Low or dirty transmission fluid",
        "Faulty shift solenoid",
        "Wiring or connector fault (often the internal harness or the case connector)",
        "Valve body problem",
    )
    solenoid_checks = (
        fluid_check,
        tcm_codes,
        "Measure solenoid resistance through the case connector",
        "Inspect the case connector for fluid leaks and corrosion",
    )
    for code, letter, problem in (
        ("P0750", "A", "The transmission computer sees a fault with it."),
        ("P0751", "A", "It isn't shifting the transmission as commanded, as if stuck off."),
        ("P0755", "B", "The transmission computer sees a fault with it."),
        ("P0756", "B", "It isn't shifting the transmission as commanded, as if stuck off."),
        ("P0760", "C", "The transmission computer sees a fault with it."),
        ("P0765", "D", "The transmission computer sees a fault with it."),
        ("P0770", "E", "The transmission computer sees a fault with it."),
    ):
        suffix = " Performance or Stuck Off" if "stuck off" in problem else ""
        _add(
            code,
            f'Shift Solenoid "{letter}"{suffix}',
            f'Shift solenoid "{letter}" is an electrically controlled valve inside the '
            f"transmission that directs fluid to change gears. {problem} Shifts may be harsh, "
            "skipped, or the transmission may stay in one gear.",
            solenoid_causes,
            solenoid_checks,
            SOON,
            _TRANSMISSION,
        )
    for code, title, problem, causes in (
        (
            "P0780",
            "Shift Error",
            "A gear change didn't happen the way the transmission computer expected.",
            solenoid_causes,
        ),
        (
            "P0868",
            "Transmission Fluid Pressure Low",
            "The transmission's hydraulic pressure is lower than expected, so clutches can slip.",
            (
                "Low transmission fluid (leak)",
                "Clogged transmission filter",
                "Worn transmission pump or internal leaks",
                "Faulty line pressure control solenoid or pressure sensor",
            ),
        ),
        (
            "P0894",
            "Transmission Component Slipping",
            "The transmission computer sees slipping inside the transmission.",
            ratio_causes,
        ),
    ):
        _add(code, title, problem, causes, ratio_checks, SOON, _TRANSMISSION)


# --- Hybrid --------------------------------------------------------------------------------


def _hybrid() -> None:
    causes = (
        "Ageing high-voltage battery modules that no longer hold equal charge",
        "Clogged battery cooling fan or intake vent letting the cells overheat",
        "Corroded connections (bus bars) between battery modules",
        "Battery monitoring fault",
    )
    checks = (
        "Have the block voltages read with a hybrid-capable scan tool to find weak modules",
        "Clean the battery cooling fan and intake vent (often near the rear seat)",
        "Look for related codes stored by the hybrid system",
    )
    guidance = (
        "Usually drivable for a while, but power assist drops and the car may eventually "
        "refuse to go into ready mode. Don't touch high-voltage parts (orange cables); have a "
        "hybrid-qualified shop test the pack soon."
    )
    _add(
        "P0A7F",
        "Hybrid Battery Pack Deterioration",
        "The hybrid system has found the high-voltage battery pack weaker than it should be: "
        "it holds or delivers less energy than expected.",
        causes,
        checks,
        SOON,
        guidance,
    )
    _add(
        "P0A80",
        "Replace Hybrid Battery Pack",
        "The hybrid system has found that the high-voltage battery pack is worn: one or more "
        "blocks of cells are clearly weaker than the rest.",
        causes,
        checks,
        SOON,
        guidance,
    )


# --- Throttle actuator, intake, cooling, valve lift, diesel after-treatment ----------------


def _throttle_actuator() -> None:
    causes = (
        "Carbon build-up making the throttle plate stick",
        "Failing throttle body motor or gears",
        "Wiring or connector fault at the throttle body",
        "Low battery voltage",
    )
    checks = (
        "Inspect and clean the throttle body (then run the idle relearn if the make needs one)",
        "Inspect the throttle body connector and wiring",
        "Compare commanded and actual throttle opening on a scan tool",
    )
    _add(
        "P2101",
        "Throttle Actuator Control Motor Circuit Range/Performance",
        "The electronic throttle motor isn't moving the throttle the way the computer commands, "
        "so it usually limits power.",
        causes,
        checks,
        SOON,
        _LIMP,
    )
    _add(
        "P2111",
        "Throttle Actuator Control System - Stuck Open",
        "The electronic throttle is not closing as commanded: the throttle plate appears stuck "
        "open, so the engine may not slow down when you lift off the pedal.",
        causes,
        checks,
        STOP,
        "Don't drive on: stop as soon as it is safe and have the car towed. If the engine "
        "does not slow down when you lift off, brake firmly (the brakes are stronger than the "
        "engine), shift to Neutral, steer to a safe place and switch off once stopped.",
    )
    _add(
        "P2112",
        "Throttle Actuator Control System - Stuck Closed",
        "The electronic throttle is not opening as commanded, so the engine has very little "
        "power and may stall.",
        causes,
        checks,
        SOON,
        "Power may be very limited, which is dangerous when merging or crossing traffic. Drive "
        "only as far as needed, off busy roads if you can, and get it checked soon.",
    )
    _add(
        "P2119",
        "Throttle Actuator Control Throttle Body Range/Performance",
        "The throttle plate isn't returning to, or holding, the position the computer expects, "
        "so it usually limits power.",
        causes,
        checks,
        SOON,
        _LIMP,
    )


def _intake_and_cooling() -> None:
    _add(
        "P2004",
        "Intake Manifold Runner Control Stuck Open (Bank 1)",
        "Flaps in the intake manifold that change airflow for low and high engine speeds are "
        "stuck open.",
        (
            "Carbon build-up, or a broken flap linkage",
            "Faulty runner control actuator, or no vacuum reaching it",
            "Faulty runner position sensor",
        ),
        (
            "Check the actuator moves the flaps when commanded",
            "Inspect the vacuum supply and linkage",
            "Check the position sensor signal",
        ),
        SOON,
        "Usually drivable with some loss of low-speed power. On some engines a broken flap or "
        "screw can be drawn into the engine, so stop if it starts knocking or smoking, and get "
        "it checked soon.",
    )
    _add(
        "P2279",
        "Intake Air System Leak",
        "The computer sees signs of unmeasured air entering the intake after the airflow "
        "sensor, which leans out the mixture.",
        (
            "Cracked intake boot or loose clamp after the MAF sensor",
            "Vacuum hose or PCV hose leak",
            "Leaking intake manifold gasket",
            "Brake booster hose leak",
        ),
        (
            "Smoke-test the intake for leaks",
            "Inspect the intake boot and clamps",
            "Check fuel trims",
        ),
        SOON,
        _LEAN,
    )
    _add(
        "P2181",
        "Cooling System Performance",
        "The engine isn't warming up or being cooled the way the computer expects.",
        (
            "Thermostat stuck open or closed",
            "Low coolant level or air in the cooling system",
            "Faulty coolant temperature sensor",
            "Cooling fan problem",
        ),
        (
            "With the engine cold, check the coolant level",
            "Watch coolant temperature on a scan tool as the engine warms up",
            "Check that the cooling fans run when hot",
        ),
        SOON,
        _COOLING,
    )
    _add(
        "P2646",
        '"A" Rocker Arm Actuator System Performance or Stuck Off (Bank 1)',
        "The variable valve lift system (for example Honda's VTEC) isn't switching as "
        "commanded: its oil pressure switch doesn't confirm the change.",
        (
            "Low oil level, or oil of the wrong viscosity",
            "Clogged screen at the rocker arm oil control solenoid",
            "Faulty rocker arm oil control solenoid or its gasket",
            "Faulty rocker arm oil pressure switch",
        ),
        (
            "Check the oil level and condition first",
            "Inspect the solenoid's oil screen for debris",
            "Test the solenoid and pressure switch",
        ),
        SOON,
        "Check the oil level before driving on. Usually drivable gently, with less power at "
        "high rpm; stop if the oil warning light comes on or the engine knocks.",
    )


def _diesel_aftertreatment() -> None:
    _add(
        "P2002",
        "Diesel Particulate Filter Efficiency Below Threshold (Bank 1)",
        "The engine computer thinks the diesel particulate filter (DPF) is not trapping soot "
        "properly: it may be cracked, or its pressure readings may be wrong.",
        (
            "Cracked or damaged particulate filter",
            "Faulty DPF differential pressure sensor",
            "Split, disconnected or blocked sensor pipes",
            "Exhaust leak ahead of the filter",
        ),
        (
            "Inspect the pressure sensor pipes for splits and blockages",
            "Compare the DPF pressure reading with the make's values",
            "Look for soot at the tailpipe, a sign of a cracked filter",
        ),
        SOON,
        "Drivable, but get it checked soon: the car will fail emissions tests and a damaged "
        "filter needs replacing. Black smoke from the tailpipe suggests the filter is cracked.",
    )
    _add(
        "P242F",
        "Diesel Particulate Filter Restriction - Ash Accumulation",
        "The DPF is loaded with ash, the unburnable residue from engine oil, which "
        "regeneration cannot burn off. The filter needs cleaning or replacing.",
        (
            "Normal ash build-up at high mileage",
            "Engine burning oil (turbo seals, worn rings), speeding up ash build-up",
            "Engine oil that isn't the low-ash specification",
            "Faulty pressure sensor, or the ash count not reset after a filter replacement",
        ),
        (
            "Check the DPF differential pressure and the ash load on a scan tool",
            "Check whether the engine is using oil",
            "Confirm the oil meets the make's low-ash specification",
        ),
        SOON,
        "Drive gently and get it serviced soon: back-pressure will keep rising and the engine "
        "may drop into reduced power. Regeneration won't clear ash, so the filter must be "
        "cleaned or replaced.",
    )
    _add(
        "P2463",
        "Diesel Particulate Filter Restriction - Soot Accumulation",
        "The DPF holds more soot than it should, because regeneration (burning the soot off) "
        "hasn't been completing.",
        (
            "Many short trips, so regeneration never finishes",
            "Faulty DPF pressure sensor or its pipes",
            "Engine fault making extra soot (injectors, EGR, boost leaks)",
            "Faulty exhaust temperature sensor preventing regeneration",
        ),
        (
            "Look for other codes that block regeneration and fix them first",
            "Check the soot load and DPF pressure on a scan tool",
            "If the owner's manual allows it, a steady 20-30 minute drive at highway speed may "
            "let it regenerate; otherwise a shop can run a forced regeneration",
        ),
        SOON,
        "Drive gently and get it seen soon: if the soot load keeps rising the engine will drop "
        "into reduced power and the filter may need replacing.",
    )
    _add(
        "P20EE",
        "SCR NOx Catalyst Efficiency Below Threshold (Bank 1)",
        "The diesel's SCR system, which uses diesel exhaust fluid (DEF/AdBlue) to clean "
        "nitrogen oxides from the exhaust, isn't cleaning as much as it should.",
        (
            "Poor-quality, diluted or contaminated DEF",
            "Blocked or crystallised DEF injector (dosing valve)",
            "Faulty upstream or downstream NOx sensor",
            "Aged or contaminated SCR catalyst",
            "Exhaust leak near the NOx sensors",
        ),
        (
            "Check DEF quality with a refractometer (it should be about 32.5% urea)",
            "Inspect the DEF injector for crystals and run a dosing test",
            "Compare the upstream and downstream NOx sensor readings",
        ),
        SOON,
        "Drivable for now, but many diesels start a countdown to reduced speed or no restart "
        "when an SCR fault persists. Get it diagnosed soon and watch for dashboard warnings.",
    )
    _add(
        "P203F",
        "Reductant Level Too Low",
        "The diesel exhaust fluid (DEF/AdBlue) tank is low, or its level sensor reads low.",
        (
            "The DEF tank simply needs refilling",
            "Faulty DEF level sensor (often part of the tank's heater and pump unit)",
            "Leaking DEF line or tank",
        ),
        (
            "Top up with certified DEF/AdBlue (ISO 22241), never into the fuel tank",
            "If the warning stays after filling, check the level sensor reading on a scan tool",
        ),
        SOON,
        "Refill the DEF tank as soon as possible: if it runs empty, the car will limit its "
        "speed or refuse to restart, as emissions rules require.",
    )


# --- Chassis, body and network -------------------------------------------------------------


def _chassis() -> None:
    wheel_causes = (
        "Failed wheel speed sensor",
        "Damaged or chafed sensor wiring near the suspension",
        "Damaged, rusty or dirty tone ring or magnetic encoder (often part of the wheel bearing)",
        "Worn wheel bearing with too much play",
    )
    wheel_checks = (
        "Inspect the sensor, its connector and its harness at that wheel",
        "Compare the four wheel speeds on a scan tool while driving slowly: the faulty one "
        "drops out or reads wrongly",
        "Inspect the tone ring or encoder for cracks, rust or metal debris",
        "Check the wheel bearing for play",
    )
    for code, wheel in (
        ("C0031", "Left Front"),
        ("C0034", "Right Front"),
        ("C0037", "Left Rear"),
        ("C003A", "Right Rear"),
    ):
        _add(
            code,
            f"{wheel} Wheel Speed Sensor",
            f"The ABS module sees a fault with the {wheel.lower()} wheel speed sensor, which "
            "reports how fast that wheel turns for ABS, traction and stability control.",
            wheel_causes,
            wheel_checks,
            SOON,
            _ABS,
        )
    _add(
        "C0035",
        "Right Front Wheel Speed Sensor Supply",
        "In the current SAE list this is the supply circuit of the right front wheel speed "
        "sensor; GM and some other makers use C0035 for the left front wheel speed sensor "
        "circuit instead, so confirm the wheel on a scan tool. Either way ABS, traction and "
        "stability control are usually switched off.",
        (
            "Wheel speed sensor wiring open or shorted (often chafed near the suspension)",
            "Failed wheel speed sensor",
            "Damaged or dirty tone ring",
            "ABS module fault on the sensor supply side",
        ),
        wheel_checks,
        SOON,
        _ABS,
    )
    _add(
        "C0040",
        'Brake Pedal Switch "A"',
        "In the current SAE list this is brake pedal switch A, which tells the computers when "
        "you brake (brake lights, cruise control, stability control). GM uses C0040 for the "
        "right front wheel speed sensor circuit instead, so confirm on a scan tool.",
        (
            "Faulty or misadjusted brake pedal switch",
            "Broken plastic stop pad under the pedal",
            "Wiring or connector fault",
            "On GM vehicles: the right front wheel speed sensor, its wiring or tone ring",
        ),
        (
            "Have someone confirm all brake lights come on when you press the pedal",
            "Inspect the switch and its stop pad at the pedal",
            "Read the ABS module's codes and live data to see which meaning applies",
        ),
        SOON,
        "Check your brake lights before driving on and get them fixed first if they don't "
        "work. Normal braking still works, but cruise control, stability control or (on GM "
        "vehicles) ABS may be off, so leave extra distance and get it checked soon.",
    )
    _add(
        "C0020",
        "ABS Pump Motor Control",
        "The ABS module sees a fault with the ABS pump motor or its control. ABS, and usually "
        "stability control, are switched off; normal braking should still work.",
        (
            "Failed ABS pump motor",
            "Blown ABS motor fuse or failed relay",
            "Poor power or ground connection at the ABS unit",
            "ABS module fault",
        ),
        (
            "Check the ABS fuses and the unit's ground connection",
            "Run the ABS pump self-test with a scan tool",
            "Check the brake fluid level",
        ),
        SOON,
        "If only the ABS or stability light is on and the pedal feels normal, drive carefully "
        "to a workshop, leaving extra stopping distance. If the red BRAKE warning light is also "
        "on, or the pedal feels soft, low or unusually hard, stop and have the car towed.",
    )
    _add(
        "C0063",
        "Yaw Rate Sensor",
        "The sensor that measures how fast the car is rotating (turning) has a fault, so "
        "stability control and often traction control are switched off.",
        (
            "Faulty yaw rate (inertia) sensor",
            "Sensor loose in its mounting (often under a seat or the centre console)",
            "Wiring or connector fault",
            "Sensor not calibrated after a repair or wheel alignment",
        ),
        (
            "Check the sensor is firmly mounted and its connector secure",
            "Read the live yaw value: it should be zero when parked on level ground",
            "Calibrate the sensor with a scan tool if the make requires it",
        ),
        SOON,
        "Normal steering and braking still work, but stability control is off: drive carefully, "
        "especially on wet, icy or windy roads, and get it checked soon.",
    )


_AIRBAG_SAFETY_CHECK = (
    "Leave airbag work to someone trained: disconnect the battery and wait as the manual says "
    "before touching airbag parts, and never probe airbag circuits with a test light"
)


def _airbags() -> None:
    # The clock spring only feeds the steering wheel, so only the driver's codes test it.
    driver_checks = (
        "Read the airbag module's codes with a scan tool that can reach it",
        "Check whether the horn and steering-wheel buttons also fail (a sign of a broken clock "
        "spring)",
        _AIRBAG_SAFETY_CHECK,
    )
    passenger_checks = (
        "Read the airbag module's codes with a scan tool that can reach it",
        "Check the passenger airbag's connector under the dashboard has not been disturbed "
        "(after dashboard or glovebox work, for example)",
        _AIRBAG_SAFETY_CHECK,
    )
    driver = (
        "Worn or broken clock spring (the coiled cable in the steering column)",
        "Loose or damaged airbag connector",
        "Faulty airbag unit or wiring",
        "Aftermarket steering wheel, or a disturbed connector after a previous repair",
    )
    passenger = (
        "Loose or damaged connector at the passenger airbag or under the dashboard",
        "Damaged wiring",
        "Faulty airbag unit",
        "Faulty airbag control module",
    )
    for code, title, who, stage, causes, checks in (
        (
            "B0001",
            "Driver Frontal Stage 1 Deployment Control",
            "driver's",
            "first",
            driver,
            driver_checks,
        ),
        (
            "B0002",
            "Driver Frontal Stage 2 Deployment Control",
            "driver's",
            "second",
            driver,
            driver_checks,
        ),
        (
            "B0010",
            "Passenger Frontal Stage 1 Deployment Control",
            "passenger's",
            "first",
            passenger,
            passenger_checks,
        ),
    ):
        _add(
            code,
            title,
            f"The airbag module sees a fault in the firing circuit of the {who} front airbag "
            f"({stage} stage of its inflator). The airbag may not deploy properly in a crash.",
            causes,
            checks,
            SOON,
            _AIRBAG,
        )


_NETWORK_CAUSES = (
    "Low battery voltage or a weak charging system (modules drop off the network when voltage "
    "sags)",
    "Blown fuse, or a poor power or ground connection at the module",
    "Damaged, corroded or water-soaked network wiring or connectors",
    "Failed module",
    "Aftermarket device spliced into the network",
)
_NETWORK_CHECKS = (
    "Check battery and charging voltage first",
    "Check the module's fuses, power and ground",
    "See whether the module answers a scan tool at all",
    "On high-speed CAN, measure about 60 ohms between pins 6 and 14 of the diagnostic socket "
    "with the battery disconnected (two 120-ohm terminators)",
)


def _network() -> None:
    causes, checks = _NETWORK_CAUSES, _NETWORK_CHECKS
    for code, title, meaning in (
        (
            "U0001",
            "High Speed CAN Communication Bus",
            "The high-speed data network that the main control modules use to talk to each "
            "other has a fault.",
        ),
        (
            "U0073",
            'Control Module Communication Bus "A" Off',
            'A control module has taken itself off data network "A" after too many '
            "communication errors.",
        ),
    ):
        _add(code, title, meaning, causes, checks, SOON, _NETWORK)

    lost = "Other control modules have stopped hearing from the"
    for code, title, module, effect, guidance in (
        (
            "U0100",
            'Lost Communication With ECM/PCM "A"',
            "engine computer (ECM/PCM)",
            "Depending on the car, the engine may stall or not start, or run while gauges, "
            "shifting and warning lights misbehave.",
            "If the engine runs normally, drive carefully to a workshop soon, knowing some "
            "warning lights may not work. If it stalls, won't start, or the transmission stays "
            "in one gear, have the car towed.",
        ),
        (
            "U0101",
            "Lost Communication With TCM",
            "transmission computer (TCM)",
            "Shifts may be harsh or the transmission may stay in one gear, and the gear display "
            "may be wrong.",
            _TRANSMISSION,
        ),
        (
            "U0121",
            "Lost Communication With Anti-Lock Brake System (ABS) Control Module",
            "ABS module",
            "ABS, traction and stability control are likely off, and on some cars the "
            "speedometer misreads.",
            _ABS,
        ),
        (
            "U0126",
            "Lost Communication With Steering Angle Sensor Module",
            "steering angle sensor",
            "Stability control and some driver-assistance features are likely off.",
            "Normal steering and braking still work, but stability control may be off: drive "
            "carefully, especially on slippery roads, and get it checked soon.",
        ),
        (
            "U0131",
            "Lost Communication With Power Steering Control Module",
            "power steering module",
            "Electric power steering assist may be reduced or lost, making the steering heavy.",
            "If the steering feels normal, drive carefully to a workshop soon. If it is heavy, "
            "drive slowly only to the nearest safe place and stop: steering without assist "
            "takes much more effort, especially at low speed.",
        ),
        (
            "U0140",
            "Lost Communication With Body Control Module",
            "body control module (BCM)",
            "Lights, wipers, locks, the horn or the alarm may act strangely or stop working.",
            "Check that the headlights, brake lights, indicators and wipers work before "
            "driving; if they don't, don't drive in the dark or rain. Get it checked soon.",
        ),
        (
            "U0151",
            "Lost Communication With Restraints Control Module",
            "airbag (restraints) module",
            "The airbag warning light comes on and the airbags may not deploy in a crash.",
            _AIRBAG,
        ),
        (
            "U0155",
            "Lost Communication With Instrument Panel Cluster (IPC) Control Module",
            "instrument cluster",
            "Gauges, warning lights and the speedometer may not work, so you could miss a warning.",
            "You may lose the speedometer and warning lights, so drive carefully and only as "
            "far as needed, and get it checked soon.",
        ),
    ):
        _add(
            code,
            title,
            f"{lost} {module} on the vehicle's data network. {effect}",
            causes,
            checks,
            SOON,
            guidance,
        )
    _add(
        "U0401",
        'Invalid Data Received From ECM/PCM "A"',
        "Another module is receiving messages from the engine computer, but the data in them "
        "is invalid or implausible, often because of an engine sensor fault.",
        ("Engine sensor fault behind the bad data (read the engine codes)", *causes[:3]),
        ("Read and fix the engine computer's own codes first", *checks[:2]),
        SOON,
        _NETWORK,
    )
    _add(
        "U0415",
        "Invalid Data Received From Anti-Lock Brake System (ABS) Control Module",
        "Another module (often the engine or transmission computer) is receiving implausible "
        "data from the ABS module, frequently its wheel speed data.",
        (
            "Faulty wheel speed sensor feeding bad data through the ABS module",
            "ABS module fault or software",
            *causes[:1],
            *causes[2:3],
        ),
        ("Read and fix the ABS module's own codes first", *checks[:2]),
        SOON,
        _ABS,
    )


# --- Issue 15: safety-relevant generic codes -----------------------------------------------
#
# Oil temperature, overheating and cooling, fuel leaks, over-speed, brakes, steering,
# throttle control, hybrid high voltage, airbags and the network modules behind them.

_OIL_TEMP_SENSOR = (
    "Usually drivable gently, but the engine can no longer watch its oil temperature, so it "
    "may not warn you if the oil overheats. Check the oil level, avoid towing and hard "
    "driving, and get it checked soon; stop if an oil or temperature warning comes on."
)
_BRAKE_LIGHTS = (
    "Check that your brake lights work before driving on (ask someone to watch, or use a "
    "reflection): if they don't, following drivers won't see you slow down, so get them fixed "
    "before driving. Cruise control and stability control may also be off; get it checked "
    "soon."
)
_STEERING = (
    "If the steering feels normal, drive carefully to a workshop soon. If it becomes heavy, "
    "drive slowly only to the nearest safe place and stop: steering without assist takes much "
    "more effort, especially at low speed."
)
_STABILITY = (
    "Normal steering and braking still work, but stability control (and often traction "
    "control) may be off: drive carefully, especially on wet, icy or windy roads, and get it "
    "checked soon."
)
_HYBRID_SOON = (
    "The car may limit power, show a hybrid system warning or refuse to go into ready mode "
    "next time. Avoid long trips and fast roads, never touch orange high-voltage cables or "
    "the battery case, and have a hybrid-qualified shop check it soon."
)
_FOUR_WHEEL_DRIVE = (
    "Drivable on dry roads, but four- or all-wheel drive may not engage (or may not release), "
    "so don't rely on it in snow, mud or off-road. If the car shudders or binds in tight "
    "turns, stop driving it that way and have it checked; otherwise get it checked soon."
)
_PARK_BRAKE = (
    "Before leaving the car, make sure the parking brake has applied (its light is on); if it "
    "hasn't, park on level ground in Park (or in gear) and turn the wheels to the kerb. If the "
    "parking brake won't release, don't drive against it. Get it checked soon."
)
_IMMOBILIZER = (
    "Driving is not affected once the engine runs, but it may not restart the next time you "
    "switch off. Avoid switching off where you couldn't get help, and get it checked soon."
)
_BODY = (
    "Check that the headlights, brake lights, indicators and wipers work before driving; if "
    "they don't, don't drive in the dark or rain. Get it checked soon."
)


def _oil_temperature() -> None:
    intro = (
        "The engine oil temperature sensor tells the engine computer how hot the oil is; some "
        "engines use it to protect themselves when the oil gets too hot."
    )
    checks = (
        "Check the engine oil level with the car level and the engine off",
        "On a cold engine, compare the oil temperature reading on a scan tool with the coolant "
        "temperature: they should be close",
        "Inspect the sensor connector and wiring for oil inside the plug or damage",
    )
    for code, problem, causes in (
        (
            "P0195",
            "The computer sees a fault in its circuit.",
            (
                "Failed oil temperature sensor",
                "Damaged wiring, or a loose, corroded or oil-soaked connector",
                "Engine computer fault (rare)",
            ),
        ),
        (
            "P0196",
            "Its reading doesn't make sense compared with coolant temperature and running "
            "time. It can be a sensor fault, but also low oil or a cooling fault heating the oil.",
            (
                "Failing oil temperature sensor",
                "Low engine oil level",
                "Cooling system fault (thermostat, fan, low coolant) making the oil run hot",
                "Poor connection at the sensor",
            ),
        ),
        (
            "P0197",
            "Its signal voltage is below the normal range, which on most engines reads as very "
            "hot oil.",
            ("Signal wire shorted to ground", "Failed (shorted) sensor", "Damaged connector"),
        ),
        (
            "P0198",
            "Its signal voltage is above the normal range, which on most engines reads as very "
            "cold oil.",
            ("Sensor unplugged or connector loose", "Open wire in the circuit", "Failed sensor"),
        ),
        (
            "P0199",
            "Its signal drops out or jumps erratically.",
            ("Loose or corroded connector", "Chafed wiring", "Failing sensor"),
        ),
    ):
        _add(code, _title(code), f"{intro} {problem}", causes, checks, SOON, _OIL_TEMP_SENSOR)
    _add(
        "P0298",
        _title("P0298"),
        "The engine oil has become too hot. Overheated oil thins out and stops protecting the "
        "bearings, so the engine can be damaged quickly.",
        (
            "Heavy towing, long climbs or track driving in hot weather",
            "Low engine oil level",
            "Engine cooling fault: low coolant, a fan or thermostat problem",
            "Blocked or leaking oil cooler, on engines that have one",
            "Faulty oil temperature sensor giving a false reading",
        ),
        (
            "Let the engine cool, then check the oil level and the coolant level (never open "
            "a hot radiator cap)",
            "Look for cooling system codes and check that the fans run",
            "Compare oil and coolant temperature readings on a scan tool",
            "Inspect the oil cooler and its lines",
        ),
        STOP,
        "Pull over safely and switch the engine off: driving on with overheated oil can ruin "
        "the bearings within minutes. Check the oil and coolant levels once it has cooled, "
        "and have the car towed if the warning comes back soon after.",
    )


def _overspeed_and_fuel_leaks() -> None:
    _add(
        "P0219",
        _title("P0219"),
        "The engine ran faster than its maximum safe speed (above the red line).",
        (
            "A missed gear change, such as a downshift into too low a gear on a manual gearbox",
            "Wheelspin on ice, mud or sand, or a drive wheel leaving the ground",
            "A slipping clutch or transmission letting the engine race",
            "On a diesel, engine oil reaching the intake and feeding the engine (a runaway)",
            "Faulty crankshaft position signal (rare)",
        ),
        (
            "Find out how it happened: a missed gear, wheelspin or a slipping transmission",
            "Listen for new ticking, knocking or rattling, and look for smoke",
            "Check the clutch or transmission for slipping",
            "On a diesel, look for oil in the intake and intercooler pipes",
        ),
        SOON,
        "If the engine was over-revved once (a missed gear or wheelspin) and now runs and "
        "sounds normal, drive gently and have it checked soon: valves or bearings may have been "
        "damaged. If it raced on its own, or now knocks, rattles or smokes, stop and have the "
        "car towed.",
    )
    _add(
        "P0297",
        _title("P0297"),
        "The engine computer logged that the car went faster than the top speed it allows "
        "(its speed limiter).",
        (
            "Driving at or beyond the limiter's speed, often downhill",
            "Tires of a different size from those the computer is set for, so speed reads wrongly",
            "Faulty vehicle speed signal",
        ),
        (
            "Look for vehicle speed sensor codes",
            "Check the fitted tire size against the door-pillar placard",
            "Check that the tires' speed rating covers the speeds driven",
        ),
        MONITOR,
        "Safe to drive. Make sure the tires are rated for the speeds you drive, and have the "
        "speed signal checked if the car was not really driven that fast.",
    )
    _add(
        "P0049",
        _title("P0049"),
        "The turbocharger spun faster than its safe limit, usually because boost control let "
        "it run too fast.",
        (
            "Boost leak making the turbo work harder to reach its target",
            "Sticking wastegate or variable-geometry vanes",
            "Faulty boost control solenoid or boost pressure sensor",
            "Full-load driving at high altitude",
        ),
        (
            "Inspect the intercooler pipes and clamps for splits or oily residue",
            "Check that the wastegate or vane actuator moves freely",
            "Compare requested and actual boost on a scan tool",
        ),
        SOON,
        "Drive gently and avoid full throttle until it is checked: a turbo that over-speeds "
        "can fail and send debris into the engine. Stop if you hear whining or grinding from "
        "the turbo or see heavy smoke.",
    )
    leak_checks = (
        "With the engine off, look and smell for fuel around the engine and under the car",
        "Inspect the high-pressure lines, fuel rail and injector seals for wet fuel",
        "Compare actual and desired fuel rail pressure on a scan tool",
    )
    _add(
        "P0093",
        _title("P0093"),
        "The engine computer sees fuel pressure falling in a way that means a large fuel leak, "
        "usually in the high-pressure system of a diesel or direct-injection engine.",
        (
            "Leaking high-pressure fuel line, union or fuel rail",
            "Leaking injector, injector seal or injector return",
            "Faulty pressure limiting valve or pressure regulator",
            "Faulty fuel rail pressure sensor (less common)",
        ),
        leak_checks,
        STOP,
        "Pull over safely and switch off: a large fuel leak is a fire risk, especially on a hot "
        "engine, and the engine may stop. Don't restart if you smell fuel or see it dripping; "
        "keep flames and sparks away and have the car towed.",
    )
    _add(
        "P0094",
        _title("P0094"),
        "The engine computer sees fuel pressure falling slightly more than it should, a sign "
        "of a small fuel leak, usually in the high-pressure system.",
        (
            "Seeping high-pressure fuel line union or injector seal",
            "Leaking injector return",
            "Faulty pressure limiting valve or regulator",
            "Faulty fuel rail pressure sensor",
        ),
        leak_checks,
        SOON,
        "Look and smell for fuel before driving. If you smell fuel or see wet fuel anywhere, "
        "don't drive: it is a fire risk. Otherwise drive only to a workshop, soon.",
    )


def _more_fuel_pressure() -> None:
    intro = (
        "The fuel rail pressure sensor tells the engine computer the fuel pressure at the "
        "injectors."
    )
    for code, problem, causes in (
        (
            "P0192",
            "Its signal voltage is below the normal range.",
            (
                "Signal wire open or shorted to ground",
                "Loss of the 5-volt reference",
                "Failed sensor",
            ),
        ),
        (
            "P0193",
            "Its signal voltage is above the normal range.",
            ("Signal wire shorted to voltage", "Open sensor ground", "Failed sensor"),
        ),
        (
            "P0194",
            "Its signal drops out or jumps from time to time.",
            ("Loose or corroded connector", "Chafed wiring", "Failing sensor"),
        ),
    ):
        _add(code, _title(code), f"{intro} {problem}", causes, _ELECTRICAL_CHECKS, SOON, _STALL)


def _more_cooling() -> None:
    fan_intro = (
        "The electric cooling fans pull air through the radiator when the car is slow or stopped."
    )
    fan_checks = (
        "With the engine hot or the A/C on, check whether the fans run",
        "Check the fan fuses and relays",
        "Command the fans on with a scan tool",
        "Check the fan motor spins freely by hand, with the engine off",
    )
    # Each fault gets the causes that fit it: a speed sensor code starts at the sensor, a
    # fan that turns too slowly at the motor, not at the relay.
    speed_sensor = (
        "Failed fan speed sensor (often built into the fan motor or its control module)",
        "Damaged wiring or connector",
        "Fan not turning at all: seized motor, failed relay or blown fuse",
    )
    rows = [
        (
            "P0485",
            "The power feed or ground of a fan circuit is faulty.",
            (
                "Blown fan fuse, or a failed fan relay",
                "Loose or corroded ground connection at the fan or the body",
                "Damaged power wiring or a melted connector at the fan",
            ),
        ),
        (
            "P0493",
            "A fan is spinning faster than its maximum safe speed.",
            (
                "Fan control module or speed control fault",
                "Damaged or missing fan blades, so the motor runs unloaded",
                "Faulty fan speed sensor",
            ),
        ),
        (
            "P0494",
            "A fan is turning slower than commanded.",
            (
                "Worn or sticking fan motor",
                "Leaves or debris jamming the fan",
                "Low voltage at the fan: a corroded connector or a weak relay",
                "Faulty fan speed sensor",
            ),
        ),
        (
            "P0495",
            "A fan is turning faster than commanded.",
            (
                "Fan control module or speed control fault",
                "Damaged or missing fan blades",
                "Faulty fan speed sensor",
            ),
        ),
        ("P0526", "The fan speed sensor's circuit is faulty.", speed_sensor),
        (
            "P0527",
            "The fan speed sensor's reading doesn't fit what the fan was commanded to do.",
            (speed_sensor[0], "Fan motor turning too slowly (worn or sticking)", speed_sensor[1]),
        ),
        (
            "P0528",
            "The fan speed sensor gives no signal, which often means the fan isn't turning.",
            (speed_sensor[2], speed_sensor[0], speed_sensor[1]),
        ),
        (
            "P0529",
            "The fan speed sensor's signal drops out from time to time.",
            ("Loose or corroded connector", "Chafed wiring", "Failing fan speed sensor"),
        ),
    ]
    for fan, base in ((1, 691), (2, 693), (3, 695)):
        for offset, (level, short) in enumerate((("lower", "ground"), ("higher", "voltage"))):
            rows.append(
                (
                    f"P0{base + offset}",
                    f"The fan {fan} control circuit reads a {level} voltage than it should.",
                    (
                        f"Fan control wire shorted to {short}, or an open circuit",
                        "Failed fan relay or fan control module",
                        "Damaged wiring or connector",
                        "Engine computer driver fault (rare)",
                    ),
                )
            )
    for code, problem, causes in rows:
        _add(code, _title(code), f"{fan_intro} {problem}", causes, fan_checks, SOON, _COOLING)

    ect2 = (
        "Some engines have a second coolant temperature sensor, often at the radiator outlet "
        "or cylinder head, which the computer uses for the fans and to check the thermostat."
    )
    ect_checks = (
        "With the engine cold, check the coolant level (never open a hot radiator cap)",
        "On a cold engine, compare both coolant temperature readings on a scan tool: they "
        "should be close",
        "Inspect the sensor connector and wiring",
    )
    for code, problem, causes in (
        (
            "P2182",
            "The computer sees a fault in its circuit.",
            ("Failed sensor", "Damaged wiring or connector", "Sensor unplugged"),
        ),
        (
            "P2183",
            "Its reading doesn't make sense compared with the other coolant sensor.",
            (
                "Low coolant level or an air pocket at the sensor",
                "Thermostat stuck open or closed",
                "Sensor drifting out of calibration",
            ),
        ),
        (
            "P2184",
            "Its signal voltage is too low, which reads as very hot coolant.",
            ("Signal wire shorted to ground", "Failed (shorted) sensor", "Damaged connector"),
        ),
        (
            "P2185",
            "Its signal voltage is too high, which reads as very cold coolant.",
            ("Sensor unplugged or connector loose", "Open wire in the circuit", "Failed sensor"),
        ),
        (
            "P2186",
            "Its signal drops out or jumps erratically.",
            ("Loose or corroded connector", "Chafed wiring", "Failing sensor"),
        ),
    ):
        _add(code, _title(code), f"{ect2} {problem}", causes, ect_checks, SOON, _COOLING)

    level = "The coolant level sensor in the expansion tank warns when the coolant runs low."
    level_guidance = (
        "The low-coolant warning may not work, so check the coolant level yourself with the "
        "engine cold before driving, and watch the temperature gauge. Get it checked soon; "
        "stop and switch off if the gauge climbs above normal."
    )
    for code, problem, causes in (
        (
            "P2556",
            "The computer sees a fault in its circuit.",
            ("Failed level sensor", "Damaged wiring or connector", "Sensor unplugged"),
        ),
        (
            "P2557",
            "Its reading doesn't make sense.",
            (
                "Coolant level really low or sloshing",
                "Dirty or failing level sensor",
                "Poor connection",
            ),
        ),
        (
            "P2558",
            "Its signal voltage is below the normal range.",
            ("Signal wire shorted to ground", "Failed sensor", "Damaged connector"),
        ),
        (
            "P2559",
            "Its signal voltage is above the normal range.",
            ("Sensor unplugged or connector loose", "Open wire in the circuit", "Failed sensor"),
        ),
    ):
        checks = (
            "With the engine cold, check the coolant level in the expansion tank",
            "Inspect the level sensor connector and wiring",
            "Watch the level signal on a scan tool while topping up",
        )
        _add(code, _title(code), f"{level} {problem}", causes, checks, SOON, level_guidance)
    _add(
        "P2560",
        _title("P2560"),
        "The coolant level in the expansion tank is below the minimum. Without enough coolant "
        "the engine can overheat quickly.",
        (
            "Coolant leak: hose, radiator, water pump, heater core or expansion tank",
            "Head gasket failure pushing coolant out or burning it",
            "Coolant not topped up after a repair",
            "Faulty level sensor (if the level turns out to be correct)",
        ),
        (
            "Let the engine cool, then check the coolant level (never open a hot cap)",
            "Look for leaks, wet hoses and coolant puddles under the car",
            "Have the cooling system pressure-tested if the level keeps dropping",
        ),
        STOP,
        "Pull over when it is safe and switch off, then let the engine cool before checking "
        "the coolant: driving on with too little coolant can overheat and damage the engine "
        "within minutes. If the level was low, top it up with the right coolant and watch "
        "the temperature gauge closely; have the car towed if it drops again or overheats.",
    )
    pump = (
        "Some engines have an electric coolant pump (a main or auxiliary water pump) that the "
        "engine computer switches and controls."
    )
    pump_causes = (
        "Failed electric coolant pump",
        "Blown fuse or failed relay",
        "Damaged wiring or connector",
        "Engine computer driver fault (rare)",
    )
    pump_checks = (
        "With the engine cold, check the coolant level",
        "Command the pump on with a scan tool and listen or feel for it running",
        "Check the pump's fuse, power and ground",
    )
    for code, problem in (
        ("P2600", "The computer sees an open or fault in the pump's control circuit."),
        ("P2601", "The pump isn't responding to its commands the way the computer expects."),
        ("P2602", "The pump's control circuit reads a lower voltage than it should."),
        ("P2603", "The pump's control circuit reads a higher voltage than it should."),
    ):
        _add(code, _title(code), f"{pump} {problem}", pump_causes, pump_checks, SOON, _COOLING)


def _brake_inputs() -> None:
    switch = (
        'Brake switch "A" tells the computers when you press the brake pedal; it also '
        "usually switches the brake lights."
    )
    switch_causes = (
        "Faulty or misadjusted brake light switch",
        "Broken plastic stop pad under the brake pedal",
        "Wiring or connector fault",
        "Blown brake light fuse",
    )
    switch_checks = (
        "Have someone confirm all brake lights come on when you press the pedal, and go off "
        "when you release it",
        "Inspect the switch and its stop pad at the pedal",
        "Watch the switch signal on a scan tool while pressing the pedal",
    )
    for code, problem in (
        ("P0571", "The computer sees a fault in its circuit."),
        ("P0572", "Its signal voltage stays low, as if the pedal were never pressed."),
        ("P0573", "Its signal voltage stays high, as if the pedal were always pressed."),
    ):
        _add(
            code,
            _title(code),
            f"{switch} {problem}",
            switch_causes,
            switch_checks,
            SOON,
            _BRAKE_LIGHTS,
        )
    booster = (
        "The brake booster pressure sensor tells the engine computer how much vacuum the brake "
        "servo has, so the engine can keep enough vacuum for brake assist."
    )
    booster_guidance = (
        "Test the brakes gently at low speed before driving on. If the pedal is hard or the car "
        "needs more force than usual to stop, don't drive: have it towed. Otherwise drive "
        "carefully, leaving extra distance, and get it checked soon."
    )
    booster_checks = (
        "With the engine off, pump the brake pedal a few times, hold it down and start the "
        "engine: the pedal should sink slightly as assist builds",
        "Inspect the booster vacuum hose and check valve for cracks and leaks",
        *_ELECTRICAL_CHECKS[:2],
    )
    for code, problem, causes in (
        (
            "P0555",
            "The computer sees a fault in its circuit.",
            ("Failed sensor", "Damaged wiring or connector", "Cracked or disconnected vacuum hose"),
        ),
        (
            "P0556",
            "Its reading doesn't make sense for the engine's vacuum.",
            (
                "Cracked or leaking booster vacuum hose or check valve",
                "Failing sensor",
                "Failing vacuum pump (on diesel and some petrol engines)",
            ),
        ),
        (
            "P0557",
            "Its signal voltage is below the normal range.",
            (
                "Signal wire open or shorted to ground",
                "Loss of the 5-volt reference",
                "Failed sensor",
            ),
        ),
        (
            "P0558",
            "Its signal voltage is above the normal range.",
            ("Signal wire shorted to voltage", "Open sensor ground", "Failed sensor"),
        ),
        (
            "P0559",
            "Its signal drops out or jumps from time to time.",
            ("Loose or corroded connector", "Chafed wiring", "Failing sensor"),
        ),
    ):
        _add(
            code,
            _title(code),
            f"{booster} {problem}",
            causes,
            booster_checks,
            SOON,
            booster_guidance,
        )
    _add(
        "P2299",
        _title("P2299"),
        "The computer saw the brake and accelerator pressed at the same time (or signals that "
        "say so) and cut engine power, as its brake override is meant to.",
        (
            "Both pedals pressed together (left-foot braking, a foot resting on the brake)",
            "A floor mat or object holding the accelerator down",
            "Faulty or misadjusted brake switch",
            "Accelerator pedal sensor fault",
        ),
        (
            "Check that the floor mat is secured and nothing is under the pedals",
            "Check that the brake lights go off when the pedal is released",
            "Watch brake switch and accelerator pedal signals on a scan tool",
        ),
        SOON,
        "Make sure the floor mat is secured and nothing can trap the pedals, then drive "
        "carefully: the engine may cut power whenever it thinks you are braking. Get it checked "
        "soon, and if the accelerator ever sticks, brake firmly, shift to Neutral and stop.",
    )


def _power_steering() -> None:
    switch = (
        "The power steering pressure sensor tells the engine computer when the hydraulic "
        "steering works hard (at full lock), so it can raise the idle."
    )
    guidance = (
        "Safe to drive; at parking speeds the idle may dip, or the engine stall, when you "
        "turn the wheel hard. Check the power steering fluid level and fix it when convenient."
    )
    checks = (
        "Check the power steering fluid level and look for leaks",
        *_ELECTRICAL_CHECKS[:2],
        "Watch the switch signal on a scan tool while turning the wheel to full lock",
    )
    for code, problem, causes in (
        (
            "P0550",
            "The computer sees a fault in its circuit.",
            (
                "Failed pressure sensor or switch",
                "Damaged wiring or connector",
                "Fluid leaking into the connector",
            ),
        ),
        (
            "P0551",
            "Its reading doesn't fit what the steering is doing.",
            ("Failing pressure sensor", "Low power steering fluid", "Poor connection"),
        ),
        (
            "P0552",
            "Its signal is below the normal range.",
            ("Signal wire open or shorted to ground", "Failed sensor"),
        ),
        (
            "P0553",
            "Its signal is above the normal range.",
            ("Signal wire shorted to voltage", "Failed sensor"),
        ),
        (
            "P0554",
            "Its signal drops out from time to time.",
            ("Loose or corroded connector", "Chafed wiring", "Failing sensor"),
        ),
    ):
        _add(code, _title(code), f"{switch} {problem}", causes, checks, MONITOR, guidance)
    control = (
        "The engine computer controls part of the power steering (an electric assist or a "
        "variable-assist valve) through this circuit."
    )
    for code, problem in (
        ("P0635", "It sees a fault in that control circuit."),
        ("P0636", "The control circuit reads a lower voltage than it should."),
        ("P0637", "The control circuit reads a higher voltage than it should."),
    ):
        _add(
            code,
            _title(code),
            f"{control} {problem} Steering assist may be reduced or lost.",
            (
                "Wiring or connector fault in the power steering control circuit",
                "Failed power steering control valve, motor or relay",
                "Blown fuse",
                "Engine computer driver fault (rare)",
            ),
            (
                "Check the power steering fuses and relay",
                "Inspect the wiring and connector at the steering rack or pump",
                "Read the power steering module's own codes, if it has one",
            ),
            SOON,
            _STEERING,
        )


def _more_throttle_actuator() -> None:
    causes = (
        "Failing throttle body motor or gears",
        "Carbon build-up making the throttle plate stick",
        "Wiring or connector fault at the throttle body",
        "Low battery voltage",
    )
    checks = (
        "Inspect the throttle body connector and wiring",
        "Inspect and clean the throttle body (then run the idle relearn if the make needs one)",
        "Compare commanded and actual throttle opening on a scan tool",
    )
    motor = "The electronic throttle's motor opens and closes the throttle plate."
    for code, problem, first in (
        (
            "P2100",
            "The computer sees an open or fault in the motor's circuit.",
            "Motor wire open, or a connector that has come loose",
        ),
        (
            "P2102",
            "The motor circuit reads a lower voltage or current than it should.",
            "Motor wire open or shorted to ground",
        ),
        (
            "P2103",
            "The motor circuit reads a higher voltage or current than it should.",
            "Motor wire shorted to voltage, or a shorted motor",
        ),
        (
            "P2118",
            "The motor draws a current that doesn't fit what it was commanded to do.",
            "Sticking throttle plate or worn gears making the motor work too hard",
        ),
    ):
        _add(
            code,
            _title(code),
            f"{motor} {problem} The computer usually limits power.",
            (first, *causes),
            checks,
            SOON,
            _LIMP,
        )
    for code, problem in (
        ("P2107", "The throttle control processor inside the engine computer failed a self-check."),
        ("P2108", "The throttle control module found its own performance out of limits."),
    ):
        _add(
            code,
            _title(code),
            f"{problem} The computer usually limits power to keep the throttle safe.",
            (
                "Poor power or ground supply to the engine computer",
                "Throttle body fault confusing the module",
                "Engine computer internal fault or software needing an update",
            ),
            (
                "Check battery voltage and the computer's power and ground connections",
                "Look for other throttle codes and fix them first",
                "Ask a dealer whether a software update applies",
            ),
            SOON,
            _LIMP,
        )
    for code, problem in (
        ("P2106", "The engine computer has limited engine power because of a throttle fault."),
        ("P2110", "The engine computer has limited engine speed because of a throttle fault."),
    ):
        _add(
            code,
            _title(code),
            f"{problem} Another throttle or pedal code usually says which part failed.",
            ("Another throttle or pedal sensor fault (read the other codes)", *causes),
            ("Read all the engine codes; fix the throttle or pedal code that caused this", *checks),
            SOON,
            _LIMP,
        )
    _add(
        "P2104",
        _title("P2104"),
        "The engine computer is holding the engine at idle because it can no longer control "
        "the throttle safely, so the car can barely move.",
        ("Another throttle or pedal sensor fault (read the other codes)", *causes),
        ("Read all the engine codes; fix the throttle or pedal code that caused this", *checks),
        STOP,
        "Pull over where it is safe with the hazard lights on: with the engine held at idle "
        "the car can't keep up with traffic. Don't drive on; have the car towed, even if a "
        "restart seems to clear it for a while.",
    )
    _add(
        "P2105",
        _title("P2105"),
        "The engine computer has shut the engine down (or will) because it found a throttle "
        "fault that could make the car accelerate on its own.",
        ("Another throttle or pedal sensor fault (read the other codes)", *causes),
        ("Read all the engine codes; fix the throttle or pedal code that caused this", *checks),
        STOP,
        "Steer to a safe place with the hazard lights on: once the engine stops, power "
        "steering and brake assist weaken, so steer and brake firmly. Don't drive on; have "
        "the car towed.",
    )
    for code, bank in (("P0638", 1), ("P0639", 2)):
        _add(
            code,
            _title(code),
            f"The electronic throttle on {_BANK[bank]} isn't following the computer's commands, "
            "so it usually limits power.",
            causes,
            checks,
            SOON,
            _LIMP,
        )
    _add(
        "P2176",
        _title("P2176"),
        "The engine computer has not learned the throttle's closed (idle) position, often "
        "after a throttle body was cleaned or replaced or the battery was disconnected.",
        (
            "Idle relearn not done after throttle body cleaning, replacement or a flat battery",
            "Dirty throttle body",
            "Failing throttle body or position sensor",
        ),
        (
            "Run the make's idle relearn (some need a scan tool, others a key and pedal routine)",
            "Inspect and clean the throttle body",
            "Check for other throttle codes",
        ),
        SOON,
        "Usually drivable, but the idle may be unstable and the engine may stall when you stop. "
        "Leave extra room in traffic and get the relearn done soon.",
    )


def _hybrid_high_voltage() -> None:
    _add(
        "P0AA6",
        _title("P0AA6"),
        "The hybrid system has found that the high-voltage circuit is no longer fully insulated "
        "from the car's body: current may be leaking to the chassis.",
        (
            "Coolant or water leaking into the inverter, battery or a high-voltage connector",
            "Damaged insulation in the A/C compressor's motor (on electric compressors)",
            "Chafed or damaged orange high-voltage cable",
            "Insulation breakdown inside the hybrid battery, motor or generator",
        ),
        (
            "Leave it to a hybrid-qualified technician with insulated tools and gloves",
            "Have the insulation resistance of each high-voltage part measured to find the leak",
            "Look for coolant leaks at the inverter and for damage to orange cables",
        ),
        STOP,
        "Stop driving as soon as it is safe, switch off and have the car towed to a "
        "hybrid-qualified shop: a high-voltage insulation fault is a shock and fire risk, and "
        "the system may shut down. Don't touch orange cables or the battery case, and keep "
        "everyone away if you smell burning or see smoke.",
    )
    _add(
        "P0A0A",
        _title("P0A0A"),
        "The high-voltage interlock, a loop through the high-voltage connectors and covers that "
        "proves they are closed, reads open or faulty, so the system may switch high voltage off.",
        (
            "A high-voltage connector or service plug not fully seated",
            "Damaged interlock wiring or a corroded interlock connector",
            "A cover left off or loose after a repair",
            "Faulty inverter or battery control module",
        ),
        (
            "Leave it to a hybrid-qualified technician",
            "Check that the service plug and high-voltage connectors are fully seated",
            "Read the hybrid system's codes and freeze-frame data",
        ),
        SOON,
        "The car may suddenly lose drive power or refuse to go into ready mode, so avoid fast "
        "roads and heavy traffic until it is checked, and get it checked soon. Never touch "
        "orange high-voltage cables or open high-voltage covers yourself.",
    )
    _add(
        "P0A0F",
        _title("P0A0F"),
        "The hybrid system tried to start the petrol engine and it didn't start.",
        (
            "Very low fuel level, or fuel that has gone stale in a rarely used engine",
            "Engine fault: ignition, fuel delivery or a crank or cam sensor",
            "Low 12-volt battery voltage upsetting the control modules",
            "Generator or inverter fault, on some systems",
        ),
        (
            "Check the fuel level first",
            "Read all the engine and hybrid codes; fix any engine sensor codes first",
            "Check the 12-volt battery",
        ),
        SOON,
        _HYBRID_SOON,
    )
    _add(
        "P0A93",
        _title("P0A93"),
        "The cooling system of the hybrid inverter (the unit that converts battery power for "
        "the motors) isn't cooling as it should.",
        (
            "Failed inverter coolant pump",
            "Low inverter coolant (a separate tank on many hybrids)",
            "Air trapped in the inverter cooling circuit",
            "Blocked radiator section or a fan problem",
        ),
        (
            "With the system off and cool, check the inverter coolant level",
            "Check that the inverter coolant pump runs (coolant moves in the tank when ready)",
            "Bleed the inverter cooling circuit the way the make specifies",
        ),
        SOON,
        _HYBRID_SOON,
    )
    intro = (
        "The motor electronics coolant temperature sensor tells the hybrid system how warm the "
        "coolant for the inverter and motor electronics is."
    )
    for code, problem, causes in (
        (
            "P0A00",
            "The computer sees a fault in its circuit.",
            ("Failed sensor", "Damaged wiring or connector", "Sensor unplugged"),
        ),
        (
            "P0A01",
            "Its reading doesn't make sense.",
            (
                "Low inverter coolant or air at the sensor",
                "Failing coolant pump",
                "Sensor drifting out of calibration",
            ),
        ),
        (
            "P0A02",
            "Its signal voltage is below the normal range.",
            ("Signal wire shorted to ground", "Failed sensor", "Damaged connector"),
        ),
        (
            "P0A03",
            "Its signal voltage is above the normal range.",
            ("Sensor unplugged or connector loose", "Open wire", "Failed sensor"),
        ),
        (
            "P0A04",
            "Its signal drops out or jumps erratically.",
            ("Loose or corroded connector", "Chafed wiring", "Failing sensor"),
        ),
    ):
        _add(
            code,
            _title(code),
            f"{intro} {problem}",
            causes,
            (
                "With the system off and cool, check the inverter coolant level",
                "Inspect the sensor connector and wiring",
                "Compare the reading with the other coolant temperatures on a scan tool",
            ),
            SOON,
            _HYBRID_SOON,
        )


def _more_network() -> None:
    causes, checks = _NETWORK_CAUSES, _NETWORK_CHECKS
    bus = "The high-speed data network (CAN) that the main control modules share"
    for code, problem in (
        ("U0002", "has a performance fault: messages are being lost or corrupted."),
        ("U0003", "has an open circuit in its (+) wire (CAN high)."),
        ("U0004", "reads a low voltage on its (+) wire (CAN high)."),
        ("U0005", "reads a high voltage on its (+) wire (CAN high)."),
        ("U0006", "has an open circuit in its (-) wire (CAN low)."),
        ("U0007", "reads a low voltage on its (-) wire (CAN low)."),
        ("U0008", "reads a high voltage on its (-) wire (CAN low)."),
        ("U0009", "has its (-) wire shorted to its (+) wire."),
    ):
        _add(
            code,
            _title(code),
            f"{bus} {problem}",
            (
                "Damaged, chafed or water-soaked network wiring, or a corroded connector",
                "A module with a faulty network connection pulling the bus down",
                *causes[:1],
                *causes[4:],
            ),
            (checks[3], "Unplug modules one at a time to find one pulling the bus down", checks[0]),
            SOON,
            _NETWORK,
        )
    lost = "Other control modules have stopped hearing from the"
    for code, module, effect, severity, guidance in (
        (
            "U0102",
            "transfer case module",
            "Four-wheel drive may not engage or release.",
            SOON,
            _FOUR_WHEEL_DRIVE,
        ),
        (
            "U0114",
            "four-wheel drive clutch module",
            "All-wheel drive may not engage.",
            SOON,
            _FOUR_WHEEL_DRIVE,
        ),
        (
            "U0103",
            "gear shift module",
            "The transmission may not respond to the selector or show the right gear.",
            SOON,
            "Use the parking brake whenever you park. If the car doesn't select the gear you "
            "choose, or the display doesn't match the selector, don't drive: have it towed. "
            "Otherwise get it checked soon.",
        ),
        (
            "U0104",
            "cruise control module",
            "Cruise control and related driver aids may not work.",
            MONITOR,
            "Safe to drive, but don't rely on cruise control or distance-keeping aids until it "
            "is fixed; fix it when convenient.",
        ),
        (
            "U0107",
            "throttle actuator control module",
            "The engine may drop into limp mode with very little power.",
            SOON,
            _LIMP,
        ),
        (
            "U0109",
            "fuel pump control module",
            "The fuel pump may run at a default speed or stop, so the engine may stall.",
            SOON,
            _STALL,
        ),
        (
            "U0115",
            'second engine computer ("B")',
            "Depending on the car, the engine may run poorly, lose power or stall.",
            SOON,
            _COMPUTER,
        ),
        (
            "U0110",
            "drive motor control module",
            "The electric drive motor may stop working, so the car may lose drive power.",
            SOON,
            _HYBRID_SOON,
        ),
        (
            "U0111",
            'battery energy control module "A"',
            "The high-voltage battery can't be managed normally, so the car may limit power or "
            "shut down the hybrid system.",
            SOON,
            _HYBRID_SOON,
        ),
        (
            "U0112",
            'battery energy control module "B"',
            "The high-voltage battery can't be managed normally, so the car may limit power or "
            "shut down the hybrid system.",
            SOON,
            _HYBRID_SOON,
        ),
        (
            "U0122",
            "vehicle dynamics (stability control) module",
            "Stability and traction control are likely off, and on some cars ABS too.",
            SOON,
            _ABS,
        ),
        (
            "U0129",
            "brake system control module",
            "ABS, stability control and, on some cars, brake assist or regenerative braking may be "
            "off.",
            SOON,
            _ABS,
        ),
        ("U0123", "yaw rate sensor", "Stability control is likely off.", SOON, _STABILITY),
        (
            "U0124",
            "lateral acceleration sensor",
            "Stability control is likely off.",
            SOON,
            _STABILITY,
        ),
        (
            "U0125",
            "multi-axis acceleration sensor",
            "Stability control, and on some cars the airbag system's roll-over detection, may be "
            "off.",
            SOON,
            _STABILITY,
        ),
        (
            "U0127",
            "tire pressure monitor module",
            "The tire pressure warning won't work, so a low or flat tire may not be reported.",
            MONITOR,
            "Safe to drive, but the tire pressure warning can't warn you: check all tire "
            "pressures with a gauge at least weekly until it is fixed, and fix it when "
            "convenient.",
        ),
        (
            "U0128",
            "parking brake module",
            "The electric parking brake may not apply or release.",
            SOON,
            _PARK_BRAKE,
        ),
        (
            "U0130",
            "steering effort control module",
            "Speed-sensitive steering assist may be off, so the steering may feel heavier or "
            "lighter than usual.",
            SOON,
            _STEERING,
        ),
        (
            "U0146",
            'gateway "A"',
            "The gateway links the car's networks, so many modules lose contact at once and "
            "warning lights appear across the dashboard.",
            SOON,
            _NETWORK,
        ),
        (
            "U0164",
            "heating and air conditioning (HVAC) module",
            "Heating, air conditioning and the windscreen demister may not work.",
            MONITOR,
            "Safe to drive as long as you can keep the windscreen clear; don't set off if it "
            "mists or ices up and you can't clear it. Fix it when convenient.",
        ),
        (
            "U0167",
            "immobilizer module",
            "The engine may not start, or may stop soon after starting, because the key can't be "
            "verified.",
            SOON,
            _IMMOBILIZER,
        ),
        (
            "U0168",
            "vehicle security module",
            "The engine may not start, and the alarm or central locking may act strangely.",
            SOON,
            _IMMOBILIZER,
        ),
        (
            "U0212",
            "steering column module",
            "Indicators, wipers, the horn or steering-wheel buttons may not work, and on some cars "
            "the steering lock may not release.",
            SOON,
            _BODY,
        ),
    ):
        _add(
            code,
            _title(code),
            f"{lost} {module} on the vehicle's data network. {effect}",
            causes,
            checks,
            severity,
            guidance,
        )
    for number, letter in zip(range(141, 146), "ABCDE", strict=True):
        code = f"U0{number}"
        _add(
            code,
            _title(code),
            f'{lost} body control module "{letter}" on the vehicle\'s data network. Lights, '
            "wipers, locks, the horn or the alarm may act strangely or stop working.",
            causes,
            checks,
            SOON,
            _BODY,
        )
    airbag_causes = (
        "Damaged or corroded wiring or connector, often under a seat or in a door (check for "
        "water)",
        "Seat or trim work that disturbed a connector",
        "Failed sensor or module",
        *causes[:1],
    )
    airbag_checks = (
        "Read the airbag module's codes with a scan tool that can reach it",
        "Check connectors under the seats and in the doors for water or damage",
        _AIRBAG_SAFETY_CHECK,
    )
    for code, module, effect in (
        ("U0152", "left side airbag module", "The left side airbags may not deploy in a crash."),
        ("U0153", "right side airbag module", "The right side airbags may not deploy in a crash."),
        (
            "U0154",
            "occupant sensing module",
            "The passenger airbag may be switched off, or may not be suppressed for a child or an "
            "empty seat; seat children in the back until it is fixed.",
        ),
    ):
        _add(
            code,
            _title(code),
            f"{lost} {module} on the vehicle's data network. {effect}",
            airbag_causes,
            airbag_checks,
            SOON,
            _AIRBAG,
        )
    for number, letter in zip(range(170, 180), "ABCDEFGHIJ", strict=True):
        code = f"U0{number}"
        _add(
            code,
            _title(code),
            f'The airbag module has lost contact with crash sensor "{letter}", so some airbags '
            "may not deploy in a crash.",
            airbag_causes,
            airbag_checks,
            SOON,
            _AIRBAG,
        )
    invalid = "Another module is receiving messages from the"
    for code, module, effect, guidance in (
        ("U0402", "transmission computer", "Shifting may be affected.", _TRANSMISSION),
        ("U0408", "throttle actuator control module", "The engine may drop into limp mode.", _LIMP),
        ("U0411", "drive motor control module", "Drive power may be limited.", _HYBRID_SOON),
        (
            "U0412",
            'battery energy control module "A"',
            "The hybrid system may limit power.",
            _HYBRID_SOON,
        ),
        (
            "U0413",
            'battery energy control module "B"',
            "The hybrid system may limit power.",
            _HYBRID_SOON,
        ),
        (
            "U0416",
            "vehicle dynamics (stability control) module",
            "Stability and traction control may be off.",
            _ABS,
        ),
        ("U0417", "parking brake module", "The electric parking brake may misbehave.", _PARK_BRAKE),
        ("U0418", "brake system control module", "ABS and stability control may be off.", _ABS),
        ("U0419", "steering effort control module", "Steering assist may change.", _STEERING),
        ("U0420", "power steering module", "Steering assist may be reduced.", _STEERING),
        (
            "U0422",
            "body control module",
            "Lights, wipers, locks or the alarm may act strangely.",
            _BODY,
        ),
        ("U0426", "immobilizer module", "The engine may not start.", _IMMOBILIZER),
        (
            "U0428",
            "steering angle sensor",
            "Stability control and some driver aids may be off; the sensor may need calibrating "
            "after an alignment.",
            _STABILITY,
        ),
    ):
        _add(
            code,
            _title(code),
            f"{invalid} {module}, but the data in them is invalid or implausible. {effect}",
            (f"Fault in the {module} or its own sensors (read its codes)", *causes[:3]),
            (f"Read and fix the {module}'s own codes first", *checks[:2]),
            SOON,
            guidance,
        )


def _safety_odds_and_ends() -> None:
    _add(
        "P0126",
        _title("P0126"),
        "The engine is taking too long to warm up to the temperature the computer needs for "
        "stable running.",
        ("Thermostat stuck open", "Low coolant level", "Faulty coolant temperature sensor"),
        (
            "With the engine cold, check the coolant level",
            "Watch coolant temperature on a scan tool: it should reach normal operating "
            "temperature within roughly 10-15 minutes of driving",
            "Feel the upper radiator hose: if it warms up early with the engine, the thermostat "
            "is probably stuck open",
        ),
        MONITOR,
        "Safe to drive, though fuel use is higher and the heater may be weak. Fix it when "
        "convenient, and don't let the coolant level drop.",
    )
    cooler = (
        "On many diesels an EGR cooler uses engine coolant to cool the exhaust fed back into "
        "the intake."
    )
    cooler_guidance = (
        "Check the coolant level (engine cold) before driving on, and watch the temperature "
        "gauge. If the coolant keeps dropping with no visible leak, or you see white exhaust "
        "smoke with a sweet smell, stop driving: a leaking EGR cooler can let coolant into the "
        "engine. Otherwise get it checked soon."
    )
    cooler_checks = (
        "With the engine cold, check the coolant level and look for leaks",
        "Watch for white, sweet-smelling exhaust smoke and coolant loss without a visible leak",
        "Compare EGR temperatures before and after the cooler on a scan tool",
    )
    for code, problem, causes in (
        (
            "P2425",
            "The computer sees an open or fault in the control circuit of the cooler's "
            "coolant (or bypass) valve.",
            ("Failed valve or solenoid", "Damaged wiring or connector", "Blown fuse"),
        ),
        (
            "P2426",
            "The cooler valve's control circuit reads a lower voltage than it should.",
            ("Control wire shorted to ground or open", "Failed valve solenoid"),
        ),
        (
            "P2427",
            "The cooler valve's control circuit reads a higher voltage than it should.",
            ("Control wire shorted to voltage", "Failed valve solenoid"),
        ),
        (
            "P2457",
            "The cooler is not cooling the recirculated exhaust as much as it should.",
            (
                "EGR cooler clogged with soot",
                "Low coolant level or poor coolant flow",
                "Cracked or leaking EGR cooler",
                "Faulty EGR temperature sensor",
            ),
        ),
    ):
        _add(
            code, _title(code), f"{cooler} {problem}", causes, cooler_checks, SOON, cooler_guidance
        )
    software = (
        "A control module reports that the software of the {module} doesn't match its own, "
        "usually after one of them was replaced or reprogrammed."
    )
    software_causes = (
        "A replaced module not programmed or configured for this car",
        "An interrupted or partial software update",
        "Modules on different software levels (a dealer update applies)",
    )
    software_checks = (
        "Ask whether a module was recently replaced or updated",
        "Have a dealer or a shop with the make's software check and update the modules",
        "Check battery voltage, since updates fail on a weak battery",
    )
    for code, module, guidance in (
        ("U0315", "ABS module", _ABS),
        ("U0316", "vehicle dynamics (stability control) module", _ABS),
        ("U0317", "parking brake module", _PARK_BRAKE),
        ("U0318", "brake system control module", _ABS),
        ("U0319", "steering effort control module", _STEERING),
        ("U0320", "power steering module", _STEERING),
        ("U0328", "steering angle sensor", _STABILITY),
        ("U0329", "steering column module", _BODY),
    ):
        _add(
            code,
            _title(code),
            software.format(module=module) + " The systems it serves may be switched off.",
            software_causes,
            software_checks,
            SOON,
            guidance,
        )
    _add(
        "U0429",
        _title("U0429"),
        "Another module is receiving messages from the steering column module, but the data "
        "in them is invalid or implausible. Indicators, wipers or steering-wheel buttons may "
        "misbehave.",
        (
            "Fault in the steering column module or its switches (read its codes)",
            *_NETWORK_CAUSES[:3],
        ),
        ("Read and fix the steering column module's own codes first", *_NETWORK_CHECKS[:2]),
        SOON,
        _BODY,
    )
    _add(
        "U0229",
        _title("U0229"),
        "Other control modules have stopped hearing from the heated steering wheel module on "
        "the vehicle's data network. The steering wheel heater may not work.",
        _NETWORK_CAUSES,
        _NETWORK_CHECKS,
        MONITOR,
        "Safe to drive: steering is not affected, only the wheel's heater. Fix it when convenient.",
    )


for _section in (
    _camshaft_timing,
    _crank_cam_correlation,
    _heater_control,
    _fuel_pressure,
    _mass_air_flow,
    _manifold_pressure,
    _temperature_sensors,
    _throttle_sensors,
    _oxygen_sensors,
    _fuel_trims,
    _injectors,
    _overheating_and_boost,
    _misfires,
    _knock_sensors,
    _position_sensors,
    _ignition_coils,
    _egr,
    _secondary_air,
    _catalysts,
    _evap,
    _fuel_level,
    _cooling_fans,
    _speed_and_idle,
    _oil_pressure,
    _air_conditioning_and_voltage,
    _engine_computer,
    _transmission,
    _hybrid,
    _stuck_oxygen_sensors,
    _throttle_actuator,
    _intake_and_cooling,
    _diesel_aftertreatment,
    _chassis,
    _airbags,
    _network,
    _oil_temperature,
    _overspeed_and_fuel_leaks,
    _more_fuel_pressure,
    _more_cooling,
    _brake_inputs,
    _power_steering,
    _more_throttle_actuator,
    _hybrid_high_voltage,
    _more_network,
    _safety_odds_and_ends,
):
    _section()
