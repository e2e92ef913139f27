"""WSGI entry point: `gunicorn main:app`; `python main.py` runs the dev server."""

from __future__ import annotations

import os
import sys

from app import create_app
from config import ConfigError

try:
    app = create_app()
except ConfigError as exc:
    # One line naming the variable, not a traceback, so operators see it at once.
    sys.exit(f"automotive-chat: configuration error: {exc}")

if __name__ == "__main__":
    host, _, port = os.environ.get("BIND", "127.0.0.1:8000").rpartition(":")
    host = host or "127.0.0.1"
    # The interactive debugger runs code for whoever reaches it: loopback only.
    debug = not app.config["PRODUCTION"] and host in ("127.0.0.1", "localhost", "::1")
    app.run(host=host, port=int(port or 8000), debug=debug)
