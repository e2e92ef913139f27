"""CPU-heavy work (decoding and re-encoding pictures) off the gevent loop.

Under Gunicorn's gevent worker every request of a worker shares one OS thread: a photo
taking 300 ms to re-encode would stall every reply streaming through that worker for as
long. Pillow releases the GIL while it decodes, scales and encodes, so the work runs on
gevent's pool of real threads and the loop keeps serving. Without gevent (a test client, a
threaded server) it simply runs where it is called.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def _gevent_patched() -> bool:
    monkey = sys.modules.get("gevent.monkey")
    return monkey is not None and monkey.is_module_patched("threading")


def run_off_loop(work: Callable[..., T], *args: object, **kwargs: object) -> T:
    """Return ``work(*args, **kwargs)``, computed on a real thread when gevent runs the
    process; its exceptions are raised here as they would be by a direct call."""
    if not _gevent_patched():
        return work(*args, **kwargs)
    # An exception raised in the pool is also printed by gevent as a traceback; a refused
    # picture is an answer, not a crash, so it travels back as a value and is raised here.
    done, value = _pool().apply(_captured, (work, args, kwargs))
    if not done:
        raise value
    return value


_POOL = None
# Pictures decoded at once per worker process: each may hold ~100 MB of pixels (25 MP
# RGBA), so more would only trade memory for time on 2 cores; later ones wait their turn.
THREADS = 2


def _pool():
    global _POOL
    if _POOL is None:
        from gevent.threadpool import ThreadPool

        _POOL = ThreadPool(THREADS)
    return _POOL


def _captured(work: Callable[..., T], args: tuple, kwargs: dict) -> tuple[bool, object]:
    try:
        return True, work(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - returned to the caller, who raises it
        return False, exc
