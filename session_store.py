"""The per-visitor session: encrypted API key, chosen model, history window, owner id.

Sessions live server-side through Flask-Session (see ``session_backends``): in Redis when
``REDIS_URL`` is set, otherwise in files under ``instance/``. The browser only ever holds
an opaque id. Conversations belong to the owner id, a separate long-lived signed cookie, so
they outlive the one-hour session.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from typing import Any

import redis
from flask import Flask, Response, current_app, g, request, session
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.exc import SQLAlchemyError

import session_backends
from models import PairedBrowser, db

# The session field holding the visitor's API key (AES-GCM ciphertext, never plaintext).
API_KEY_FIELD = "api_key_enc"
_MODEL = "model"


SessionsUnavailable = session_backends.SessionsUnavailable


def init_app(app: Flask) -> None:
    """Install the server-side session store and the owner cookie.

    The degraded mode's token seed goes first among the request hooks, before the CSRF
    check that ``security.init_app`` registered earlier.
    """
    session_backends.install(app)
    app.before_request_funcs.setdefault(None, []).insert(0, _seed_degraded_csrf)
    app.jinja_env.globals["sessions_unavailable"] = unavailable
    app.after_request(_set_owner_cookie)
    app.after_request(_note_paired_browser_seen)


# ---------------------------------------------------------------- degraded mode


def unavailable() -> bool:
    """True when this request's session could not be read: the store is not answering.

    The app then runs without sessions: conversations (owned through the owner cookie)
    work, chats use the server's key if there is one, and a saved key, the chosen model
    and the history window wait for the store to be back.
    """
    return bool(getattr(session, "unavailable", False))


def _degraded_csrf_seed(owner: str) -> str:
    digest = hmac.new(
        current_app.config["SECRET_KEY"].encode(), b"degraded-csrf:" + owner.encode(), "sha256"
    )
    return digest.hexdigest()


def _seed_degraded_csrf() -> None:
    """Without a readable session, tie the form token to the signed owner cookie instead.

    Flask-WTF checks a form's token against a value kept in the session. With the store
    down, that value is derived from the visitor's owner id (an HMAC under the app's
    secret): pages drawn now carry tokens that the next request, also without a session,
    can check. Another site can neither read the owner cookie nor compute the value.
    """
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    if (
        not unavailable()
        and request.method not in ("GET", "HEAD", "OPTIONS")
        and field not in session
    ):
        # A form sent without a session to check it against: a new visitor, or one whose
        # store stopped answering a while ago (nothing says so until it is asked). One
        # ping tells, and a token made in the degraded mode is then checked as such.
        store_reachable()
    if unavailable():
        session[field] = _degraded_csrf_seed(owner_id())


# ---------------------------------------------------------------- owner


def _owner_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="owner-id")


def owner_id() -> str:
    """Return this visitor's owner id, minting one (and its cookie) on first use.

    The cookie holds a signed owner id (a string), or for a browser attached by a pairing
    link ``{"o": owner id, "b": paired browser id}``, good only while that PairedBrowser
    row exists: one primary-key read, once per request (kept in ``g``), and only for
    paired browsers. A signed-out browser starts afresh, never on an error page.
    """
    if "owner_id" in g:
        return g.owner_id
    owner = known_owner_id()
    if owner is None:
        owner = secrets.token_urlsafe(24)
        g.new_owner_id = True
    g.owner_id = owner
    return owner


def known_owner_id() -> str | None:
    """Return the owner id this visitor's cookie proves, or None, without minting one
    (for lookups a stranger may make, such as a picture's address)."""
    if "owner_id" in g:
        return g.owner_id
    raw = request.cookies.get(current_app.config["OWNER_COOKIE_NAME"])
    owner = None
    if raw:
        try:
            owner = _owner_serializer().loads(raw)
        except BadSignature:
            owner = None
    if isinstance(owner, dict):
        owner = _paired_owner(owner)
    return owner if isinstance(owner, str) and owner else None


def _paired_owner(payload: dict) -> str | None:
    """The owner a paired browser's cookie names, if the browser is still paired."""
    owner = payload.get("o")
    if not isinstance(owner, str) or not owner:
        return None
    browser = PairedBrowser.active(owner, payload.get("b"))
    if browser is None:
        return None
    g.paired_browser_id = browser.id
    if browser.due_for_seen:
        g.paired_browser_seen = browser.id
    return owner


def paired_browser_id() -> str | None:
    """Return this browser's PairedBrowser id when a pairing link attached it, else None."""
    owner_id()
    return g.get("paired_browser_id")


def attach_browser(owner: str, browser_id: str) -> None:
    """Make this browser (from this response on) one of ``owner``'s paired browsers."""
    g.owner_id = owner
    g.paired_browser_id = browser_id
    g.owner_cookie = {"o": owner, "b": browser_id}
    g.new_owner_id = True


def _note_paired_browser_seen(response: Response) -> Response:
    # At most once per PairedBrowser.SEEN_EVERY, after the view is done, on a connection
    # of its own: the view's transaction is none of its business.
    browser_id = g.get("paired_browser_seen")
    if browser_id:
        try:
            with db.engine.begin() as connection:
                connection.execute(PairedBrowser.seen_statement(browser_id))
        except SQLAlchemyError:
            current_app.logger.warning("could not note a paired browser as seen")
    return response


def _set_owner_cookie(response: Response) -> Response:
    if g.get("new_owner_id"):
        config = current_app.config
        response.set_cookie(
            config["OWNER_COOKIE_NAME"],
            _owner_serializer().dumps(g.get("owner_cookie") or g.owner_id),
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
    """Encrypt and keep the visitor's key in the session.

    Raises ``SessionsUnavailable`` while the store is not answering: nothing is kept.
    """
    if unavailable():
        raise SessionsUnavailable
    session[API_KEY_FIELD] = _cipher().encrypt(api_key)
    _regenerate()


def forget_api_key() -> None:
    """Remove the visitor's key from the session (``SessionsUnavailable`` while it is down)."""
    if unavailable():
        raise SessionsUnavailable
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


_DRAFT = "draft"
DRAFT_LENGTH = 20_000


def keep_draft(text: str | None) -> None:
    """Keep a message's text for the next chat page (after a detour, e.g. a model switch)."""
    if isinstance(text, str) and text.strip():
        session[_DRAFT] = text[:DRAFT_LENGTH]


def take_draft() -> str:
    """The text kept by ``keep_draft``, once; "" when there is none."""
    value = session.pop(_DRAFT, "") if _DRAFT in session else ""
    return value if isinstance(value, str) else ""


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
    if unavailable():
        return False
    try:
        return bool(client.ping())
    except redis.RedisError as exc:
        # Found down only now (this request's session was never read): from here on it
        # runs as the degraded mode does, so a token made for the answer works next time.
        interface = current_app.session_interface
        if hasattr(interface, "note_down"):
            interface.note_down(exc)
        session.unavailable = True
        session[current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")] = _degraded_csrf_seed(
            owner_id()
        )
        return False
