"""CSRF protection, response security headers and API-key encryption."""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask, Response
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()

_KEY_AAD = b"openrouter-api-key"
_TOKEN_PREFIX = "v1:"  # noqa: S105 - a format tag, not a secret

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)


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
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    if response.mimetype == "text/html":
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    return response


def init_app(app: Flask) -> None:
    """Bind CSRF protection, security headers and the key cipher to the app."""
    csrf.init_app(app)
    app.extensions["key_cipher"] = KeyCipher(app.config["SECRET_KEY"])
    app.after_request(_set_security_headers)
