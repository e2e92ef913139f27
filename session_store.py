"""The per-visitor session: encrypted API key, chosen model, history window, owner id.

Sessions live server-side through Flask-Session (see ``session_backends``): in Redis when
``REDIS_URL`` is set, otherwise in files under ``instance/``. The browser only ever holds
an opaque id. Conversations belong to the owner id, a separate long-lived signed cookie, so
they outlive the one-hour session.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

import redis
from flask import Flask, Response, current_app, g, request, session
from itsdangerous import BadSignature, URLSafeSerializer

import session_backends

# The session field holding the visitor's API key (AES-GCM ciphertext, never plaintext).
API_KEY_FIELD = "api_key_enc"
_MODEL = "model"


def init_app(app: Flask) -> None:
    """Install the server-side session store and the owner cookie."""
    session_backends.install(app)
    app.after_request(_set_owner_cookie)


# ---------------------------------------------------------------- owner


def _owner_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="owner-id")


def owner_id() -> str:
    """Return this visitor's owner id, minting one (and its cookie) on first use."""
    if "owner_id" in g:
        return g.owner_id
    raw = request.cookies.get(current_app.config["OWNER_COOKIE_NAME"])
    owner = None
    if raw:
        try:
            owner = _owner_serializer().loads(raw)
        except BadSignature:
            owner = None
    if not isinstance(owner, str) or not owner:
        owner = secrets.token_urlsafe(24)
        g.new_owner_id = True
    g.owner_id = owner
    return owner


def _set_owner_cookie(response: Response) -> Response:
    if g.get("new_owner_id"):
        config = current_app.config
        response.set_cookie(
            config["OWNER_COOKIE_NAME"],
            _owner_serializer().dumps(g.owner_id),
            max_age=int(timedelta(days=config["OWNER_COOKIE_DAYS"]).total_seconds()),
            httponly=True,
            secure=config["SESSION_COOKIE_SECURE"],
            samesite="Lax",
        )
    return response


# ---------------------------------------------------------------- API key


def _cipher():
    return current_app.extensions["key_cipher"]


def _regenerate() -> None:
    """Give the session a new id and drop the old stored copy."""
    current_app.session_interface.regenerate(session)


def saved_api_key() -> str | None:
    """Return the visitor's own key, decrypted, or None."""
    token = session.get(API_KEY_FIELD)
    return _cipher().decrypt(token) if token else None


def save_api_key(api_key: str) -> None:
    """Encrypt and keep the visitor's key in the session."""
    session[API_KEY_FIELD] = _cipher().encrypt(api_key)
    _regenerate()


def forget_api_key() -> None:
    """Remove the visitor's key from the session."""
    session.pop(API_KEY_FIELD, None)
    _regenerate()


def resolve_api_key() -> tuple[str | None, str | None]:
    """Return (key, source): the session's key, else the server's, else none."""
    own = saved_api_key()
    if own:
        return own, "session"
    server = current_app.config.get("OPENROUTER_API_KEY")
    if server:
        return server, "server"
    return None, None


def mask_key(api_key: str | None) -> str | None:
    """Show a key as its prefix and last four characters only."""
    if not api_key:
        return None
    prefix = "sk-or-" if api_key.startswith("sk-or-") else ""
    return f"{prefix}…{api_key[-4:]}" if len(api_key) > 8 else "…"


# ---------------------------------------------------------------- model


def chosen_model() -> str:
    """Return the visitor's model, or the configured default."""
    return session.get(_MODEL) or current_app.config["DEFAULT_MODEL"]


def choose_model(model: str) -> None:
    """Remember the visitor's model."""
    session[_MODEL] = model


# ---------------------------------------------------------------- history window


def _history_key() -> str:
    return f"{current_app.config['SESSION_KEY_PREFIX']}history:{session.sid}"


def cached_history(
    conversation_id: str, last_message_id: int | None
) -> list[dict[str, Any]] | None:
    """Return the window kept for this conversation if it is still current."""
    window = current_app.session_interface.read_extra(_history_key())
    if (
        isinstance(window, dict)
        and window.get("conversation_id") == conversation_id
        and window.get("last_message_id") == last_message_id
        and isinstance(window.get("messages"), list)
    ):
        return window["messages"]
    return None


def store_history(
    conversation_id: str, messages: list[dict[str, Any]], last_message_id: int | None
) -> None:
    """Keep the newest turns of the active conversation beside the session.

    The window has its own key, written at once: a chat turn never rewrites the
    session itself, so a key or model saved in another tab meanwhile is not undone,
    and a streamed reply (whose headers went out long ago) still records it.
    """
    size = current_app.config["HISTORY_WINDOW"]
    window = {
        "conversation_id": conversation_id,
        "last_message_id": last_message_id,
        "messages": messages[-size:],
    }
    current_app.session_interface.write_extra(
        _history_key(), window, current_app.permanent_session_lifetime
    )


# ---------------------------------------------------------------- health


def store_reachable() -> bool:
    """Tell whether the session store answers (files always do; Redis is pinged)."""
    client = current_app.extensions.get("redis")
    if client is None:
        return True
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
