"""The two server-side session stores (Redis, files) and the code that installs one.

Both follow one rule, the guarded writes: a session that was loaded from the store is only
ever updated, never re-created. Saving or forgetting an API key regenerates the session and
deletes the old stored copy; a request that began before that (a long chat stream, another
tab) must not write that old copy back, or reset the browser's cookie to it, or a forgotten
key would return. So at the end of such a request a change is written only over a copy that
still exists (on Redis in one step, SET with XX): if it is gone, nothing is written and no
cookie is set; if nothing changed, only its lifetime is extended, at most once per worker
in each sixtieth of that lifetime (a minute of the default hour): a page view then costs
the store one call, the read.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta
from typing import Any

import redis
from cachelib.file import FileSystemCache
from cachetools import LRUCache
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

    #: An unchanged session's life is extended at most once per worker in this share of
    #: it: the sliding expiry (and the cookie's) then runs late by at most that much.
    EXTEND_EVERY = 1 / 60
    _extended: LRUCache[str, float] = LRUCache(maxsize=20_000)  # store id -> monotonic time
    _extended_lock = threading.Lock()

    def should_set_cookie(self, app: Flask, session) -> bool:
        if getattr(session, "vanished", False) or getattr(session, "left_as_is", False):
            return False
        return super().should_set_cookie(app, session)

    def _upsert_session(self, session_lifetime, session, store_id) -> None:
        if getattr(session, "loaded", False):
            if not session.modified:
                if self._extended_lately(store_id, session_lifetime):
                    # Neither the store nor the cookie is touched: the browser keeps the
                    # cookie it has, whichever session that now names.
                    session.left_as_is = True
                    return
                # Nothing changed here: extend its life (one call that also says whether
                # it still exists), but never write back an old copy over what another
                # request saved meanwhile.
                session.vanished = not self._touch(store_id, session_lifetime)
                if not session.vanished:
                    self._note_extended(store_id)
                return
            # Changed: written only over a copy that still exists, in one step, so a
            # regeneration (Forget key) landing meanwhile cannot be undone by it.
            session.vanished = not self._update(session_lifetime, session, store_id)
            if not session.vanished:
                self._note_extended(store_id)
            return
        super()._upsert_session(session_lifetime, session, store_id)
        self._note_extended(store_id)

    def _extended_lately(self, store_id: str, lifetime: timedelta) -> bool:
        """Whether this worker extended (or wrote) this session within ``EXTEND_EVERY`` of
        its lifetime."""
        with self._extended_lock:
            last = self._extended.get(store_id)
        window = lifetime.total_seconds() * self.EXTEND_EVERY
        return last is not None and time.monotonic() - last < window

    def _note_extended(self, store_id: str) -> None:
        with self._extended_lock:
            self._extended[store_id] = time.monotonic()


class SessionsUnavailable(Exception):
    """The session store did not answer (or is known to be down): nothing was read or saved."""


class ResilientRedisSessionInterface(GuardedWrites, RedisSessionInterface):
    """A Redis session store that keeps the app working while Redis is down.

    Conversations are in the database, so a visitor whose session cannot be read loses
    only what the session holds (the saved key, the chosen model) until Redis is back; a
    500 page would lose them the whole app. Such a session is marked ``unavailable``: it
    keeps the browser's session id, is never written and never replaces the cookie, so
    the stored session (and its key) is there again once Redis answers.

    After a failure the store is not asked again for ``retry_seconds`` (each request would
    otherwise wait on it): one log line when it goes down, one when it is back.
    """

    def __init__(self, *args: Any, retry_seconds: float = 5.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.retry_seconds = retry_seconds
        self._down_until = 0.0

    # -- knowing whether the store answers

    @property
    def down(self) -> bool:
        """True while a recent failure says the store is not answering."""
        return time.monotonic() < self._down_until

    def note_down(self, exc: Exception) -> None:
        """Someone else found the store not answering (a health ping): stop asking it too."""
        self._failed(exc, "ping")

    def _failed(self, exc: Exception, doing: str) -> None:
        if not self.down:
            log.warning("session store unavailable on %s: %s", doing, type(exc).__name__)
        self._down_until = time.monotonic() + self.retry_seconds

    def _answered(self) -> None:
        if self._down_until:
            self._down_until = 0.0
            log.warning("session store is answering again")

    def _call(self, doing: str, call: Any, *args: Any, **kwargs: Any) -> Any:
        if self.down:
            raise SessionsUnavailable
        try:
            result = call(*args, **kwargs)
        except redis.RedisError as exc:
            self._failed(exc, doing)
            raise SessionsUnavailable from None
        self._answered()
        return result

    # -- the session

    def open_session(self, app: Flask, request):
        cookie = request.cookies.get(app.config["SESSION_COOKIE_NAME"])
        try:
            if not cookie:
                # Nothing to read, so nothing would say whether the store answers: a new
                # visitor (or, while it is down, everyone: no cookie is ever set) asks it.
                self._call("ping", self.client.ping)
            session = super().open_session(app, request)
        except SessionsUnavailable:
            # The same id as the browser's cookie, empty, and never saved.
            session = self.session_class(sid=cookie or self._generate_sid(self.sid_length))
            session.loaded = False
            session.vanished = False
            session.unavailable = True
            return session
        session.unavailable = self.down
        return session

    def save_session(self, app: Flask, session, response) -> None:
        if getattr(session, "unavailable", False) or self.down:
            return  # nothing to write to, and the browser keeps its cookie
        try:
            super().save_session(app, session, response)
        except SessionsUnavailable:
            return

    def _retrieve_session_data(self, store_id: str) -> dict | None:
        return self._call("read", super()._retrieve_session_data, store_id)

    def _upsert_session(self, session_lifetime, session, store_id) -> None:
        self._call("write", super()._upsert_session, session_lifetime, session, store_id)

    def _delete_session(self, store_id: str) -> None:
        self._call("delete", super()._delete_session, store_id)

    def _exists(self, store_id: str) -> bool:
        return bool(self._call("read", self.client.exists, store_id))

    def _update(self, lifetime: timedelta, session, store_id: str) -> bool:
        # SET ... XX writes only a key that exists, and answers None when it does not:
        # no gap between the check and the write.
        return bool(
            self._call(
                "write",
                self.client.set,
                store_id,
                self.serializer.encode(session),
                ex=int(lifetime.total_seconds()),
                xx=True,
            )
        )

    def _touch(self, store_id: str, lifetime: timedelta) -> bool:
        # EXPIRE answers 0 for a key that is gone.
        return bool(
            self._call("write", self.client.expire, store_id, int(lifetime.total_seconds()))
        )

    # -- values kept beside it

    def read_extra(self, key: str) -> Any:
        """Read a value kept beside the session (None when missing or unreadable)."""
        try:
            raw = self._call("read", self.client.get, key)
        except SessionsUnavailable:
            return None
        return self.serializer.decoder.decode(raw) if raw else None

    def write_extra(self, key: str, value: Any, lifetime: timedelta) -> None:
        """Keep a value beside the session, expiring with it (skipped while the store is down)."""
        try:
            self._call(
                "write",
                self.client.set,
                key,
                self.serializer.encoder.encode(value),
                ex=int(lifetime.total_seconds()),
            )
        except SessionsUnavailable:
            return


class FileSessionInterface(GuardedWrites, CacheLibSessionInterface):
    """Sessions in files under instance/ (the zero-setup default)."""

    def _update(self, lifetime: timedelta, session, store_id: str) -> bool:
        # Files have no write-if-present: the check and the write are two steps, as close
        # together as they can be (one host, the zero-setup mode).
        if not self.cache.has(store_id):
            return False
        CacheLibSessionInterface._upsert_session(self, lifetime, session, store_id)
        return True

    def _exists(self, store_id: str) -> bool:
        return self.cache.has(store_id)

    def _touch(self, store_id: str, lifetime: timedelta) -> bool:
        # A file's expiry can only be moved by rewriting it: rewrite what is stored
        # now (another request's change included), not this request's older copy.
        stored = self.cache.get(store_id)
        if stored is None:
            return False
        self.cache.set(store_id, stored, timeout=int(lifetime.total_seconds()))
        return True

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
