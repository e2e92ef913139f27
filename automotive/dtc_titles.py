"""Standard titles of generic OBD-II trouble codes, written for this project.

Source: SAE J2012 / ISO 15031-6, the generic code list (2002-2007 wording, bank and sensor
spelled out in brackets). Every title here is marked with TITLE_SOURCE wherever it is shown.
The generic ranges are P0xxx, P2xxx, P3400-P3FFF, U0xxx, B0xxx and C0xxx (automotive.dtc
decodes their structure).

A wrong title is worse than none, so a code is listed only where the title is certain:
- Systematic families (per cylinder, bank, sensor, coil, solenoid or module) are generated
  by the helpers below, so that siblings read alike.
- Each family was written from the standard's numbering and then checked against an
  independent public copy of the 2002 list, where that list has the code; codes on which the
  two disagreed beyond wording were left out (P2706 and P2707, for example).
- Codes renumbered or retitled between editions of the standard, and most body (B0) and
  chassis (C0) codes (which several makers, GM above all, use with their own meanings), are
  left out: for them the structural decode stands alone.

The curated table (automotive.dtc_table) must use the same title for every code it explains;
tests hold the two to that.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType

# Shown beside every title, so that a reader knows where the name comes from.
TITLE_SOURCE = "SAE J2012 generic title"

_TITLES: dict[str, str] = {}

# The suffixes most sensor circuits share, in the standard's order.
_CIRCUIT_5 = (
    " Circuit",
    " Circuit Range/Performance",
    " Circuit Low",
    " Circuit High",
    " Circuit Intermittent",
)
_CIRCUIT_5_INPUT = (
    " Circuit",
    " Circuit Range/Performance",
    " Circuit Low Input",
    " Circuit High Input",
    " Circuit Intermittent",
)
_CONTROL_3 = (" Control Circuit/Open", " Control Circuit Low", " Control Circuit High")
_SOLENOID_5 = ("", " Performance or Stuck Off", " Stuck On", " Electrical", " Intermittent")
# Suffix series for codes whose titles add nothing but the fault to a stem.
_PLAIN_LOW_HIGH = ("", " Low", " High")
_OPEN_LOW_HIGH = ("/Open", " Low", " High")
_PLAIN_4 = ("", " Range/Performance", " Low", " High")
_PLAIN_5 = ("", " Range/Performance", " Low", " High", " Intermittent")
_PLAIN_5_ERRATIC = ("", " Range/Performance", " Low", " High", " Intermittent/Erratic")
_NO_SIGNAL_4 = ("", " Range/Performance", " No Signal", " Intermittent")


def _put(code: str, title: str) -> None:
    if code in _TITLES:
        raise ValueError(f"{code} has two titles")
    _TITLES[code] = title


def _code(prefix: str, number: int) -> str:
    # Families count in decimal (P0079 is followed by P0080); hexadecimal letters only
    # appear in codes the standard added later, which are written out in full.
    return f"{prefix}{number:04d}"


def _series(prefix: str, start: int, stem: str, suffixes: Sequence[str], tail: str = "") -> None:
    """Title consecutive codes from `start`: stem + suffix + tail, one per suffix."""
    for offset, suffix in enumerate(suffixes):
        _put(_code(prefix, start + offset), f"{stem}{suffix}{tail}")


def _each(prefix: str, rows: Iterable[tuple[int, str]]) -> None:
    for number, title in rows:
        _put(_code(prefix, number), title)


def _bank_sensor(bank: int, sensor: int) -> str:
    return f" (Bank {bank} Sensor {sensor})"


# --- P00xx-P01xx: fuel and air metering, sensors --------------------------------------------


def _p00() -> None:
    _series(
        "P",
        1,
        "Fuel Volume Regulator Control",
        (
            " Circuit/Open",
            " Circuit Range/Performance",
            " Circuit Low",
            " Circuit High",
        ),
    )
    _series("P", 5, 'Fuel Shutoff Valve "A"', _CONTROL_3)
    _put("P0008", "Engine Position System Performance (Bank 1)")
    _put("P0009", "Engine Position System Performance (Bank 2)")
    _put("P000A", '"A" Camshaft Position Slow Response (Bank 1)')
    _put("P000B", '"B" Camshaft Position Slow Response (Bank 1)')
    _put("P000C", '"A" Camshaft Position Slow Response (Bank 2)')
    _put("P000D", '"B" Camshaft Position Slow Response (Bank 2)')
    for bank, base in ((1, 10), (2, 20)):
        tail = f" (Bank {bank})"
        _put(_code("P", base), f'"A" Camshaft Position Actuator Circuit{tail}')
        _put(
            _code("P", base + 1),
            f'"A" Camshaft Position - Timing Over-Advanced or System Performance{tail}',
        )
        _put(_code("P", base + 2), f'"A" Camshaft Position - Timing Over-Retarded{tail}')
        _put(_code("P", base + 3), f'"B" Camshaft Position - Actuator Circuit{tail}')
        _put(
            _code("P", base + 4),
            f'"B" Camshaft Position - Timing Over-Advanced or System Performance{tail}',
        )
        _put(_code("P", base + 5), f'"B" Camshaft Position - Timing Over-Retarded{tail}')
    for number, bank, letter in ((16, 1, "A"), (17, 1, "B"), (18, 2, "A"), (19, 2, "B")):
        _put(
            _code("P", number),
            f"Crankshaft Position - Camshaft Position Correlation (Bank {bank} Sensor {letter})",
        )
    _each(
        "P",
        (
            (26, "Intake Valve Control Solenoid Circuit Range/Performance (Bank 1)"),
            (27, "Exhaust Valve Control Solenoid Circuit Range/Performance (Bank 1)"),
            (28, "Intake Valve Control Solenoid Circuit Range/Performance (Bank 2)"),
            (29, "Exhaust Valve Control Solenoid Circuit Range/Performance (Bank 2)"),
        ),
    )
    # Oxygen sensor heaters: control circuit, low, high for each bank and sensor position.
    for bank, sensor, base in (
        (1, 1, 30),
        (1, 2, 36),
        (1, 3, 42),
        (2, 1, 50),
        (2, 2, 56),
        (2, 3, 62),
    ):
        _series(
            "P",
            base,
            "HO2S Heater Control Circuit",
            _PLAIN_LOW_HIGH,
            _bank_sensor(bank, sensor),
        )
    for number, bank, sensor in (
        (53, 1, 1),
        (54, 1, 2),
        (55, 1, 3),
        (59, 2, 1),
        (60, 2, 2),
        (61, 2, 3),
    ):
        _put(_code("P", number), f"HO2S Heater Resistance{_bank_sensor(bank, sensor)}")
    _series("P", 33, "Turbo Charger Bypass Valve Control Circuit", _PLAIN_LOW_HIGH)
    _put("P0039", "Turbo/Super Charger Bypass Valve Control Circuit Range/Performance")
    _put("P0040", "O2 Sensor Signals Swapped Bank 1 Sensor 1/Bank 2 Sensor 1")
    _put("P0041", "O2 Sensor Signals Swapped Bank 1 Sensor 2/Bank 2 Sensor 2")
    _series(
        "P",
        45,
        'Turbo/Super Charger Boost Control "A" Circuit',
        (
            "/Open",
            " Range/Performance",
            " Low",
            " High",
        ),
    )
    _put("P0049", "Turbo/Super Charger Turbine Overspeed")
    _each(
        "P",
        (
            (65, "Air Assisted Injector Control Range/Performance"),
            (66, "Air Assisted Injector Control Circuit or Circuit Low"),
            (67, "Air Assisted Injector Control Circuit High"),
            (68, "MAP/MAF - Throttle Position Correlation"),
            (69, "Manifold Absolute Pressure - Barometric Pressure Correlation"),
        ),
    )
    _series(
        "P",
        70,
        "Ambient Air Temperature Sensor",
        (
            " Circuit",
            " Range/Performance",
            " Circuit Low Input",
            " Circuit High Input",
            " Circuit Intermittent",
        ),
    )
    for bank, base in ((1, 75), (2, 81)):
        for valve, start in (("Intake", base), ("Exhaust", base + 3)):
            _series(
                "P",
                start,
                f"{valve} Valve Control Solenoid Circuit",
                _PLAIN_LOW_HIGH,
                f" (Bank {bank})",
            )
    _each(
        "P",
        (
            (87, "Fuel Rail/System Pressure - Too Low"),
            (88, "Fuel Rail/System Pressure - Too High"),
            (89, "Fuel Pressure Regulator 1 Performance"),
            (90, "Fuel Pressure Regulator 1 Control Circuit"),
            (91, "Fuel Pressure Regulator 1 Control Circuit Low"),
            (92, "Fuel Pressure Regulator 1 Control Circuit High"),
            (93, "Fuel System Leak Detected - Large Leak"),
            (94, "Fuel System Leak Detected - Small Leak"),
        ),
    )
    _series(
        "P",
        95,
        "Intake Air Temperature Sensor 2",
        (
            " Circuit",
            " Circuit Range/Performance",
            " Circuit Low",
            " Circuit High",
            " Circuit Intermittent/Erratic",
        ),
    )


def _p01() -> None:
    _series("P", 100, "Mass or Volume Air Flow", _CIRCUIT_5_INPUT)
    _series("P", 105, "Manifold Absolute Pressure/Barometric Pressure", _CIRCUIT_5_INPUT)
    _series("P", 110, "Intake Air Temperature Sensor 1", _CIRCUIT_5)
    _series("P", 115, "Engine Coolant Temperature", _CIRCUIT_5)
    _series("P", 120, 'Throttle/Pedal Position Sensor/Switch "A"', _CIRCUIT_5)
    _each(
        "P",
        (
            (125, "Insufficient Coolant Temperature for Closed Loop Fuel Control"),
            (126, "Insufficient Coolant Temperature for Stable Operation"),
            (127, "Intake Air Temperature Too High"),
            (
                128,
                "Coolant Thermostat (Coolant Temperature Below Thermostat Regulating Temperature)",
            ),
            (129, "Barometric Pressure Too Low"),
        ),
    )
    o2 = (
        "O2 Sensor Circuit",
        "O2 Sensor Circuit Low Voltage",
        "O2 Sensor Circuit High Voltage",
        "O2 Sensor Circuit Slow Response",
        "O2 Sensor Circuit No Activity Detected",
        "O2 Sensor Heater Circuit",
    )
    for bank, sensor, base in (
        (1, 1, 130),
        (1, 2, 136),
        (1, 3, 142),
        (2, 1, 150),
        (2, 2, 156),
        (2, 3, 162),
    ):
        _series("P", base, "", o2, _bank_sensor(bank, sensor))
    _put("P0148", "Fuel Delivery Error")
    _put("P0149", "Fuel Timing Error")
    _each(
        "P",
        (
            (170, "Fuel Trim (Bank 1)"),
            (171, "System Too Lean (Bank 1)"),
            (172, "System Too Rich (Bank 1)"),
            (173, "Fuel Trim (Bank 2)"),
            (174, "System Too Lean (Bank 2)"),
            (175, "System Too Rich (Bank 2)"),
        ),
    )
    _series("P", 176, "Fuel Composition Sensor Circuit", _PLAIN_4)
    _series("P", 180, 'Fuel Temperature Sensor "A"', _CIRCUIT_5)
    _series("P", 185, 'Fuel Temperature Sensor "B"', _CIRCUIT_5)
    _series("P", 190, "Fuel Rail Pressure Sensor", _CIRCUIT_5)
    # The oil temperature sensor's own titles: "Low" and "High" are its signal voltage, not
    # the oil temperature (that is P0298).
    _series("P", 195, "Engine Oil Temperature Sensor", _PLAIN_5)


# --- P02xx: injectors, pumps, boost ---------------------------------------------------------


def _p02() -> None:
    _put("P0200", "Injector Circuit/Open")
    for cylinder in range(1, 13):
        _put(_code("P", 200 + cylinder), f"Injector Circuit/Open - Cylinder {cylinder}")
        # Low, high and contribution/balance per cylinder, three codes each from P0261.
        _series(
            "P",
            261 + 3 * (cylinder - 1),
            f"Cylinder {cylinder}",
            (
                " Injector Circuit Low",
                " Injector Circuit High",
                " Contribution/Balance",
            ),
        )
    _each(
        "P",
        (
            (213, "Cold Start Injector 1"),
            (214, "Cold Start Injector 2"),
            (215, "Engine Shutoff Solenoid"),
            (216, "Injector/Injection Timing Control Circuit"),
            (217, "Engine Coolant Over Temperature Condition"),
            (218, "Transmission Fluid Over Temperature Condition"),
            (219, "Engine Overspeed Condition"),
            (230, "Fuel Pump Primary Circuit"),
            (231, "Fuel Pump Secondary Circuit Low"),
            (232, "Fuel Pump Secondary Circuit High"),
            (233, "Fuel Pump Secondary Circuit Intermittent"),
            (234, "Turbo/Super Charger Overboost Condition"),
            (297, "Vehicle Overspeed Condition"),
            (298, "Engine Oil Over Temperature"),
            (299, "Turbo/Super Charger Underboost"),
        ),
    )
    _series("P", 220, 'Throttle/Pedal Position Sensor/Switch "B"', _CIRCUIT_5)
    _series("P", 225, 'Throttle/Pedal Position Sensor/Switch "C"', _CIRCUIT_5)
    for letter, base in (("A", 235), ("B", 239)):
        _series("P", base, f'Turbo/Super Charger Boost Sensor "{letter}" Circuit', _PLAIN_4)
    for letter, base in (("A", 243), ("B", 247)):
        _series("P", base, f'Turbo/Super Charger Wastegate Solenoid "{letter}"', _PLAIN_4)
    for letter, base in (("A", 251), ("B", 256)):
        _series(
            "P",
            base,
            f'Injection Pump Fuel Metering Control "{letter}"',
            _PLAIN_5,
            " (Cam/Rotor/Injector)",
        )


# --- P03xx: ignition, misfire, crank and cam -----------------------------------------------


def _p03() -> None:
    _put("P0300", "Random/Multiple Cylinder Misfire Detected")
    for cylinder in range(1, 13):
        _put(_code("P", 300 + cylinder), f"Cylinder {cylinder} Misfire Detected")
    _each(
        "P",
        (
            (313, "Misfire Detected with Low Fuel"),
            (314, "Single Cylinder Misfire (Cylinder not Specified)"),
            (320, "Ignition/Distributor Engine Speed Input Circuit"),
            (321, "Ignition/Distributor Engine Speed Input Circuit Range/Performance"),
            (322, "Ignition/Distributor Engine Speed Input Circuit No Signal"),
            (323, "Ignition/Distributor Engine Speed Input Circuit Intermittent"),
            (324, "Knock Control System Error"),
        ),
    )
    _series("P", 325, "Knock Sensor 1", _CIRCUIT_5, " (Bank 1 or Single Sensor)")
    _series("P", 330, "Knock Sensor 2", _CIRCUIT_5, " (Bank 2)")
    _series("P", 335, 'Crankshaft Position Sensor "A"', _CIRCUIT_5)
    _series("P", 340, 'Camshaft Position Sensor "A"', _CIRCUIT_5, " (Bank 1 or Single Sensor)")
    _series("P", 345, 'Camshaft Position Sensor "A"', _CIRCUIT_5, " (Bank 2)")
    _put("P0350", "Ignition Coil Primary/Secondary Circuit")
    for number, letter in enumerate("ABCDEFGHIJKL", start=351):
        _put(_code("P", number), f'Ignition Coil "{letter}" Primary/Secondary Circuit')
    _series("P", 365, 'Camshaft Position Sensor "B"', _CIRCUIT_5, " (Bank 1)")
    _series("P", 390, 'Camshaft Position Sensor "B"', _CIRCUIT_5, " (Bank 2)")
    for letter, base in (("A", 370), ("B", 375)):
        _series(
            "P",
            base,
            f'Timing Reference High Resolution Signal "{letter}"',
            (
                "",
                " Too Many Pulses",
                " Too Few Pulses",
                " Intermittent/Erratic Pulses",
                " No Pulse",
            ),
        )
    _series("P", 385, 'Crankshaft Position Sensor "B"', _CIRCUIT_5)


# --- P04xx: auxiliary emission controls ----------------------------------------------------


def _p04() -> None:
    egr = "Exhaust Gas Recirculation"
    _each(
        "P",
        (
            (400, f"{egr} Flow"),
            (401, f"{egr} Flow Insufficient Detected"),
            (402, f"{egr} Flow Excessive Detected"),
            (403, f"{egr} Control Circuit"),
            (404, f"{egr} Control Circuit Range/Performance"),
            (405, f'{egr} Sensor "A" Circuit Low'),
            (406, f'{egr} Sensor "A" Circuit High'),
            (407, f'{egr} Sensor "B" Circuit Low'),
            (408, f'{egr} Sensor "B" Circuit High'),
            (409, f'{egr} Sensor "A" Circuit'),
            (486, f'{egr} Sensor "B" Circuit'),
            (487, f"{egr} Throttle Position Control Circuit"),
            (488, f"{egr} Throttle Position Control Range/Performance"),
            (489, f"{egr} Control Circuit Low"),
            (490, f"{egr} Control Circuit High"),
        ),
    )
    air = "Secondary Air Injection System"
    _each(
        "P",
        (
            (410, air),
            (411, f"{air} Incorrect Flow Detected"),
            (412, f'{air} Switching Valve "A" Circuit'),
            (413, f'{air} Switching Valve "A" Circuit Open'),
            (414, f'{air} Switching Valve "A" Circuit Shorted'),
            (415, f'{air} Switching Valve "B" Circuit'),
            (416, f'{air} Switching Valve "B" Circuit Open'),
            (417, f'{air} Switching Valve "B" Circuit Shorted'),
            (491, f"{air} Insufficient Flow (Bank 1)"),
            (492, f"{air} Insufficient Flow (Bank 2)"),
        ),
    )
    for bank, base in ((1, 420), (2, 430)):
        tail = f" (Bank {bank})"
        _series(
            "P",
            base,
            "",
            (
                "Catalyst System Efficiency Below Threshold",
                "Warm Up Catalyst Efficiency Below Threshold",
                "Main Catalyst Efficiency Below Threshold",
                "Heated Catalyst Efficiency Below Threshold",
                "Heated Catalyst Temperature Below Threshold",
                "Catalyst Temperature Sensor",
                "Catalyst Temperature Sensor Range/Performance",
                "Catalyst Temperature Sensor Low Input",
                "Catalyst Temperature Sensor High Input",
                "Catalyst Heater Control Circuit",
            ),
            tail,
        )
    evap = "Evaporative Emission System"
    _each(
        "P",
        (
            (440, evap),
            (441, f"{evap} Incorrect Purge Flow"),
            (442, f"{evap} Leak Detected (small leak)"),
            (443, f"{evap} Purge Control Valve Circuit"),
            (444, f"{evap} Purge Control Valve Circuit Open"),
            (445, f"{evap} Purge Control Valve Circuit Shorted"),
            (446, f"{evap} Vent Control Circuit"),
            (447, f"{evap} Vent Control Circuit Open"),
            (448, f"{evap} Vent Control Circuit Shorted"),
            (449, f"{evap} Vent Valve/Solenoid Circuit"),
            (450, f"{evap} Pressure Sensor/Switch"),
            (451, f"{evap} Pressure Sensor/Switch Range/Performance"),
            (452, f"{evap} Pressure Sensor/Switch Low"),
            (453, f"{evap} Pressure Sensor/Switch High"),
            (454, f"{evap} Pressure Sensor/Switch Intermittent"),
            (455, f"{evap} Leak Detected (large leak)"),
            (456, f"{evap} Leak Detected (very small leak)"),
            (457, f"{evap} Leak Detected (fuel cap loose/off)"),
            (458, f"{evap} Purge Control Valve Circuit Low"),
            (459, f"{evap} Purge Control Valve Circuit High"),
            (496, f"{evap} High Purge Flow"),
            (497, f"{evap} Low Purge Flow"),
            (498, f"{evap} Vent Valve Control Circuit Low"),
            (499, f"{evap} Vent Valve Control Circuit High"),
        ),
    )
    _series("P", 460, 'Fuel Level Sensor "A"', _CIRCUIT_5)
    _series("P", 465, "EVAP Purge Flow Sensor", _CIRCUIT_5)
    _series("P", 470, "Exhaust Pressure Sensor", _PLAIN_5)
    _series("P", 475, "Exhaust Pressure Control Valve", _PLAIN_5)
    _each(
        "P",
        (
            (480, "Fan 1 Control Circuit"),
            (481, "Fan 2 Control Circuit"),
            (482, "Fan 3 Control Circuit"),
            (483, "Fan Rationality Check"),
            (484, "Fan Circuit Over Current"),
            (485, "Fan Power/Ground Circuit"),
            (493, "Fan Overspeed"),
            (494, "Fan Speed Low"),
            (495, "Fan Speed High"),
        ),
    )


# --- P05xx: speed, idle and auxiliary inputs -----------------------------------------------


def _p05() -> None:
    _series(
        "P",
        500,
        'Vehicle Speed Sensor "A"',
        (
            "",
            " Range/Performance",
            " Circuit Low Input",
            " Intermittent/Erratic/High",
        ),
    )
    idle = "Idle Air Control System"
    _each(
        "P",
        (
            (504, 'Brake Switch "A"/"B" Correlation'),
            (505, idle),
            (506, f"{idle} RPM Lower Than Expected"),
            (507, f"{idle} RPM Higher Than Expected"),
            (508, f"{idle} Circuit Low"),
            (509, f"{idle} Circuit High"),
            (510, "Closed Throttle Position Switch"),
            (511, "Idle Air Control Circuit"),
            (512, "Starter Request Circuit"),
            (515, "Battery Temperature Sensor Circuit"),
            (516, "Battery Temperature Sensor Circuit Low"),
            (517, "Battery Temperature Sensor Circuit High"),
            (518, "Idle Air Control Circuit Intermittent"),
            (519, f"{idle} Performance"),
            (520, "Engine Oil Pressure Sensor/Switch Circuit"),
            (521, "Engine Oil Pressure Sensor/Switch Range/Performance"),
            (522, "Engine Oil Pressure Sensor/Switch Low Voltage"),
            (523, "Engine Oil Pressure Sensor/Switch High Voltage"),
            (524, "Engine Oil Pressure Too Low"),
            (525, "Cruise Control Servo Control Circuit Range/Performance"),
            (534, "Air Conditioner Refrigerant Charge Loss"),
            (560, "System Voltage"),
            (561, "System Voltage Unstable"),
            (562, "System Voltage Low"),
            (563, "System Voltage High"),
            (565, "Cruise Control On Signal"),
            (566, "Cruise Control Off Signal"),
            (567, "Cruise Control Resume Signal"),
            (568, "Cruise Control Set Signal"),
            (569, "Cruise Control Coast Signal"),
            (570, "Cruise Control Accelerate Signal"),
            (571, 'Brake Switch "A" Circuit'),
            (572, 'Brake Switch "A" Circuit Low'),
            (573, 'Brake Switch "A" Circuit High'),
            (574, "Cruise Control System - Vehicle Speed Too High"),
            (575, "Cruise Control Input Circuit"),
            (576, "Cruise Control Input Circuit Low"),
            (577, "Cruise Control Input Circuit High"),
        ),
    )
    _series("P", 526, "Fan Speed Sensor Circuit", _NO_SIGNAL_4)
    _series("P", 530, 'A/C Refrigerant Pressure Sensor "A" Circuit', _PLAIN_4)
    _series("P", 535, "A/C Evaporator Temperature Sensor", _CIRCUIT_5)
    _series("P", 540, 'Intake Air Heater "A" Circuit', ("", " Low", " High", " Open"))
    _each(
        "P",
        (
            (544, "Exhaust Gas Temperature Sensor Circuit (Bank 1 Sensor 1)"),
            (545, "Exhaust Gas Temperature Sensor Circuit Low (Bank 1 Sensor 1)"),
            (546, "Exhaust Gas Temperature Sensor Circuit High (Bank 1 Sensor 1)"),
            (547, "Exhaust Gas Temperature Sensor Circuit (Bank 2 Sensor 1)"),
            (548, "Exhaust Gas Temperature Sensor Circuit Low (Bank 2 Sensor 1)"),
            (549, "Exhaust Gas Temperature Sensor Circuit High (Bank 2 Sensor 1)"),
        ),
    )
    _series("P", 550, "Power Steering Pressure Sensor/Switch", _CIRCUIT_5_INPUT)
    _series("P", 555, "Brake Booster Pressure Sensor", _CIRCUIT_5)


# --- P06xx: computer and auxiliary outputs -------------------------------------------------


def _p06() -> None:
    module = "Internal Control Module"
    _each(
        "P",
        (
            (600, "Serial Communication Link"),
            (601, f"{module} Memory Check Sum Error"),
            (602, "Control Module Programming Error"),
            (603, f"{module} Keep Alive Memory (KAM) Error"),
            (604, f"{module} Random Access Memory (RAM) Error"),
            (605, f"{module} Read Only Memory (ROM) Error"),
            (606, "ECM/PCM Processor"),
            (607, "Control Module Performance"),
            (608, 'Control Module VSS Output "A"'),
            (609, 'Control Module VSS Output "B"'),
            (610, "Control Module Vehicle Options Error"),
            (611, "Fuel Injector Control Module Performance"),
            (612, "Fuel Injector Control Module Relay Control"),
            (613, "TCM Processor"),
            (614, "ECM / TCM Incompatible"),
            (615, "Starter Relay Circuit"),
            (616, "Starter Relay Circuit Low"),
            (617, "Starter Relay Circuit High"),
            (618, "Alternative Fuel Control Module KAM Error"),
            (619, "Alternative Fuel Control Module RAM/ROM Error"),
            (620, "Generator Control Circuit"),
            (621, "Generator Lamp/L Terminal Circuit"),
            (622, "Generator Field/F Terminal Circuit"),
            (623, "Generator Lamp Control Circuit"),
            (624, "Fuel Cap Lamp Control Circuit"),
            (625, "Generator Field/F Terminal Circuit Low"),
            (626, "Generator Field/F Terminal Circuit High"),
            (627, 'Fuel Pump "A" Control Circuit/Open'),
            (628, 'Fuel Pump "A" Control Circuit Low'),
            (629, 'Fuel Pump "A" Control Circuit High'),
            (630, "VIN Not Programmed or Incompatible - ECM/PCM"),
            (631, "VIN Not Programmed or Incompatible - TCM"),
            (632, "Odometer Not Programmed - ECM/PCM"),
            (633, "Immobilizer Key Not Programmed - ECM/PCM"),
            (634, "PCM/ECM/TCM Internal Temperature Too High"),
            (635, "Power Steering Control Circuit"),
            (636, "Power Steering Control Circuit Low"),
            (637, "Power Steering Control Circuit High"),
            (638, "Throttle Actuator Control Range/Performance (Bank 1)"),
            (639, "Throttle Actuator Control Range/Performance (Bank 2)"),
            (640, "Intake Air Heater Control Circuit"),
            (644, "Driver Display Serial Communication Circuit"),
            (645, "A/C Clutch Relay Control Circuit"),
            (646, "A/C Clutch Relay Control Circuit Low"),
            (647, "A/C Clutch Relay Control Circuit High"),
            (648, "Immobilizer Lamp Control Circuit"),
            (649, "Speed Control Lamp Control Circuit"),
            (650, "Malfunction Indicator Lamp (MIL) Control Circuit"),
            (654, "Engine RPM Output Circuit"),
            (655, "Engine Hot Lamp Output Control Circuit"),
            (656, "Fuel Level Output Circuit"),
            (670, "Glow Plug Module Control Circuit"),
            (683, "Glow Plug Control Module to PCM Communication Circuit"),
            (684, "Glow Plug Control Module to PCM Communication Circuit Range/Performance"),
        ),
    )
    for letter, base in (("A", 641), ("B", 651), ("C", 697)):
        _series("P", base, f'Sensor Reference Voltage "{letter}" Circuit', _OPEN_LOW_HIGH)
    _series("P", 657, 'Actuator Supply Voltage "A" Circuit', _OPEN_LOW_HIGH)
    for bank, base in ((1, 660), (2, 663)):
        _series(
            "P",
            base,
            "Intake Manifold Tuning Valve Control Circuit",
            _OPEN_LOW_HIGH,
            f" (Bank {bank})",
        )
    _series("P", 666, "PCM/ECM/TCM Internal Temperature Sensor Circuit", _PLAIN_4)
    for cylinder in range(1, 13):
        _put(_code("P", 670 + cylinder), f"Cylinder {cylinder} Glow Plug Circuit")
    _series("P", 685, "ECM/PCM Power Relay Control Circuit", _OPEN_LOW_HIGH)
    _series("P", 688, "ECM/PCM Power Relay Sense Circuit", _OPEN_LOW_HIGH)
    for fan, base in ((1, 691), (2, 693), (3, 695)):
        _series("P", base, f"Fan {fan} Control Circuit", (" Low", " High"))


# --- P07xx-P08xx: transmission -------------------------------------------------------------


def _p07() -> None:
    _each(
        "P",
        (
            (700, "Transmission Control System (MIL Request)"),
            (701, "Transmission Control System Range/Performance"),
            (702, "Transmission Control System Electrical"),
            (705, "Transmission Range Sensor Circuit Malfunction (PRNDL Input)"),
            (706, "Transmission Range Sensor Circuit Range/Performance"),
            (707, "Transmission Range Sensor Circuit Low Input"),
            (708, "Transmission Range Sensor Circuit High Input"),
            (709, "Transmission Range Sensor Circuit Intermittent"),
            (720, "Output Speed Sensor Circuit"),
            (721, "Output Speed Sensor Circuit Range/Performance"),
            (722, "Output Speed Sensor Circuit No Signal"),
            (723, "Output Speed Sensor Circuit Intermittent"),
            (725, "Engine Speed Input Circuit"),
            (726, "Engine Speed Input Circuit Range/Performance"),
            (727, "Engine Speed Input Circuit No Signal"),
            (728, "Engine Speed Input Circuit Intermittent"),
            (729, "Gear 6 Incorrect Ratio"),
            (730, "Incorrect Gear Ratio"),
            (731, "Gear 1 Incorrect Ratio"),
            (732, "Gear 2 Incorrect Ratio"),
            (733, "Gear 3 Incorrect Ratio"),
            (734, "Gear 4 Incorrect Ratio"),
            (735, "Gear 5 Incorrect Ratio"),
            (736, "Reverse Incorrect Ratio"),
            (780, "Shift Error"),
            (781, "1-2 Shift"),
            (782, "2-3 Shift"),
            (783, "3-4 Shift"),
            (784, "4-5 Shift"),
        ),
    )
    _series("P", 710, 'Transmission Fluid Temperature Sensor "A"', _CIRCUIT_5)
    _series("P", 715, 'Input/Turbine Speed Sensor "A" Circuit', _NO_SIGNAL_4)
    _series(
        "P",
        740,
        "Torque Converter Clutch Circuit",
        (
            "/Open",
            " Performance or Stuck Off",
            " Stuck On",
            " Electrical",
            " Intermittent",
        ),
    )
    for letter, base in (("A", 745), ("B", 775), ("C", 795)):
        _series("P", base, f'Pressure Control Solenoid "{letter}"', _SOLENOID_5)
    for letter, base in zip("ABCDE", (750, 755, 760, 765, 770), strict=True):
        _series("P", base, f'Shift Solenoid "{letter}"', _SOLENOID_5)
    _series("P", 785, "Shift/Timing Solenoid", _PLAIN_5)
    for letter, base in (("A", 840), ("B", 845)):
        _series("P", base, f'Transmission Fluid Pressure Sensor/Switch "{letter}"', _CIRCUIT_5)
    _put("P0868", "Transmission Fluid Pressure Low")
    _put("P0894", "Transmission Component Slipping")


# --- P0Axx: hybrid propulsion (later additions, written out in full) ------------------------


def _p0a() -> None:
    for code, title in (
        ("P0A0A", "High Voltage System Interlock Circuit"),
        ("P0A0F", "Engine Failed to Start"),
        ("P0A7F", "Hybrid Battery Pack Deterioration"),
        ("P0A80", "Replace Hybrid Battery Pack"),
        ("P0A93", "Inverter Cooling System Performance"),
        ("P0AA6", "Hybrid Battery Voltage System Isolation Fault"),
    ):
        _put(code, title)
    for digit, suffix in enumerate(_CIRCUIT_5):
        _put(f"P0A0{digit}", f"Motor Electronics Coolant Temperature Sensor{suffix}")


# --- P2xxx ---------------------------------------------------------------------------------


def _p20() -> None:
    _each(
        "P",
        (
            (2000, "NOx Trap Efficiency Below Threshold (Bank 1)"),
            (2001, "NOx Trap Efficiency Below Threshold (Bank 2)"),
            (2002, "Diesel Particulate Filter Efficiency Below Threshold (Bank 1)"),
            (2003, "Diesel Particulate Filter Efficiency Below Threshold (Bank 2)"),
            (2004, "Intake Manifold Runner Control Stuck Open (Bank 1)"),
            (2005, "Intake Manifold Runner Control Stuck Open (Bank 2)"),
            (2006, "Intake Manifold Runner Control Stuck Closed (Bank 1)"),
            (2007, "Intake Manifold Runner Control Stuck Closed (Bank 2)"),
        ),
    )
    for bank, base in ((1, 2008), (2, 2011)):
        _series(
            "P",
            base,
            "Intake Manifold Runner Control Circuit",
            _OPEN_LOW_HIGH,
            f" (Bank {bank})",
        )
    for bank, base in ((1, 2014), (2, 2019)):
        _series(
            "P",
            base,
            "Intake Manifold Runner Position Sensor/Switch",
            _CIRCUIT_5,
            f" (Bank {bank})",
        )
    _series("P", 2065, 'Fuel Level Sensor "B" Circuit', _PLAIN_5)
    _put("P2070", "Intake Manifold Tuning (IMT) Valve Stuck Open")
    _put("P2071", "Intake Manifold Tuning (IMT) Valve Stuck Closed")
    _series("P", 2075, "Intake Manifold Tuning (IMT) Valve Position Sensor/Switch", _CIRCUIT_5)
    for bank, base in ((1, 2088), (2, 2092)):
        for letter, start in (("A", base), ("B", base + 2)):
            _series(
                "P",
                start,
                f'"{letter}" Camshaft Position Actuator Control Circuit',
                (" Low", " High"),
                f" (Bank {bank})",
            )
    _each(
        "P",
        (
            (2096, "Post Catalyst Fuel Trim System Too Lean (Bank 1)"),
            (2097, "Post Catalyst Fuel Trim System Too Rich (Bank 1)"),
            (2098, "Post Catalyst Fuel Trim System Too Lean (Bank 2)"),
            (2099, "Post Catalyst Fuel Trim System Too Rich (Bank 2)"),
        ),
    )


def _p21() -> None:
    tac = "Throttle Actuator Control"
    _each(
        "P",
        (
            (2100, f"{tac} Motor Circuit/Open"),
            (2101, f"{tac} Motor Circuit Range/Performance"),
            (2102, f"{tac} Motor Circuit Low"),
            (2103, f"{tac} Motor Circuit High"),
            (2104, f"{tac} System - Forced Idle"),
            (2105, f"{tac} System - Forced Engine Shutdown"),
            (2106, f"{tac} System - Forced Limited Power"),
            (2107, f"{tac} Module Processor"),
            (2108, f"{tac} Module Performance"),
            (2110, f"{tac} System - Forced Limited RPM"),
            (2111, f"{tac} System - Stuck Open"),
            (2112, f"{tac} System - Stuck Closed"),
            (2118, f"{tac} Motor Current Range/Performance"),
            (2119, f"{tac} Throttle Body Range/Performance"),
            (2176, f"{tac} System - Idle Position Not Learned"),
        ),
    )
    for letter, base in (("D", 2120), ("E", 2125), ("F", 2130)):
        _series(
            "P",
            base,
            f'Throttle/Pedal Position Sensor/Switch "{letter}"',
            (
                " Circuit",
                " Circuit Range/Performance",
                " Circuit Low Input",
                " Circuit High Input",
                " Circuit Intermittent",
            ),
        )
    for number, pair in (
        (2135, '"A"/"B"'),
        (2136, '"A"/"C"'),
        (2137, '"B"/"C"'),
        (2138, '"D"/"E"'),
        (2139, '"D"/"F"'),
        (2140, '"E"/"F"'),
    ):
        _put(
            _code("P", number), f"Throttle/Pedal Position Sensor/Switch {pair} Voltage Correlation"
        )
    for letter, base in zip("ABCD", (2146, 2149, 2152, 2155), strict=True):
        _series("P", base, f'Fuel Injector Group "{letter}" Supply Voltage Circuit', _OPEN_LOW_HIGH)
    _series(
        "P",
        2158,
        'Vehicle Speed Sensor "B"',
        (
            "",
            " Range/Performance",
            " Circuit Low",
            " Intermittent/Erratic",
        ),
    )
    _put("P2162", 'Vehicle Speed Sensor "A"/"B" Correlation')
    _each(
        "P",
        (
            (2177, "System Too Lean Off Idle (Bank 1)"),
            (2178, "System Too Rich Off Idle (Bank 1)"),
            (2179, "System Too Lean Off Idle (Bank 2)"),
            (2180, "System Too Rich Off Idle (Bank 2)"),
            (2181, "Cooling System Performance"),
            (2187, "System Too Lean at Idle (Bank 1)"),
            (2188, "System Too Rich at Idle (Bank 1)"),
            (2189, "System Too Lean at Idle (Bank 2)"),
            (2190, "System Too Rich at Idle (Bank 2)"),
            (2191, "System Too Lean at Higher Load (Bank 1)"),
            (2192, "System Too Rich at Higher Load (Bank 1)"),
            (2193, "System Too Lean at Higher Load (Bank 2)"),
            (2194, "System Too Rich at Higher Load (Bank 2)"),
        ),
    )
    _series("P", 2182, "Engine Coolant Temperature Sensor 2 Circuit", _PLAIN_5_ERRATIC)
    stuck = (
        (2195, "Lean", 1, 1),
        (2196, "Rich", 1, 1),
        (2197, "Lean", 2, 1),
        (2198, "Rich", 2, 1),
        (2270, "Lean", 1, 2),
        (2271, "Rich", 1, 2),
        (2272, "Lean", 2, 2),
        (2273, "Rich", 2, 2),
        (2274, "Lean", 1, 3),
        (2275, "Rich", 1, 3),
        (2276, "Lean", 2, 3),
        (2277, "Rich", 2, 3),
    )
    for number, side, bank, sensor in stuck:
        _put(_code("P", number), f"O2 Sensor Signal Stuck {side}{_bank_sensor(bank, sensor)}")


def _p22() -> None:
    for bank, base in ((1, 2200), (2, 2213)):
        _series(
            "P",
            base,
            "NOx Sensor",
            (
                " Circuit",
                " Circuit Range/Performance",
                " Circuit Low Input",
                " Circuit High Input",
                " Circuit Intermittent Input",
                " Heater Control Circuit/Open",
                " Heater Control Circuit Low",
                " Heater Control Circuit High",
                " Heater Sense Circuit",
                " Heater Sense Circuit Range/Performance",
                " Heater Sense Circuit Low",
                " Heater Sense Circuit High",
                " Heater Sense Circuit Intermittent",
            ),
            f" (Bank {bank})",
        )
    _series("P", 2226, "Barometric Pressure Circuit", _PLAIN_5)
    for number, bank, sensor in (
        (2231, 1, 1),
        (2232, 1, 2),
        (2233, 1, 3),
        (2234, 2, 1),
        (2235, 2, 2),
        (2236, 2, 3),
    ):
        _put(
            _code("P", number),
            f"O2 Sensor Signal Circuit Shorted to Heater Circuit{_bank_sensor(bank, sensor)}",
        )
    for bank, base in ((1, 2237), (2, 2240)):
        _series(
            "P",
            base,
            "O2 Sensor Positive Current Control Circuit",
            _OPEN_LOW_HIGH,
            _bank_sensor(bank, 1),
        )
    for bank, base in ((1, 2243), (2, 2247)):
        _series(
            "P",
            base,
            "O2 Sensor Reference Voltage",
            (
                " Circuit/Open",
                " Performance",
                " Circuit Low",
                " Circuit High",
            ),
            _bank_sensor(bank, 1),
        )
    for bank, base in ((1, 2251), (2, 2254)):
        _series(
            "P",
            base,
            "O2 Sensor Negative Current Control Circuit",
            _OPEN_LOW_HIGH,
            _bank_sensor(bank, 1),
        )
    _each(
        "P",
        (
            (2257, 'Secondary Air Injection System Control "A" Circuit Low'),
            (2258, 'Secondary Air Injection System Control "A" Circuit High'),
            (2259, 'Secondary Air Injection System Control "B" Circuit Low'),
            (2260, 'Secondary Air Injection System Control "B" Circuit High'),
            (2261, "Turbo/Super Charger Bypass Valve - Mechanical"),
            (2262, "Turbo Boost Pressure Not Detected - Mechanical"),
            (2263, "Turbo/Super Charger Boost System Performance"),
            (2269, "Water in Fuel Condition"),
            (2278, "O2 Sensor Signals Swapped Bank 1 Sensor 3/Bank 2 Sensor 3"),
            (2279, "Intake Air System Leak"),
            (2280, "Air Flow Restriction/Air Leak Between Air Filter and MAF"),
            (2281, "Air Leak Between MAF and Throttle Body"),
            (2282, "Air Leak Between Throttle Body and Intake Valves"),
            (2288, "Injector Control Pressure Too High"),
            (2289, "Injector Control Pressure Too High - Engine Off"),
            (2290, "Injector Control Pressure Too Low"),
            (2291, "Injector Control Pressure Too Low - Engine Cranking"),
            (2292, "Injector Control Pressure Erratic"),
            (2293, "Fuel Pressure Regulator 2 Performance"),
            (2294, "Fuel Pressure Regulator 2 Control Circuit"),
            (2295, "Fuel Pressure Regulator 2 Control Circuit Low"),
            (2296, "Fuel Pressure Regulator 2 Control Circuit High"),
            (2297, "O2 Sensor Out of Range During Deceleration (Bank 1 Sensor 1)"),
            (2298, "O2 Sensor Out of Range During Deceleration (Bank 2 Sensor 1)"),
            (2299, "Brake Pedal Position/Accelerator Pedal Position Incompatible"),
        ),
    )
    _series("P", 2264, "Water in Fuel Sensor Circuit", _PLAIN_5)
    _series("P", 2283, "Injector Control Pressure Sensor Circuit", _PLAIN_5)


def _p23_p24() -> None:
    for number, letter in enumerate("ABCDEFGHIJKL"):
        _series(
            "P",
            2300 + 3 * number,
            f'Ignition Coil "{letter}"',
            (
                " Primary Control Circuit Low",
                " Primary Control Circuit High",
                " Secondary Circuit",
            ),
        )
    for cylinder in range(1, 13):
        _put(_code("P", 2335 + cylinder), f"Cylinder {cylinder} Above Knock Threshold")
    pump = "Evaporative Emission System Leak Detection Pump"
    _series(
        "P",
        2400,
        pump,
        (
            " Control Circuit/Open",
            " Control Circuit Low",
            " Control Circuit High",
            " Sense Circuit/Open",
            " Sense Circuit Range/Performance",
            " Sense Circuit Low",
            " Sense Circuit High",
            " Sense Circuit Intermittent/Erratic",
        ),
    )
    _each(
        "P",
        (
            (2414, "O2 Sensor Exhaust Sample Error (Bank 1 Sensor 1)"),
            (2415, "O2 Sensor Exhaust Sample Error (Bank 2 Sensor 1)"),
            (2421, "Evaporative Emission System Vent Valve Stuck Open"),
            (2422, "Evaporative Emission System Vent Valve Stuck Closed"),
            (2423, "HC Adsorption Catalyst Efficiency Below Threshold (Bank 1)"),
            (2424, "HC Adsorption Catalyst Efficiency Below Threshold (Bank 2)"),
            (2428, "Exhaust Gas Temperature Too High (Bank 1)"),
            (2429, "Exhaust Gas Temperature Too High (Bank 2)"),
            (2457, "Exhaust Gas Recirculation Cooling System Performance"),
            (2458, "Diesel Particulate Filter Regeneration Duration"),
            (2459, "Diesel Particulate Filter Regeneration Frequency"),
        ),
    )
    _series("P", 2425, "Exhaust Gas Recirculation Cooling Valve Control Circuit", _OPEN_LOW_HIGH)
    for bank, base in ((1, 2430), (2, 2435)):
        _series(
            "P",
            base,
            "Secondary Air Injection System Air Flow/Pressure Sensor Circuit",
            _PLAIN_5_ERRATIC,
            f" (Bank {bank})",
        )
    air = "Secondary Air Injection System"
    for bank, base in ((1, 2440), (2, 2442)):
        _series("P", base, f"{air} Switching Valve Stuck", (" Open", " Closed"), f" (Bank {bank})")
    for bank, base in ((1, 2444), (2, 2446)):
        _series("P", base, f"{air} Pump Stuck", (" On", " Off"), f" (Bank {bank})")
    _series("P", 2452, 'Diesel Particulate Filter Pressure Sensor "A" Circuit', _PLAIN_5_ERRATIC)


def _p25_p27() -> None:
    _each(
        "P",
        (
            (2500, "Generator Lamp/L-Terminal Circuit Low"),
            (2501, "Generator Lamp/L-Terminal Circuit High"),
            (2502, "Charging System Voltage"),
            (2503, "Charging System Voltage Low"),
            (2504, "Charging System Voltage High"),
            (2510, "ECM/PCM Power Relay Sense Circuit Range/Performance"),
            (2511, "ECM/PCM Power Relay Sense Circuit Intermittent"),
            (2560, "Engine Coolant Level Low"),
            (2561, "A/C Control Module Requested MIL Illumination"),
            (2610, "ECM/PCM Internal Engine Off Timer Performance"),
            (2635, 'Fuel Pump "A" Low Flow/Performance'),
            (2636, 'Fuel Pump "B" Low Flow/Performance'),
        ),
    )
    _series("P", 2505, "ECM/PCM Power Input Signal", _PLAIN_5)
    for letter, base in (("A", 2544), ("B", 2548)):
        _series("P", base, f'Torque Management Request Input Signal "{letter}"', _PLAIN_4)
    _series("P", 2556, "Engine Coolant Level Sensor/Switch Circuit", _PLAIN_4)
    _series(
        "P",
        2600,
        "Coolant Pump Control Circuit",
        (
            "/Open",
            " Range/Performance",
            " Low",
            " High",
        ),
    )
    _series("P", 2632, 'Fuel Pump "B" Control Circuit', _OPEN_LOW_HIGH)
    for bank, base in ((1, 2645), (2, 2655)):
        for letter, start in (("A", base), ("B", base + 5)):
            rocker = f'"{letter}" Rocker Arm Actuator'
            _series(
                "P",
                start,
                "",
                (
                    f"{rocker} Control Circuit/Open",
                    f"{rocker} System Performance or Stuck Off",
                    f"{rocker} System Stuck On",
                    f"{rocker} Control Circuit Low",
                    f"{rocker} Control Circuit High",
                ),
                f" (Bank {bank})",
            )
    for number, letter in enumerate("ABCDEF", start=2700):
        _put(
            _code("P", number),
            f'Transmission Friction Element "{letter}" Apply Time Range/Performance',
        )


def _p2_hex() -> None:
    for code, title in (
        ("P203F", "Reductant Level Too Low"),
        ("P20EE", "SCR NOx Catalyst Efficiency Below Threshold (Bank 1)"),
        ("P242F", "Diesel Particulate Filter Restriction - Ash Accumulation"),
        ("P2463", "Diesel Particulate Filter Restriction - Soot Accumulation"),
    ):
        _put(code, title)
    for number, (bank, sensor) in enumerate(((1, 1), (1, 2), (1, 3), (2, 1), (2, 2), (2, 3))):
        _put(f"P2A0{number}", f"O2 Sensor Circuit Range/Performance{_bank_sensor(bank, sensor)}")


# --- P34xx: cylinder deactivation ----------------------------------------------------------


def _p34() -> None:
    _put("P3400", "Cylinder Deactivation System (Bank 1)")
    for cylinder in range(1, 13):
        base = 3401 + 8 * (cylinder - 1)
        for offset, (valve, suffix) in enumerate(
            (valve, suffix)
            for valve in ("Deactivation/Intake Valve Control", "Exhaust Valve Control")
            for suffix in (" Circuit/Open", " Performance", " Circuit Low", " Circuit High")
        ):
            _put(_code("P", base + offset), f"Cylinder {cylinder} {valve}{suffix}")
    _put("P3497", "Cylinder Deactivation System (Bank 2)")


# --- U0xxx: network ------------------------------------------------------------------------

# The standard's module list, shared by the "lost communication", "software incompatibility"
# and "invalid data" series; None marks numbers this table leaves untitled.
_LOST = {
    100: 'ECM/PCM "A"',
    101: "TCM",
    102: "Transfer Case Control Module",
    103: "Gear Shift Module",
    104: "Cruise Control Module",
    105: "Fuel Injector Control Module",
    106: "Glow Plug Control Module",
    107: "Throttle Actuator Control Module",
    108: "Alternative Fuel Control Module",
    109: "Fuel Pump Control Module",
    110: "Drive Motor Control Module",
    111: 'Battery Energy Control Module "A"',
    112: 'Battery Energy Control Module "B"',
    113: "Emissions Critical Control Information",
    114: "Four-Wheel Drive Clutch Control Module",
    115: 'ECM/PCM "B"',
    121: "Anti-Lock Brake System (ABS) Control Module",
    122: "Vehicle Dynamics Control Module",
    123: "Yaw Rate Sensor Module",
    124: "Lateral Acceleration Sensor Module",
    125: "Multi-axis Acceleration Sensor Module",
    126: "Steering Angle Sensor Module",
    127: "Tire Pressure Monitor Module",
    128: "Park Brake Control Module",
    129: "Brake System Control Module",
    130: "Steering Effort Control Module",
    131: "Power Steering Control Module",
    132: "Ride Level Control Module",
    140: "Body Control Module",
    141: 'Body Control Module "A"',
    142: 'Body Control Module "B"',
    143: 'Body Control Module "C"',
    144: 'Body Control Module "D"',
    145: 'Body Control Module "E"',
    146: 'Gateway "A"',
    147: 'Gateway "B"',
    148: 'Gateway "C"',
    149: 'Gateway "D"',
    150: 'Gateway "E"',
    151: "Restraints Control Module",
    152: "Side Restraints Control Module Left",
    153: "Side Restraints Control Module Right",
    154: "Restraints Occupant Sensing Control Module",
    155: "Instrument Panel Cluster (IPC) Control Module",
    156: 'Information Center "A"',
    157: 'Information Center "B"',
    158: "Head Up Display",
    160: "Audible Alert Control Module",
    161: "Compass Module",
    162: "Navigation Display Module",
    163: "Navigation Control Module",
    164: "HVAC Control Module",
    165: "HVAC Control Module Rear",
    166: "Auxiliary Heater Control Module",
    167: "Vehicle Immobilizer Control Module",
    168: "Vehicle Security Control Module",
    169: "Sunroof Control Module",
    180: "Automatic Lighting Control Module",
    181: "Headlamp Leveling Control Module",
    182: "Lighting Control Module Front",
    183: "Lighting Control Module Rear",
    184: "Radio",
    185: "Antenna Control Module",
    186: "Audio Amplifier",
    191: "Television",
    195: "Subscription Entertainment Receiver Module",
    196: "Rear Seat Entertainment Control Module",
    197: "Telephone Control Module",
    206: "Folding Top Control Module",
    207: "Moveable Roof Control Module",
    212: "Steering Column Control Module",
    213: "Mirror Control Module",
    214: "Remote Function Actuation",
    229: "Heated Steering Wheel Module",
    230: "Rear Gate Module",
    231: "Rain Sensing Module",
    232: "Side Obstacle Detection Control Module Left",
    233: "Side Obstacle Detection Control Module Right",
}
# Lettered series inside the lost-communication range: (first number, name, letters).
_LOST_LETTERED = (
    (170, "Restraints System Sensor", "ABCDEFGHIJ"),
    (187, "Digital Disc Player/Changer Module", "ABCD"),
    (199, "Door Control Module", "ABCDEFG"),
    (208, "Seat Control Module", "ABCD"),
    (215, "Door Switch", "ABCDEFG"),
    (222, "Door Window Motor", "ABCDEFG"),
)
# Software incompatibility (U03xx) and invalid data (U04xx) count through their own, shorter
# module list, the same for both series.
_MODULES_3_4 = (
    'ECM/PCM "A"',
    "TCM",
    "Transfer Case Control Module",
    "Gear Shift Control Module",
    "Cruise Control Module",
    "Fuel Injector Control Module",
    "Glow Plug Control Module",
    "Throttle Actuator Control Module",
    "Alternative Fuel Control Module",
    "Fuel Pump Control Module",
    "Drive Motor Control Module",
    'Battery Energy Control Module "A"',
    'Battery Energy Control Module "B"',
    "Four-Wheel Drive Clutch Control Module",
    "Anti-Lock Brake System (ABS) Control Module",
    "Vehicle Dynamics Control Module",
    "Park Brake Control Module",
    "Brake System Control Module",
    "Steering Effort Control Module",
    "Power Steering Control Module",
    "Ride Level Control Module",
    "Body Control Module",
    "Instrument Panel Control Module",
    "HVAC Control Module",
    "Auxiliary Heater Control Module",
    "Vehicle Immobilizer Control Module",
    "Vehicle Security Control Module",
    "Steering Angle Sensor Module",
    "Steering Column Control Module",
    "Tire Pressure Monitor Module",
    'Body Control Module "A"',
)


def _u0() -> None:
    # Bus faults: each bus has a plain code, performance, then the (+) and (-) lines open,
    # low and high, and (-) shorted to (+).
    bus_suffixes = (
        "",
        " Performance",
        " (+) Open",
        " (+) Low",
        " (+) High",
        " (-) Open",
        " (-) Low",
        " (-) High",
        " (-) shorted to Bus (+)",
    )
    buses = (
        (1, "High Speed CAN Communication Bus"),
        (10, "Medium Speed CAN Communication Bus"),
        (19, "Low Speed CAN Communication Bus"),
        (28, 'Vehicle Communication Bus "A"'),
        (37, 'Vehicle Communication Bus "B"'),
        (46, 'Vehicle Communication Bus "C"'),
        (55, 'Vehicle Communication Bus "D"'),
        (64, 'Vehicle Communication Bus "E"'),
    )
    for base, bus in buses:
        _series("U", base, bus, bus_suffixes)
    _put("U0073", 'Control Module Communication Bus "A" Off')
    for number, module in _LOST.items():
        _put(_code("U", number), f"Lost Communication With {module}")
    for base, module, letters in _LOST_LETTERED:
        for offset, letter in enumerate(letters):
            _put(_code("U", base + offset), f'Lost Communication With {module} "{letter}"')
    _put("U0300", "Internal Control Module Software Incompatibility")
    _put("U0400", "Invalid Data Received")
    for offset, module in enumerate(_MODULES_3_4, start=1):
        _put(_code("U", 300 + offset), f"Software Incompatibility With {module}")
        _put(_code("U", 400 + offset), f"Invalid Data Received From {module}")


# --- B0 and C0: only the codes whose generic title is settled ------------------------------


def _body_and_chassis() -> None:
    for code, title in (
        ("B0001", "Driver Frontal Stage 1 Deployment Control"),
        ("B0002", "Driver Frontal Stage 2 Deployment Control"),
        ("B0010", "Passenger Frontal Stage 1 Deployment Control"),
        ("C0020", "ABS Pump Motor Control"),
        ("C0031", "Left Front Wheel Speed Sensor"),
        ("C0034", "Right Front Wheel Speed Sensor"),
        ("C0035", "Right Front Wheel Speed Sensor Supply"),
        ("C0037", "Left Rear Wheel Speed Sensor"),
        ("C003A", "Right Rear Wheel Speed Sensor"),
        ("C0040", 'Brake Pedal Switch "A"'),
        ("C0063", "Yaw Rate Sensor"),
    ):
        _put(code, title)


for _family in (
    _p00,
    _p01,
    _p02,
    _p03,
    _p04,
    _p05,
    _p06,
    _p07,
    _p0a,
    _p20,
    _p21,
    _p22,
    _p23_p24,
    _p25_p27,
    _p2_hex,
    _p34,
    _u0,
    _body_and_chassis,
):
    _family()

# Every generic title this project ships, read-only, keyed by code (uppercase), in code order.
TITLES: Mapping[str, str] = MappingProxyType(dict(sorted(_TITLES.items())))


def generic_title(code: str) -> str | None:
    """Return the SAE J2012 generic title of a code ("P0420" -> "Catalyst System …"), or None.

    `code` is matched as given after upper-casing and trimming; None means the standard's
    title is not in this table (a manufacturer code, a reserved number, or a generic code
    this project has not titled), never that the code is invalid.
    """
    return TITLES.get((code or "").strip().upper())
