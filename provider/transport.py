"""The bytes of an answer within one deadline, and plain words for what went wrong on the way.

- ``read_some`` reads what has arrived of a body, never past the turn's deadline: a body
  that trickles (never silent for a whole read timeout) still ends when the turn's time is
  up, for whole answers and streams alike.
- ``connection_error`` words a failure of requests or urllib3 the way a visitor can act on
  it ("the connection was refused", "the host name could not be resolved"), and tells a
  server never reached from one reached that then broke the connection.
- ``page_reason`` turns an HTML error page (a proxy's, a CDN's) into its status and title.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import requests
import urllib3
from urllib3.exceptions import ReadTimeoutError

from provider.errors import APIConnectionError, APITimeoutError, ConnectionLostError

__all__ = ["connection_error", "late_error", "page_reason", "read_some"]

_READ_SIZE = 65536


def _socket_of(response: requests.Response) -> socket.socket | None:
    connection = getattr(response.raw, "_connection", None)
    return getattr(connection, "sock", None)


def late_error(limit: float) -> APITimeoutError:
    """The error of a turn whose whole time (``limit`` seconds) is up."""
    return APITimeoutError(f"no whole answer within {limit:g} seconds")


def read_some(
    response: requests.Response,
    deadline: float,
    read_timeout: float,
    limit: float,
    *,
    decode: bool = False,
) -> bytes:
    """Read what has arrived of the body (b"" at its end), waiting until ``deadline`` at most.

    ``deadline`` is on ``time.monotonic()``'s clock; ``limit`` is the turn's whole time in
    seconds, for the error. Raises ``APITimeoutError`` when the body stalls for
    ``read_timeout`` seconds or the deadline passes, ``ConnectionLostError`` when the
    connection breaks. ``decode`` undoes a Content-Encoding (gzip) on the way.
    """
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise late_error(limit)
    sock = _socket_of(response)
    if sock is not None:
        # The socket's timeout is per read; the turn's deadline is the whole time.
        sock.settimeout(min(read_timeout, remaining))
    try:
        return response.raw.read1(_READ_SIZE, decode_content=decode)
    except (ReadTimeoutError, TimeoutError):
        if time.monotonic() >= deadline - 0.05:
            raise late_error(limit) from None
        raise APITimeoutError(f"the answer stalled for {read_timeout:g} seconds") from None
    except (urllib3.exceptions.HTTPError, requests.RequestException, OSError) as exc:
        raise connection_error(exc, answering=True) from None


def read_body(
    response: requests.Response,
    deadline: float,
    read_timeout: float,
    limit: float,
    max_bytes: int,
) -> bytes:
    """Read a whole body within ``deadline``; at most ``max_bytes`` (the rest is dropped)."""
    parts: list[bytes] = []
    size = 0
    try:
        while size < max_bytes:
            chunk = read_some(response, deadline, read_timeout, limit, decode=True)
            if not chunk:
                break
            parts.append(chunk)
            size += len(chunk)
    finally:
        response.close()
    return b"".join(parts)[:max_bytes]


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and everything it wraps: causes, contexts, urllib3's ``reason``, args."""
    seen: set[int] = set()
    todo: list[Any] = [exc]
    while todo:
        current = todo.pop(0)
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo.extend((getattr(current, "reason", None), current.__cause__, current.__context__))
        todo.extend(arg for arg in current.args if isinstance(arg, BaseException))


_LOST = (
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
    urllib3.exceptions.ProtocolError,
    http.client.IncompleteRead,
    http.client.RemoteDisconnected,
    ConnectionResetError,
    ConnectionAbortedError,
    BrokenPipeError,
)


def connection_error(exc: BaseException, *, answering: bool = False) -> APIConnectionError:
    """Word a transport failure; ``answering``: the status line had already arrived.

    Never reached (``APIConnectionError``): TLS failed, the name did not resolve, the
    connection was refused, the network is unreachable. Reached, then broken
    (``ConnectionLostError``): a reset before the answer, or a body cut off mid-way.
    """
    if answering:
        return ConnectionLostError("while the answer was arriving")
    causes = list(_causes(exc))
    if any(isinstance(cause, ssl.SSLError | requests.exceptions.SSLError) for cause in causes):
        return APIConnectionError("the secure (TLS) connection failed")
    if any(
        isinstance(cause, socket.gaierror | urllib3.exceptions.NameResolutionError)
        for cause in causes
    ):
        return APIConnectionError("its host name could not be resolved")
    if any(isinstance(cause, requests.exceptions.ProxyError) for cause in causes):
        return APIConnectionError("the proxy in between refused the connection")
    if any(isinstance(cause, ConnectionRefusedError) for cause in causes):
        return APIConnectionError("the connection was refused")
    if any(isinstance(cause, _LOST) for cause in causes):
        return ConnectionLostError("before it answered")
    for cause in causes:
        words = getattr(cause, "strerror", None)
        if isinstance(words, str) and words:
            return APIConnectionError(words[:1].lower() + words[1:])
    return APIConnectionError("the connection failed")


class _Title(HTMLParser):
    """Collects the text of a page's <title> (or, failing that, its first <h1>)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.heading = ""
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("title", "h1") and self._in is None:
            self._in = tag

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "title":
            self.title += data
        elif self._in == "h1" and not self.heading:
            self.heading += data


def _looks_like_html(text: str, content_type: str) -> bool:
    if "html" in content_type.lower():
        return True
    start = text.lstrip()[:200].lower()
    return start.startswith(("<!doctype", "<html", "<head", "<body", "<?xml")) or "<html" in start


def page_reason(text: str, content_type: str = "") -> str | None:
    """Name an HTML page by its title ("Attention Required! | Cloudflare"), else None.

    None also when ``text`` is not HTML: the caller keeps it as the reason.
    """
    if not text or not _looks_like_html(text, content_type):
        return None
    parser = _Title()
    try:
        parser.feed(text[:65536])
        parser.close()
    except (AssertionError, ValueError):  # a page too broken to read has no title
        pass
    name = " ".join((parser.title or parser.heading).split())[:120]
    return f"{name} — a web page, not an API answer" if name else "a web page, not an API answer"
