"""Function-calling tools for models that support them, and the code that runs them.

A tool never raises: a bad call (unknown name, broken JSON, a wrong argument) comes
back to the model as ``{"error": ...}`` so it can correct itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from automotive import dtc, tires
from automotive.vehicle import VehicleProfile
from automotive.vin import decode_vin

# Bounds what one tool result may add to the context.
MAX_RESULT_CHARS = 4000


def _function(name: str, description: str, properties: dict, required: list[str]) -> dict:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {
                "type": "object",
                "properties": properties,
                "required": required,
                "additionalProperties": False,
            },
        },
    }


TOOL_SCHEMAS: list[dict[str, Any]] = [
    _function(
        "decode_vin",
        "Decode a 17-character Vehicle Identification Number: model year, make, model, "
        "trim, body, manufacturer and country, and whether the check digit is right.",
        {"vin": {"type": "string", "description": "The VIN, 17 characters."}},
        ["vin"],
    ),
    _function(
        "explain_dtc",
        "Explain an OBD-II diagnostic trouble code (e.g. P0420, C0035, U0100): meaning, "
        "likely causes in order, what to check first, and whether it is safe to drive.",
        {"code": {"type": "string", "description": "The code, a letter and 4 characters."}},
        ["code"],
    ),
    _function(
        "decode_tire_size",
        "Explain a tire size such as 225/45R17 94W, LT265/75R16 or 31x10.50R15: width, "
        "aspect ratio, rim, overall diameter, load index and speed rating.",
        {"size": {"type": "string", "description": "The size as printed on the sidewall."}},
        ["size"],
    ),
    _function(
        "compare_tire_sizes",
        "Compare two tire sizes: overall diameter difference and the speedometer error "
        "when the new size replaces the current one.",
        {
            "current": {"type": "string", "description": "The size fitted now."},
            "new": {"type": "string", "description": "The size being considered."},
        },
        ["current", "new"],
    ),
    _function(
        "get_my_vehicle",
        "Return the user's saved vehicle (year, make, model, engine, mileage, VIN), or "
        "say that none is saved.",
        {},
        [],
    ),
]

TOOL_NAMES = tuple(schema["function"]["name"] for schema in TOOL_SCHEMAS)


def _decode_vin(args: dict[str, Any], _vehicle: VehicleProfile | None) -> dict[str, Any]:
    return decode_vin(_string(args, "vin")).to_dict()


def _explain_dtc(args: dict[str, Any], _vehicle: VehicleProfile | None) -> dict[str, Any]:
    return dtc.explain_dtc(_string(args, "code")).to_dict()


def _decode_tire(args: dict[str, Any], _vehicle: VehicleProfile | None) -> dict[str, Any]:
    return tires.parse_tire_size(_string(args, "size")).describe()


def _compare(args: dict[str, Any], _vehicle: VehicleProfile | None) -> dict[str, Any]:
    return tires.compare_tire_sizes(_string(args, "current"), _string(args, "new"))


def _my_vehicle(_args: dict[str, Any], vehicle: VehicleProfile | None) -> dict[str, Any]:
    if vehicle is None or vehicle.is_empty:
        return {"saved": False, "note": "The user has not saved a vehicle in 'My vehicle'."}
    return {"saved": True, **vehicle.to_dict()}


_RUNNERS: dict[str, Callable[[dict[str, Any], VehicleProfile | None], dict[str, Any]]] = {
    "decode_vin": _decode_vin,
    "explain_dtc": _explain_dtc,
    "decode_tire_size": _decode_tire,
    "compare_tire_sizes": _compare,
    "get_my_vehicle": _my_vehicle,
}


class _BadArguments(ValueError):
    pass


def _string(args: dict[str, Any], name: str) -> str:
    value = args.get(name)
    if not isinstance(value, str) or not value.strip():
        raise _BadArguments(f"'{name}' must be a non-empty string")
    return value.strip()


def parse_arguments(arguments: str | None) -> dict[str, Any]:
    """Read a tool call's JSON arguments (an empty string means none)."""
    if arguments is None or not arguments.strip():
        return {}
    try:
        parsed = json.loads(arguments)
    except ValueError as exc:
        raise _BadArguments(f"the arguments are not valid JSON ({exc.msg})") from None
    if not isinstance(parsed, dict):
        raise _BadArguments("the arguments must be a JSON object")
    return parsed


def run_tool(name: str, arguments: str | None, vehicle: VehicleProfile | None) -> dict[str, Any]:
    """Run one tool call and return its result, or ``{"error": ...}`` when it cannot run."""
    runner = _RUNNERS.get(name)
    if runner is None:
        return {"error": f"Unknown tool '{name}'. Available tools: {', '.join(TOOL_NAMES)}."}
    try:
        return runner(parse_arguments(arguments), vehicle)
    except (_BadArguments, ValueError) as exc:
        # DtcError and TireSizeError are ValueErrors with a reason the model can act on.
        return {"error": f"{name} could not run: {exc}"}


def result_content(result: dict[str, Any]) -> str:
    """Serialise a tool result for the ``tool`` message, bounded in size."""
    text = json.dumps(result, ensure_ascii=False, default=str)
    if len(text) > MAX_RESULT_CHARS:
        text = json.dumps({"error": "the result was too long to return"})
    return text
