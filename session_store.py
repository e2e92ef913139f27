"""The per-visitor session: encrypted API key, chosen model, history window, owner id.

Sessions live server-side through Flask-Session: in Redis when ``REDIS_URL`` is set,
otherwise in files under ``instance/``. The browser only ever holds an opaque id.
Conversations belong to the owner id, a separate long-lived signed cookie, so they
outlive the one-hour session.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import secrets
import struct
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import timedelta
from typing import IO, Any

import click
import msgspec
import redis
from cachelib.file import FileSystemCache
from flask import Flask, Response, current_app, g, request, session
from flask.cli import AppGroup
from flask_session.cachelib import CacheLibSessionInterface
from flask_session.redis import RedisSessionInterface
from itsdangerous import BadSignature, URLSafeSerializer

log = logging.getLogger(__name__)

_KEY = "api_key_enc"
_MODEL = "model"


class GuardedWrites:
    """Never bring back a stored session that was deleted while a request was in flight.

    Saving or forgetting a key regenerates the session: the old stored copy is
    deleted. A chat that started before that must not write the old copy back (or
    reset the browser's cookie to it), or a forgotten key would return. So a session
    that was loaded from the store is only ever updated, never re-created.
    """

    def open_session(self, app: Flask, request):
        session = super().open_session(app, request)
        cookie = request.cookies.get(app.config["SESSION_COOKIE_NAME"])
        session.loaded = bool(cookie) and cookie == session.sid
        session.vanished = False
        return session

    def regenerate(self, session) -> None:
        super().regenerate(session)
        session.loaded = False  # a new id: written unconditionally

    def should_set_cookie(self, app: Flask, session) -> bool:
        if getattr(session, "vanished", False):
            return False
        return super().should_set_cookie(app, session)

    def _upsert_session(self, session_lifetime, session, store_id) -> None:
        if getattr(session, "loaded", False):
            if not self._exists(store_id):
                session.vanished = True
                return
            if not session.modified:
                # Nothing changed here: extend its life, but never write back an old
                # copy over what another request saved meanwhile.
                self._touch(store_id, session_lifetime)
                return
        super()._upsert_session(session_lifetime, session, store_id)


class ResilientRedisSessionInterface(GuardedWrites, RedisSessionInterface):
    """A Redis session store that degrades to a fresh session when Redis is down.

    Conversations are in the database, so a visitor whose session cannot be read
    loses only the saved key; a 500 page would lose them the whole app.
    """

    def _exists(self, store_id: str) -> bool:
        try:
            return bool(self.client.exists(store_id))
        except redis.RedisError:
            return False

    def _touch(self, store_id: str, lifetime: timedelta) -> None:
        self.client.expire(store_id, int(lifetime.total_seconds()))

    def read_extra(self, key: str) -> Any:
        """Read a value kept beside the session (None when missing or unreadable)."""
        try:
            raw = self.client.get(key)
        except redis.RedisError:
            return None
        return self.serializer.decoder.decode(raw) if raw else None

    def write_extra(self, key: str, value: Any, lifetime: timedelta) -> None:
        """Keep a value beside the session, expiring with it."""
        try:
            self.client.set(
                key, self.serializer.encoder.encode(value), ex=int(lifetime.total_seconds())
            )
        except redis.RedisError as exc:
            log.warning("session store unavailable on write: %s", type(exc).__name__)

    def _retrieve_session_data(self, store_id: str) -> dict | None:
        try:
            return super()._retrieve_session_data(store_id)
        except redis.RedisError as exc:
            log.warning("session store unavailable on read: %s", type(exc).__name__)
            return None

    def _upsert_session(self, session_lifetime, session, store_id) -> None:
        try:
            super()._upsert_session(session_lifetime, session, store_id)
        except redis.RedisError as exc:
            log.warning("session store unavailable on write: %s", type(exc).__name__)

    def _delete_session(self, store_id: str) -> None:
        try:
            super()._delete_session(store_id)
        except redis.RedisError as exc:
            log.warning("session store unavailable on delete: %s", type(exc).__name__)


class FileSessionInterface(GuardedWrites, CacheLibSessionInterface):
    """Sessions in files under instance/ (the zero-setup default)."""

    def _exists(self, store_id: str) -> bool:
        return self.cache.has(store_id)

    def _touch(self, store_id: str, lifetime: timedelta) -> None:
        # A file's expiry can only be moved by rewriting it: rewrite what is stored
        # now (another request's change included), not this request's older copy.
        stored = self.cache.get(store_id)
        if stored is not None:
            self.cache.set(store_id, stored, timeout=int(lifetime.total_seconds()))

    def read_extra(self, key: str) -> Any:
        """Read a value kept beside the session."""
        return self.cache.get(key)

    def write_extra(self, key: str, value: Any, lifetime: timedelta) -> None:
        """Keep a value beside the session, expiring with it."""
        self.cache.set(key, value, timeout=int(lifetime.total_seconds()))


def redis_client(url: str, timeout: float) -> redis.Redis:
    """Create a Redis client that fails fast instead of hanging a request."""
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=timeout,
        socket_timeout=timeout,
        health_check_interval=30,
    )


def init_app(app: Flask) -> None:
    """Install the server-side session store and the owner cookie."""
    common = {
        "key_prefix": app.config["SESSION_KEY_PREFIX"],
        "permanent": True,
        "sid_length": 32,
        "serialization_format": "msgpack",
    }
    if app.config.get("REDIS_URL"):
        client = redis_client(app.config["REDIS_URL"], app.config["HEALTH_TIMEOUT"])
        app.extensions["redis"] = client
        app.session_interface = ResilientRedisSessionInterface(app, client=client, **common)
    else:
        cache = FileSystemCache(app.config["SESSION_FILE_DIR"], threshold=100_000, mode=0o600)
        app.session_interface = FileSessionInterface(app, client=cache, **common)
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
    token = session.get(_KEY)
    return _cipher().decrypt(token) if token else None


def save_api_key(api_key: str) -> None:
    """Encrypt and keep the visitor's key in the session."""
    session[_KEY] = _cipher().encrypt(api_key)
    _regenerate()


def forget_api_key() -> None:
    """Remove the visitor's key from the session."""
    session.pop(_KEY, None)
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


# ---------------------------------------------------------------- backup and restore

EXPORT_FORMAT = "automotive-chat-sessions/1"
# A Redis record's id is the key after SESSION_KEY_PREFIX: a session id (token_urlsafe).
_REDIS_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")
# A file record's id is cachelib's file name: the SHA-256 of the store key, which
# cannot be turned back into a session id (so file exports restore into files only).
_FILE_ID = re.compile(r"[0-9a-f]{64}")
_HISTORY_KEYS = frozenset({"conversation_id", "last_message_id", "messages"})


class _ByName:
    """A cachelib "hash" that keeps the name, to read and write session files by name."""

    def __init__(self, name: bytes) -> None:
        self._name = name.decode()

    def hexdigest(self) -> str:
        return self._name


def _files_by_name(directory: str) -> FileSystemCache:
    return FileSystemCache(directory, threshold=0, mode=0o600, hash_method=_ByName)


def _is_history(data: dict) -> bool:
    # The history window beside a session: rebuilt from the database, never exported.
    return data.keys() >= _HISTORY_KEYS


def export_sessions(app: Flask) -> Iterator[dict[str, Any]]:
    """Yield every live session as stored: the saved API key stays AES-GCM ciphertext.

    History windows are left out: they are rebuilt from the database on the next message.
    """
    interface = app.session_interface
    now = time.time()
    if isinstance(interface, ResilientRedisSessionInterface):
        prefix = interface.key_prefix
        pattern = re.sub(r"([*?\[\]\\])", r"\\\1", prefix) + "*"
        for key in interface.client.scan_iter(match=pattern, count=500):
            ident = key.decode()[len(prefix) :]
            if not _REDIS_ID.fullmatch(ident):
                continue  # history:<sid> and anything else beside the sessions
            raw, ttl = interface.client.get(key), interface.client.pttl(key)
            if raw is None or ttl == -2:
                continue  # expired meanwhile
            data = _decode(interface, raw)
            if isinstance(data, dict) and not _is_history(data):
                expires = int(now + ttl / 1000) if ttl > 0 else None
                yield _export_record(data, "redis", ident, expires)
        return
    directory = app.config["SESSION_FILE_DIR"]
    files = _files_by_name(directory)
    for name in sorted(os.listdir(directory)):
        if not _FILE_ID.fullmatch(name):
            continue
        try:
            with open(os.path.join(directory, name), "rb") as fh:
                expires = struct.unpack("I", fh.read(4))[0]
        except (OSError, struct.error):
            continue
        data = files.get(name)  # None once expired
        if isinstance(data, dict) and not _is_history(data):
            yield _export_record(data, "file", name, expires or None)


def _decode(interface: ResilientRedisSessionInterface, raw: bytes) -> Any:
    try:
        return interface.serializer.decoder.decode(raw)
    except msgspec.MsgspecError:
        log.warning("sessions export: skipped a record that could not be decoded")
        return None


def _export_record(data: dict, store: str, ident: str, expires: int | None) -> dict[str, Any]:
    return {
        "format": EXPORT_FORMAT,
        "store": store,
        "id": ident,
        "expires_at": expires,
        "data": data,
    }


def import_sessions(app: Flask, lines: Iterable[str]) -> Counter:
    """Restore exported sessions that are still live; existing sessions are kept as they are.

    Returns counts: restored, existing, expired, incompatible (a file export into Redis),
    unreadable, keys (saved keys restored) and undecryptable (keys this SESSION_SECRET
    cannot open: those visitors are asked for their key again).
    """
    counts: Counter = Counter()
    interface = app.session_interface
    cipher = app.extensions["key_cipher"]
    lifetime = int(app.permanent_session_lifetime.total_seconds())
    now = time.time()
    for line in lines:
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            counts["unreadable"] += 1
            continue
        if not isinstance(record, dict) or record.get("format") != EXPORT_FORMAT:
            counts["unreadable"] += 1
            continue
        data, ident, store = record.get("data"), record.get("id"), record.get("store")
        expires = record.get("expires_at")
        if not isinstance(data, dict) or not isinstance(ident, str):
            counts["unreadable"] += 1
            continue
        ttl = int(expires - now) if isinstance(expires, int | float) else lifetime
        if ttl <= 0:
            counts["expired"] += 1
            continue
        outcome = _restore(app, interface, store, ident, data, ttl)
        counts[outcome] += 1
        token = data.get(_KEY)
        if outcome == "restored" and token:
            counts["keys"] += 1
            if cipher.decrypt(token) is None:
                counts["undecryptable"] += 1
    return counts


def _restore(app: Flask, interface: Any, store: Any, ident: str, data: dict, ttl: int) -> str:
    if store == "redis" and _REDIS_ID.fullmatch(ident):
        key = interface.key_prefix + ident
        if isinstance(interface, ResilientRedisSessionInterface):
            encoded = interface.serializer.encoder.encode(data)
            created = interface.client.set(key, encoded, ex=ttl, nx=True)
            return "restored" if created else "existing"
        if interface.cache.has(key):
            return "existing"
        interface.cache.set(key, data, timeout=ttl)
        return "restored"
    if store == "file" and _FILE_ID.fullmatch(ident):
        if isinstance(interface, ResilientRedisSessionInterface):
            return "incompatible"
        files = _files_by_name(app.config["SESSION_FILE_DIR"])
        if files.has(ident):
            return "existing"
        files.set(ident, data, timeout=ttl)
        return "restored"
    return "unreadable"


@contextlib.contextmanager
def _private_output(path: str) -> Iterator[IO[str]]:
    if path == "-":
        yield sys.stdout
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an existing file may have been readable by others
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        yield fh


sessions_cli = AppGroup("sessions", help="Back up and restore live sessions.")


@sessions_cli.command("export")
@click.option(
    "--output",
    "-o",
    default="-",
    show_default=True,
    help="File to write (created readable by its owner only); - for stdout.",
)
def export_command(output: str) -> None:
    """Write live sessions as JSON lines; saved API keys stay encrypted.

    The file holds session ids: keep it as private as the session store itself.
    Restoring it needs the same SESSION_SECRET to open the saved keys.
    """
    sessions = keys = 0
    try:
        with _private_output(output) as fh:
            for record in export_sessions(current_app):
                fh.write(json.dumps(record, separators=(",", ":")) + "\n")
                sessions += 1
                keys += bool(record["data"].get(_KEY))
    except redis.RedisError as exc:
        raise click.ClickException(
            f"the session store is unreachable ({type(exc).__name__})"
        ) from None
    click.echo(f"Exported {sessions} sessions ({keys} with a saved API key, encrypted).", err=True)


@sessions_cli.command("import")
@click.option(
    "--input", "-i", "source", default="-", show_default=True, help="File to read; - for stdin."
)
def import_command(source: str) -> None:
    """Restore sessions written by `sessions export`; sessions already present are kept."""
    try:
        if source == "-":
            counts = import_sessions(current_app, sys.stdin)
        else:
            with open(source, encoding="utf-8") as fh:
                counts = import_sessions(current_app, fh)
    except redis.RedisError as exc:
        raise click.ClickException(
            f"the session store is unreachable ({type(exc).__name__})"
        ) from None
    click.echo(
        f"Restored {counts['restored']} sessions ({counts['keys']} with a saved API key); "
        f"kept {counts['existing']} already present; skipped {counts['expired']} expired, "
        f"{counts['incompatible']} from a file store (Redis cannot use them) and "
        f"{counts['unreadable']} unreadable lines.",
        err=True,
    )
    if counts["undecryptable"]:
        click.echo(
            f"Warning: {counts['undecryptable']} saved keys cannot be opened with this "
            "SESSION_SECRET; those visitors will be asked for their key again.",
            err=True,
        )
