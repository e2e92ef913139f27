"""Exit 0 when the app's /health answers 200, else 1: the container and task health check.

Standard library only, so it runs in the slim image without curl. It reads BIND the way
gunicorn.conf.py does, so the check follows the port the server really listens on.
"""

from __future__ import annotations

import ipaddress
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping

DEFAULT_TIMEOUT = 4.0  # below the 5 s timeout the Dockerfile, Compose and ECS give the check


def _unspecified(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False  # a host name


def health_url(env: Mapping[str, str]) -> str:
    """Return the /health address of the local server described by BIND."""
    production = env.get("FLASK_ENV", "development") == "production"
    bind = env.get("BIND") or ("0.0.0.0:8000" if production else "127.0.0.1:8000")
    if bind.startswith(("unix:", "fd://")):
        raise ValueError(f"BIND={bind} is not a TCP address; check the socket another way")
    host, _, port = bind.rpartition(":")
    host = host.strip("[]")
    # A wildcard bind is reached on loopback from inside the same container.
    if not host or _unspecified(host):
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port or 8000}/health"


def main() -> int:
    try:
        url = health_url(os.environ)
    except ValueError as exc:
        print(f"healthcheck: {exc}", file=sys.stderr)
        return 1
    try:
        # The address is built above from BIND: always http on this machine.
        with urllib.request.urlopen(url, timeout=DEFAULT_TIMEOUT) as response:  # noqa: S310  # nosec B310
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (urllib.error.URLError, OSError) as exc:
        print(f"healthcheck: {url} unreachable: {exc}", file=sys.stderr)
        return 1
    if status != 200:
        print(f"healthcheck: {url} answered {status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
