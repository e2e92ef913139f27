"""CSRF, CSP nonces and security headers, rate limits, proxy handling, key encryption."""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import logging
import math
import os
import re
import secrets
import time
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask, Response, current_app, g, request, session
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

log = logging.getLogger(__name__)
csrf = CSRFProtect()


def ip_key() -> str:
    """Key a rate limit by client IP (the proxy-corrected address)."""
    return f"{current_app.config['RATELIMIT_KEY_PREFIX']}:ip:{get_remote_address()}"


# One limiter per process; the app's prefix is in every key, so apps never share counts.
limiter = Limiter(key_func=ip_key)

_KEY_AAD = b"openrouter-api-key"
# A format tag, not a secret.
_TOKEN_PREFIX = "v1:"  # noqa: S105  # nosec B105


def content_security_policy(nonce: str) -> str:
    """Build the page policy: scripts only from us, each tag carrying this request's nonce."""
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        ]
    )


def csp_nonce() -> str:
    """Return this request's script nonce (templates put it on every script tag)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


# ---------------------------------------------------------------- rate limits


def session_key() -> str:
    """Key a rate limit by the visitor's session (the IP limit catches cookie droppers).

    The id is hashed: limiter keys end up in logs and in Redis, a raw session id must not.
    """
    sid = getattr(session, "sid", None)
    if not sid:
        return ip_key()
    digest = hashlib.sha256(sid.encode()).hexdigest()[:24]
    return f"{current_app.config['RATELIMIT_KEY_PREFIX']}:session:{digest}"


def chat_limits() -> list:
    """Limit sending (and retrying) messages per session and per client IP."""
    config_value = lambda name: lambda: current_app.config[name]  # noqa: E731
    return [
        limiter.shared_limit(config_value("RATE_LIMIT_CHAT"), "chat", key_func=session_key),
        limiter.shared_limit(config_value("RATE_LIMIT_CHAT_IP"), "chat-ip"),
    ]


def key_test_limits() -> list:
    """Limit key tests, which call OpenRouter, per session and per client IP."""
    config_value = lambda name: lambda: current_app.config[name]  # noqa: E731
    return [
        limiter.limit(config_value("RATE_LIMIT_KEY_TEST"), key_func=session_key),
        limiter.limit(config_value("RATE_LIMIT_KEY_TEST_IP")),
    ]


def search_limits() -> list:
    """Limit searches (each a full-text query) per session and per client IP."""
    config_value = lambda name: lambda: current_app.config[name]  # noqa: E731
    return [
        limiter.limit(config_value("RATE_LIMIT_SEARCH"), key_func=session_key),
        limiter.limit(config_value("RATE_LIMIT_SEARCH_IP")),
    ]


def rate_limited(*decorators):
    """Apply several limit decorators to one view."""

    def wrap(view):
        for decorator in reversed(decorators):
            view = decorator(view)
        return view

    return wrap


def limit_retry_after() -> int:
    """Seconds until the limit that was just hit lets the visitor in again."""
    current = limiter.current_limit
    if current is None:
        return 60
    return max(1, math.ceil(current.reset_at - time.time()))


# ---------------------------------------------------------------- private routes


def address_allowed(address: str | None, allowed: list[str]) -> bool:
    """Tell whether an IP address is inside one of the allowed addresses or networks."""
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in allowed:
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def private_route_allowed() -> bool:
    """Allow /metrics to the configured addresses, or to a caller with the token."""
    token = current_app.config.get("METRICS_TOKEN")
    header = request.headers.get("Authorization", "")
    if token and secrets.compare_digest(header, f"Bearer {token}"):
        return True
    return address_allowed(request.remote_addr, current_app.config["METRICS_ALLOW"])


class KeyCipher:
    """Encrypt API keys with AES-GCM under a key derived from the app secret."""

    def __init__(self, secret: str) -> None:
        key = HKDF(
            algorithm=hashes.SHA256(),
            length=32,
            salt=b"automotive-chat/api-key",
            info=b"aes-256-gcm v1",
        ).derive(secret.encode())
        self._aead = AESGCM(key)

    def encrypt(self, plaintext: str) -> str:
        """Return a printable token holding nonce and ciphertext."""
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), _KEY_AAD)
        return _TOKEN_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()

    def decrypt(self, token: str) -> str | None:
        """Return the plaintext, or None when the token is damaged or the secret changed."""
        if not isinstance(token, str) or not token.startswith(_TOKEN_PREFIX):
            return None
        try:
            raw = base64.urlsafe_b64decode(token[len(_TOKEN_PREFIX) :])
            return self._aead.decrypt(raw[:12], raw[12:], _KEY_AAD).decode()
        except (InvalidTag, ValueError, binascii.Error):
            return None


def _set_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    # Not no-referrer: CSRF's referrer check over HTTPS needs our own origin.
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    if response.mimetype == "text/html":
        headers.setdefault("Content-Security-Policy", content_security_policy(csp_nonce()))
        # Pages hold a visitor's conversations, key status and pairing links: no cache,
        # shared or the browser's, keeps them (Back after Delete shows no deleted chat).
        headers.setdefault("Cache-Control", "no-store")
    if current_app.config["PRODUCTION"]:
        headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
    return response


# The routes that take pictures with a message (multipart forms): their bodies may reach
# MAX_IMAGES x MAX_IMAGE_BYTES; every other body stays under MAX_CONTENT_LENGTH.
UPLOAD_ENDPOINTS = frozenset({"chat.send", "chat.edit"})


def _allow_uploads() -> None:
    # Before CSRF's check, which parses the form and so applies the body limit.
    if request.endpoint in UPLOAD_ENDPOINTS and request.mimetype == "multipart/form-data":
        config = current_app.config
        request.max_content_length = (
            config["MAX_IMAGES"] * config["MAX_IMAGE_BYTES"] + config["MAX_CONTENT_LENGTH"]
        )


# A label of a host name once in ASCII (RFC 1123 2.1; "_" as internal names use it).
_LABEL = re.compile(r"(?!-)[A-Za-z0-9_-]{1,63}(?<!-)")


def _valid_port(port: str) -> bool:
    return port.isascii() and port.isdigit() and 0 < int(port) < 65536


def valid_host(host: str) -> bool:
    """Whether a ``Host`` header (name or address, with an optional port) names a host.

    Refused: an empty or over-63-character label ("a" * 64 + ".example"), an empty one
    ("a..b"), a label starting or ending with "-", a name over 253 characters, anything
    but letters, digits, "-", "_" and "." once in ASCII (a space, "/", "@", "#"), a
    punycode label that does not decode back ("xn--nicode-2ya2b"), an IPv6 address
    without brackets, and a port that is not a number from 1 to 65535 (RFC 1035 2.3.4,
    RFC 1123 2.1, RFC 3986 3.2.2, RFC 5891). The IDNA codec URLs are built with fails on
    several of these; the rest name no host.
    """
    if host.startswith("["):  # an IPv6 address: [::1]:8000
        end = host.find("]")
        if end < 0:
            return False
        try:
            ipaddress.IPv6Address(host[1:end])
        except ValueError:
            return False
        rest = host[end + 1 :]
        return rest == "" or (rest[:1] == ":" and _valid_port(rest[1:]))
    name, colon, port = host.rpartition(":") if ":" in host else (host, "", "")
    if colon and not _valid_port(port):
        return False
    if not name or len(name) > 253:
        return False
    try:
        ascii_name = name.encode("idna").decode("ascii")
        ascii_name.encode("ascii").decode("idna")
    except UnicodeError:
        return False
    labels = ascii_name.removesuffix(".").split(".")
    return all(_LABEL.fullmatch(label) for label in labels)


class HostCheck:
    """WSGI middleware: a request whose ``Host`` is no host name gets a plain 400.

    Werkzeug cannot build a URL for such a request, and the app's pages, error pages
    included, are made of URLs: without this every route answered 500 with a traceback.
    """

    _BODY = b"400 Bad Request: the Host header is not a valid host name.\n"

    def __init__(self, wsgi_app: Any) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        host = environ.get("HTTP_HOST")
        if host and not valid_host(host):
            log.warning("bad Host header refused: %r", host[:100])
            start_response(
                "400 Bad Request",
                [
                    ("Content-Type", "text/plain; charset=utf-8"),
                    ("Content-Length", str(len(self._BODY))),
                    ("Cache-Control", "no-store"),
                    ("X-Content-Type-Options", "nosniff"),
                ],
            )
            return [self._BODY]
        return self.wsgi_app(environ, start_response)


def init_app(app: Flask) -> None:
    """Bind CSRF, headers, rate limits, proxy handling and the key cipher to the app."""
    app.before_request(_allow_uploads)
    csrf.init_app(app)
    limiter.init_app(app)
    app.extensions["key_cipher"] = KeyCipher(app.config["SECRET_KEY"])
    app.after_request(_set_security_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    proxies = app.config["PROXY_COUNT"]
    if proxies:
        # Trust exactly as many X-Forwarded-* hops as there are proxies in front, so a
        # client reaching the app directly cannot claim another address or HTTPS.
        # Host and port are not taken from headers: the proxy passes Host through.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    elif app.config["PRODUCTION"]:
        app.logger.warning(
            "PROXY_COUNT is 0: behind a proxy every client shares its address "
            "(rate limits, /metrics access); set PROXY_COUNT=1 behind Nginx"
        )
    # Outermost: nothing of the app runs for a request no URL can be built for.
    app.wsgi_app = HostCheck(app.wsgi_app)  # type: ignore[method-assign]
