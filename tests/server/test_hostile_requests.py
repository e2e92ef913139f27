"""Requests no browser sends, through the shipped server: refused in one line, never a 500."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import pytest

from tests.support import empty_tables
from tests.support.live import LiveServer

pytestmark = pytest.mark.slow

BAD_HOSTS = [
    "a" * 64 + ".example.com",  # a label over 63 characters (RFC 1035 2.3.4)
    "garage..example.com",  # an empty label
    "x" * 300,  # a name over 253 characters
    "xn--nicode-2ya2b.de",  # punycode that does not decode back
    "example.com:http",  # a port that is not a number
    "example.com:80:80",
    "127.0.0.1:65536",  # a port out of range
    "[::1]:99999",
    "user@host",  # characters no host name has
    "host/path",
    "-bad-.com",  # a label may not start or end with "-"
    "::1",  # an IPv6 address without its brackets
]


@pytest.fixture
def live(gunicorn_servers, migrated):
    server = gunicorn_servers.start("hostile", WORKERS="2")
    server.mark()
    yield server
    empty_tables(migrated)


def raw_get(base: str, path: str, host: str) -> tuple[int, str]:
    """Send a GET with exactly this Host header (no client library tidies it)."""
    parts = urlsplit(base)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode("latin-1")
        )
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body.decode("utf-8", errors="replace")


@pytest.mark.parametrize("host", BAD_HOSTS)
def test_a_host_that_is_no_host_name_gets_400_on_every_route(live: LiveServer, host):
    for path in ("/", "/health", "/settings", "/c/nothing", "/static/css/app.css"):
        status, body = raw_get(live.base, path, host)
        assert status == 400, (path, body[:200])
        assert body == "400 Bad Request: the Host header is not a valid host name.\n"
    log = live.log()
    assert "Traceback" not in log and "Internal Server Error" not in log
    refusals = [line for line in log.splitlines() if "bad Host header refused" in line]
    assert len(refusals) == 5  # one line per request, not a traceback


def test_good_host_names_are_served(live: LiveServer):
    for host in ("localhost", "127.0.0.1:8000", "[::1]:8000", "a" * 63 + ".example.com",
                 "garage.example.com", "xn--bcher-kva.example"):  # fmt: skip
        status, _ = raw_get(live.base, "/health", host)
        assert status == 200, host
