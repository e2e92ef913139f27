"""Back up and restore live sessions: ``flask sessions export`` / ``flask sessions import``.

Records are JSON lines holding each session as stored, so a saved API key stays AES-GCM
ciphertext; restoring it needs the same SESSION_SECRET. History windows are not exported:
they are rebuilt from the database on the next message.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import struct
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import IO, Any

import click
import msgspec
import redis
from cachelib.file import FileSystemCache
from flask import Flask, current_app
from flask.cli import AppGroup

from session_backends import ResilientRedisSessionInterface
from session_store import API_KEY_FIELD

log = logging.getLogger(__name__)


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
        token = data.get(API_KEY_FIELD)
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
                keys += bool(record["data"].get(API_KEY_FIELD))
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
