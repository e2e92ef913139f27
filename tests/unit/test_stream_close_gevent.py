"""Stop under gevent: ``ChatStream.close()`` from one greenlet while another reads the stream.

The shipped Gunicorn runs gevent workers, monkey-patched: the request greenlet and the reader
greenlet share one OS thread, so the reader, blocked in ``raw.read1()``, holds the buffered
reader's lock while the request calls ``close()``. Closing the response there raised
``RuntimeError: reentrant call inside <_io.BufferedReader>`` and the partial reply was never
saved. Monkey-patching this pytest process would break the rest of the suite, so the scene
runs in a subprocess against the fake upstream (loaded by path: it imports only the stdlib).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCENE = r"""
from gevent import monkey

monkey.patch_all()

import json
import sys
import threading
import time

import gevent

sys.path.insert(0, sys.argv[1])
sys.path.insert(0, sys.argv[1] + "/tests/support")

import fake_openrouter
import openrouter

fake = fake_openrouter.FakeOpenRouter()
gate = threading.Event()  # the fake sends one chunk, then waits: the reader blocks in read1
fake.queue(fake_openrouter.Stream(["First words ", "never sent"], gate=gate))
client = openrouter.OpenRouterClient(fake.url, connect_timeout=2, read_timeout=20)
stream = client.stream("sk-test", "m", [{"role": "user", "content": "Horn is dead"}])
events = []
outcome = {}


def read():
    try:
        for event in stream:
            events.append(type(event).__name__)
        outcome["end"] = "finished"
    except openrouter.OpenRouterError as exc:
        outcome["end"] = type(exc).__name__
    except Exception as exc:
        outcome["end"] = "unexpected " + repr(exc)
    outcome["at"] = time.monotonic()


reader = gevent.spawn(read)
deadline = time.monotonic() + 10
while "Delta" not in events and time.monotonic() < deadline:
    gevent.sleep(0.01)
gevent.sleep(0.2)  # the reader is now parked in raw.read1(), holding the buffer's lock
stopped_at = time.monotonic()
try:
    stream.close()
    closed = "ok"
except BaseException as exc:
    closed = repr(exc)
reader.join(timeout=5)
gate.set()
print(json.dumps({
    "closed": closed,
    "end": outcome.get("end"),
    "seconds": outcome["at"] - stopped_at if "at" in outcome else None,
    "text": stream.text,
    "events": events,
}))
"""


def test_close_from_another_greenlet_while_reading_does_not_raise():
    done = subprocess.run(
        [sys.executable, "-c", SCENE, str(ROOT)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["closed"] == "ok"
    assert report["text"] == "First words "  # the partial reply is there to be saved
    assert report["end"] is not None, "the reader never stopped"
    assert not report["end"].startswith("unexpected"), report["end"]
    assert report["seconds"] < 2.0
