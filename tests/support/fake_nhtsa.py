"""A fake of NHTSA's recalls API: a real HTTP server on loopback speaking its JSON.

``GET /recalls/recallsByVehicle?make=honda&model=accord&modelYear=2003`` answers
``{"Count": n, "Message": "Results returned successfully", "results": [...]}`` with the
fields NHTSA sends (NHTSACampaignNumber, parkIt, parkOutSide, ReportReceivedDate as
dd/mm/yyyy...); a vehicle it does not know gets ``Count`` 0, and missing parameters a 400.
Tests add vehicles, queue failures (``Outage``, ``Slow``, ``Raw``, ``Hangup``) and read back
every request. ``python -m tests.support.fake_nhtsa`` runs it on its own.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

RECALLS_PATH = "/recalls/recallsByVehicle"
OK_MESSAGE = "Results returned successfully"


def recall_entry(
    campaign: str,
    component: str,
    *,
    year: int = 2003,
    make: str = "HONDA",
    model: str = "ACCORD",
    received: str = "19/02/2003",
    summary: str = "A part may fail.",
    consequence: str = "This can increase the risk of a crash.",
    remedy: str = "Dealers will replace the part, free of charge.",
    park_it: bool = False,
    park_outside: bool = False,
    over_the_air: bool = False,
    notes: str = "Owners may also contact the NHTSA Vehicle Safety Hotline at 1-888-327-4236.",
    manufacturer: str = "Honda (American Honda Motor Co.)",
) -> dict[str, Any]:
    """One ``results`` entry, every field NHTSA sends, in its order and spelling."""
    return {
        "Manufacturer": manufacturer,
        "NHTSACampaignNumber": campaign,
        "parkIt": park_it,
        "parkOutSide": park_outside,
        "overTheAirUpdate": over_the_air,
        "NHTSAActionNumber": "",
        "ReportReceivedDate": received,
        "Component": component,
        "Summary": summary,
        "Consequence": consequence,
        "Remedy": remedy,
        "Notes": notes,
        "ModelYear": str(year),
        "Make": make,
        "Model": model,
    }


# The vehicle the fake knows by default: three campaigns, one of them "park it".
ACCORD_2003 = [
    recall_entry(
        "03V123000",
        "ELECTRICAL SYSTEM:IGNITION:SWITCH",
        received="19/02/2003",
        summary="The ignition switch may wear and lose contact while driving.",
        consequence="The engine may stall, increasing the risk of a crash.",
        remedy="Dealers will replace the ignition switch, free of charge.",
    ),
    recall_entry(
        "15V320000",
        "AIR BAGS:FRONTAL:DRIVER SIDE:INFLATOR MODULE",
        received="22/05/2015",
        summary="The driver's frontal air bag inflator may rupture when the air bag deploys.",
        consequence="Metal fragments may strike the driver or other occupants, causing serious "
        "injury or death.",
        remedy="Dealers will replace the driver's air bag inflator, free of charge. Do not drive "
        "the vehicle until it is repaired.",
        park_it=True,
    ),
    recall_entry(
        "08V270000",
        "EXTERIOR LIGHTING:BRAKE LIGHTS:SWITCH",
        received="05/06/2008",
        summary="The brake light switch may fail intermittently.",
        consequence="Following drivers may not be warned that the vehicle is braking.",
        remedy="Dealers will replace the brake light switch, free of charge.",
    ),
]


@dataclass
class Outage:
    """An error status with NHTSA-style (or any) body, e.g. ``Outage(503)``."""

    status: int = 503
    body: bytes = b"<html><body><h1>503 Service Unavailable</h1></body></html>"
    content_type: str = "text/html"


@dataclass
class Slow:
    """Answer normally after ``seconds`` (longer than the client's read timeout: a timeout)."""

    seconds: float


@dataclass
class Raw:
    """Any status and body, e.g. a 200 that is not JSON."""

    status: int
    body: bytes
    content_type: str = "application/json"


@dataclass
class Hangup:
    """Close the connection without answering (a reset in the middle)."""


@dataclass
class Asked:
    """One request the fake received: the path and its query parameters."""

    path: str
    params: dict[str, str]
    headers: dict[str, str]


class FakeNhtsa:
    """Run the fake on 127.0.0.1 with an OS-chosen port (or ``port``)."""

    def __init__(self, port: int = 0) -> None:
        self.lock = threading.Lock()
        self.vehicles: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
        self.queue: deque[Any] = deque()
        self.asked: list[Asked] = []
        self.on_request: Callable[[Asked], None] | None = None  # run before each answer
        self.reset()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                fake._handle(self)

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                if not isinstance(sys.exc_info()[1], ConnectionError):
                    super().handle_error(request, client_address)

        self.server = Server(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        """The base URL, as NHTSA_RECALLS_URL takes it (https://api.nhtsa.gov for the real one)."""
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- test controls

    def reset(self) -> None:
        """Forget requests, queued behaviours and the hook; know only the 2003 Honda Accord."""
        with self.lock:
            self.vehicles = {("2003", "honda", "accord"): list(ACCORD_2003)}
            self.queue.clear()
            self.asked = []
            self.on_request = None

    def add_vehicle(self, year: int, make: str, model: str, entries: list[dict[str, Any]]) -> None:
        """Answer these entries for this vehicle (make and model in any case)."""
        with self.lock:
            self.vehicles[(str(year), make.lower(), model.lower())] = list(entries)

    def fail_next(self, *behaviours: Outage | Slow | Raw | Hangup) -> None:
        """Answer the next requests this way, one behaviour each."""
        with self.lock:
            self.queue.extend(behaviours)

    @property
    def recall_requests(self) -> list[Asked]:
        return [asked for asked in self.asked if asked.path == RECALLS_PATH]

    # -- serving

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        params = {name: values[-1] for name, values in parse_qs(parts.query).items()}
        asked = Asked(parts.path, params, dict(handler.headers.items()))
        with self.lock:
            self.asked.append(asked)
            behaviour = self.queue.popleft() if self.queue else None
        if self.on_request is not None:
            self.on_request(asked)
        if isinstance(behaviour, Hangup):
            handler.close_connection = True
            return
        if isinstance(behaviour, Slow):
            time.sleep(behaviour.seconds)
        elif isinstance(behaviour, Outage | Raw):
            return self._send(handler, behaviour.status, behaviour.body, behaviour.content_type)
        if parts.path != RECALLS_PATH:
            return self._json(handler, 404, {"Count": 0, "Message": "Not Found", "results": []})
        wanted = [params.get(name, "").strip() for name in ("modelYear", "make", "model")]
        if not all(wanted):
            message = "Please provide the make, model and modelYear parameters."
            return self._json(handler, 400, {"Count": 0, "Message": message, "results": []})
        year, make, model = wanted[0], wanted[1].lower(), wanted[2].lower()
        with self.lock:
            results = list(self.vehicles.get((year, make, model), []))
        body = {"Count": len(results), "Message": OK_MESSAGE, "results": results}
        return self._json(handler, 200, body)

    def _json(self, handler: BaseHTTPRequestHandler, status: int, body: Any) -> None:
        self._send(handler, status, json.dumps(body).encode(), "application/json")

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, payload: bytes, kind: str) -> None:
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", kind)
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)


def main() -> None:
    """Run the fake on its own: point NHTSA_RECALLS_URL at the address it prints."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    fake = FakeNhtsa(args.port)
    print(fake.url, flush=True)
    try:
        fake.thread.join()
    except KeyboardInterrupt:
        fake.close()


if __name__ == "__main__":
    main()
