"""Function-calling tools for models that support them, and the code that runs them.

A tool never raises: a bad call (unknown name, broken JSON, a wrong argument) comes
back to the model as ``{"error": ...}`` so it can correct itself.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from automotive import dtc, recalls, tires
from automotive.vehicle import VehicleProfile
from automotive.vin import decode_vin
from automotive.warning_lights import explain_warning_light

log = logging.getLogger(__name__)

# Bounds what one tool result may add to the context.
MAX_RESULT_CHARS = 4000


Runner = Callable[[dict[str, Any], VehicleProfile | None], dict[str, Any]]


@dataclass(frozen=True)
class Tool:
    """One tool: what the model is told (name, description, JSON-schema properties) and
    the function that answers a call (arguments, the visitor's vehicle) -> result."""

    name: str
    description: str
    properties: dict[str, Any]
    required: tuple[str, ...]
    run: Runner

    @property
    def schema(self) -> dict[str, Any]:
        """The OpenAI/OpenRouter ``tools`` entry for this function."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": {
                    "type": "object",
                    "properties": self.properties,
                    "required": list(self.required),
                    "additionalProperties": False,
                },
            },
        }


def _decode_vin(args: dict[str, Any], _vehicle: VehicleProfile | None) -> dict[str, Any]:
    return decode_vin(_string(args, "vin")).to_dict()


def _explain_dtc(args: dict[str, Any], _vehicle: VehicleProfile | None) -> dict[str, Any]:
    return dtc.explain_dtc(_string(args, "code")).to_dict()


def _decode_tire(args: dict[str, Any], _vehicle: VehicleProfile | None) -> dict[str, Any]:
    return tires.parse_tire_size(_string(args, "size")).describe()


def _compare(args: dict[str, Any], _vehicle: VehicleProfile | None) -> dict[str, Any]:
    return tires.compare_tire_sizes(_string(args, "current"), _string(args, "new"))


def _explain_light(args: dict[str, Any], _vehicle: VehicleProfile | None) -> dict[str, Any]:
    colour, flashing = args.get("colour"), args.get("flashing")
    if colour is not None and not isinstance(colour, str):
        raise _BadArguments("'colour' must be a string such as red or amber")
    if flashing is not None and not isinstance(flashing, bool):
        raise _BadArguments("'flashing' must be true or false")
    return explain_warning_light(_string(args, "description"), colour, flashing)


def _my_vehicle(_args: dict[str, Any], vehicle: VehicleProfile | None) -> dict[str, Any]:
    if vehicle is None or vehicle.is_empty:
        return {"saved": False, "note": "The user has not saved a vehicle in 'My vehicle'."}
    return {"saved": True, **vehicle.to_dict()}


# The registry: a new tool is one entry here, nothing else.
TOOLS: tuple[Tool, ...] = (
    Tool(
        "decode_vin",
        "Decode a 17-character Vehicle Identification Number: model year, make, model, "
        "trim, body, manufacturer and country, and whether the check digit is right.",
        {"vin": {"type": "string", "description": "The VIN, 17 characters."}},
        ("vin",),
        _decode_vin,
    ),
    Tool(
        "explain_dtc",
        "Explain an OBD-II diagnostic trouble code (e.g. P0420, C0035, U0100): meaning, "
        "likely causes in order, what to check first, and whether it is safe to drive.",
        {"code": {"type": "string", "description": "The code, a letter and 4 characters."}},
        ("code",),
        _explain_dtc,
    ),
    Tool(
        "decode_tire_size",
        "Explain a tire size such as 225/45R17 94W, LT265/75R16 or 31x10.50R15: width, "
        "aspect ratio, rim, overall diameter, load index and speed rating.",
        {"size": {"type": "string", "description": "The size as printed on the sidewall."}},
        ("size",),
        _decode_tire,
    ),
    Tool(
        "compare_tire_sizes",
        "Compare two tire sizes: overall diameter difference and the speedometer error "
        "when the new size replaces the current one.",
        {
            "current": {"type": "string", "description": "The size fitted now."},
            "new": {"type": "string", "description": "The size being considered."},
        },
        ("current", "new"),
        _compare,
    ),
    Tool(
        "explain_warning_light",
        "Identify a dashboard warning light from the user's description (shape, colour, "
        "flashing or steady, e.g. 'red oil can', 'yellow engine light flashing', 'tortoise', "
        "'horseshoe with an exclamation mark'), in any of several languages: its meaning, "
        "how urgent it is (stop safely now, soon, or information) and what to do.",
        {
            "description": {
                "type": "string",
                "description": "The light as the user described it, in their words.",
            },
            "colour": {
                "type": "string",
                "enum": ["red", "amber", "yellow", "green", "blue", "white"],
                "description": "The light's colour, when known.",
            },
            "flashing": {"type": "boolean", "description": "Whether it flashes, when known."},
        },
        ("description",),
        _explain_light,
    ),
    Tool(
        "get_my_vehicle",
        "Return the user's saved vehicle (year, make, model, engine, mileage, VIN), or "
        "say that none is saved.",
        {},
        (),
        _my_vehicle,
    ),
    Tool(
        "check_recalls",
        "List NHTSA safety recalls (US) for the user's saved vehicle, or for the model year, "
        "make and model given: campaign number, date, component, summary, consequence, remedy, "
        "and whether NHTSA says not to drive it or to park it outside. Recalls listed for a "
        "model may not apply to every vehicle of it.",
        {
            "year": {"type": "integer", "description": "Model year; default: the saved one."},
            "make": {"type": "string", "description": "Make, e.g. Honda; default: the saved one."},
            "model": {
                "type": "string",
                "description": "Model, e.g. Accord; default: the saved one.",
            },
        },
        (),
        recalls.check_recalls,  # asks NHTSA through the cache the app connected
    ),
)
_BY_NAME = {tool.name: tool for tool in TOOLS}
TOOL_SCHEMAS: list[dict[str, Any]] = [tool.schema for tool in TOOLS]
TOOL_NAMES = tuple(_BY_NAME)


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
    tool = _BY_NAME.get(name)
    if tool is None:
        return {"error": f"Unknown tool '{name}'. Available tools: {', '.join(TOOL_NAMES)}."}
    try:
        return tool.run(parse_arguments(arguments), vehicle)
    except (_BadArguments, ValueError) as exc:
        # DtcError and TireSizeError are ValueErrors with a reason the model can act on.
        return {"error": f"{name} could not run: {exc}"}
    except Exception:
        # A bug in a decoder must not end the turn: the model hears the tool failed and
        # answers without it.
        log.exception("tool %s failed", name)
        return {"error": f"{name} failed inside the app; answer without it."}


def result_content(result: dict[str, Any]) -> str:
    """Serialise a tool result for the ``tool`` message, bounded in size."""
    text = json.dumps(result, ensure_ascii=False, default=str)
    if len(text) > MAX_RESULT_CHARS:
        text = json.dumps({"error": "the result was too long to return"})
    return text
