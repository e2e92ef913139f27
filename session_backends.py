"""The two server-side session stores (Redis, files) and the code that installs one.

Both follow one rule, the guarded writes: a session that was loaded from the store is only
ever updated, never re-created. Saving or forgetting an API key regenerates the session and
deletes the old stored copy; a request that began before that (a long chat stream, another
tab) must not write that old copy back, or reset the browser's cookie to it, or a forgotten
key would return. So at the end of such a request the store is asked whether the copy still
exists: if not, nothing is written and no cookie is set; if nothing changed, only its
lifetime is extended.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import redis
from cachelib.file import FileSystemCache
from flask import Flask
from flask_session.cachelib import CacheLibSessionInterface
from flask_session.redis import RedisSessionInterface

log = logging.getLogger(__name__)


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


def install(app: Flask) -> None:
    """Install the server-side session store: Redis when REDIS_URL is set, else files."""
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
