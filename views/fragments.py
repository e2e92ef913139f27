"""Each message's HTML on the conversation page, and each sidebar entry's, kept between views.

A page view reads only ``Message.page_columns`` of its messages (no text), and looks up
each one's HTML under ``(conversation, id, revision, versions, pictures, script root)``.
The database changes ``revision`` whenever a message changes as the page shows it
(migration 0014), so a kept copy is never out of date; only the messages without one are
read whole and rendered (one more statement, whatever their number).

What differs per visitor and per view is not kept: the CSRF token and the edit forms'
``client_msg_id`` are rendered as placeholders (random per process, so no message text
can spell one) and filled in for each view.

The items are kept and joined as UTF-8: the page is rendered with a ``slot`` mark where
they go and spliced around them (``splice``), so 200 KB of messages (and the sidebar's
88 KB) are never decoded, escaped or encoded again on a view.

A sidebar entry is kept under ``(id, title, pinned, last active, current, script root)``,
everything it shows (fifty of them cost a page more than its forty messages did), and
the open conversation's Actions menu under ``(id, title, pinned, script root)``.

The copies live in each worker's memory (``PAGE_CACHE_MB``, least recently used out
first; 0 keeps none). A template or renderer change comes with a restart, which empties it.
"""

from __future__ import annotations

import contextlib
import re
import secrets
import sys
import threading
import uuid
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from typing import Any

from cachetools import LRUCache
from flask import Flask, current_app, g, get_template_attribute, render_template, request
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy.exc import SQLAlchemyError

from models import Attachment, Message, Record, db

_CSRF = f"csrf-{secrets.token_hex(16)}"
_CLIENT_MSG_ID = f"cmid-{secrets.token_hex(16)}"
_PLACEHOLDERS = re.compile(f"({re.escape(_CSRF)}|{re.escape(_CLIENT_MSG_ID)})")
# A ``slot``'s mark in a rendered page: an HTML comment no text can spell (escaped text
# has no "<!--", and the token is random per process).
_SLOT_MARK = f"slot-{secrets.token_hex(16)}"
_SLOTS = re.compile(f"<!--{_SLOT_MARK}-(\\d+)-->")


class FragmentCache:
    """A map of key -> ``Fragment`` holding at most ``max_bytes`` of pieces (their
    memory: UTF-8, so text outside ASCII counts for what it takes), least recently used
    out first; safe across threads. 0 keeps nothing."""

    def __init__(self, max_bytes: int) -> None:
        self._items: LRUCache[Hashable, Fragment] | None = (
            LRUCache(maxsize=max_bytes, getsizeof=_fragment_size) if max_bytes > 0 else None
        )
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Fragment | None:
        return self.get_many([key])[0]

    def get_many(self, keys: Sequence[Hashable]) -> list[Fragment | None]:
        if self._items is None:
            return [None] * len(keys)
        with self._lock:
            return [self._items.get(key) for key in keys]

    def put(self, key: Hashable, fragment: Fragment) -> None:
        if self._items is None or _fragment_size(fragment) > self._items.maxsize:
            return
        with self._lock:
            self._items[key] = fragment

    def __len__(self) -> int:
        return 0 if self._items is None else len(self._items)


#: A message's HTML cut at its placeholders: ``(UTF-8, placeholder, UTF-8, …, UTF-8)``,
#: odd places holding ``_CSRF`` or ``_CLIENT_MSG_ID``. Cut once when rendered, so a view
#: fills them in while joining, without searching 200 KB of page for them.
Fragment = tuple[bytes | str, ...]


def _fragment_size(fragment: Fragment) -> int:
    return sum(map(sys.getsizeof, fragment))


def _cut(html: str) -> Fragment:
    return tuple(
        piece if at % 2 else piece.encode() for at, piece in enumerate(_PLACEHOLDERS.split(html))
    )


def slot(pieces: list[bytes]) -> Markup:
    """A mark standing for ``pieces`` (UTF-8) in the page being rendered; ``splice`` puts
    them in its place. Kept HTML goes into a page this way, never decoded, escaped or
    encoded again."""
    held = g.setdefault("_slots", [])
    held.append(pieces)
    return Markup(f"<!--{_SLOT_MARK}-{len(held) - 1}-->")  # noqa: S704  # nosec B704  # our own


def splice(page: str) -> bytes:
    """The rendered page as UTF-8, each ``slot`` mark replaced by its pieces. Every
    render of a template that makes slots (the chat page and its earlier messages, the
    sidebar's groups) goes through here."""
    parts = _SLOTS.split(page)
    if len(parts) == 1:
        return page.encode()
    held: list[list[bytes]] = g._slots
    joined: list[bytes] = []
    for at, part in enumerate(parts):
        if at % 2:
            joined.extend(held[int(part)])
        else:
            joined.append(part.encode())
    return b"".join(joined)


def init_app(app: Flask) -> None:
    """Give the app its cache and the template globals that know about placeholders."""
    app.extensions["fragments"] = FragmentCache(app.config["PAGE_CACHE_MB"] * 1024 * 1024)
    # Globals, not context: macros imported from _macros.html do not see the context.
    app.jinja_env.globals.update(
        csrf_token=_csrf_token,
        new_client_msg_id=_client_msg_id,
        sidebar_entries=sidebar_entries,
        conversation_actions=conversation_actions,
    )


def _csrf_token() -> str:
    return _CSRF if g.get("_keeping") else generate_csrf()


def _client_msg_id() -> str:
    return _CLIENT_MSG_ID if g.get("_keeping") else uuid.uuid4().hex


def sidebar_entries(rows: Sequence[Record], current: Any = None) -> Markup:
    """The sidebar entries (``chat/_conversation_item.html``) of ``rows`` (a group of
    ``Conversation.sidebar_columns``), in order, as a ``slot``; each kept between views
    under everything it shows."""
    current_id = current.id if current is not None else None
    root = request.script_root
    # A row is all an entry shows (id, title, pinned_at, updated_at): the key is the row.
    keys = [("sidebar", *row, row[0] == current_id, root) for row in rows]
    found = _kept(
        keys,
        lambda positions: [
            render_template("chat/_conversation_item.html", item=rows[at], current=current)
            for at in positions
        ],
    )
    # One slot for the group's entries, not Markup for each: fifty entries decoded,
    # escaped by the template and encoded again cost a view more than their lookup.
    return slot(_filled(found, _csrf_utf8()))


def conversation_actions(conversation: Any) -> Markup:
    """The open conversation's Actions menu (``chat/_conversation_actions.html``) as a
    ``slot``, kept between views under everything it shows."""
    shown = (conversation.id, conversation.title, conversation.pinned_at, request.script_root)
    (fragment,) = _kept(
        [("actions", *shown)],
        lambda _positions: [
            render_template("chat/_conversation_actions.html", conversation=conversation)
        ],
    )
    return slot(_filled([fragment], _csrf_utf8()))


def _kept(
    keys: Sequence[Hashable],
    render: Callable[[list[int]], list[str | None]],
    *,
    fresh: int | None = None,
) -> list[Fragment | None]:
    """The kept fragment of each key, in order. ``render(positions)`` gives the HTML of
    those without one, in one go (rendered with placeholders, then kept; None: nothing to
    show). ``fresh``: a position rendered for this view only, neither looked up nor kept."""
    cache: FragmentCache = current_app.extensions["fragments"]
    found = cache.get_many(keys)
    if fresh is not None:
        found[fresh] = None
    missing = [at for at, fragment in enumerate(found) if fragment is None]
    if missing:
        with _keeping():
            rendered = render(missing)
        for at, html in zip(missing, rendered, strict=True):
            if html is None:
                continue
            found[at] = _cut(html)
            if at != fresh:
                cache.put(keys[at], found[at])  # type: ignore[arg-type]
    return found


@contextlib.contextmanager
def _keeping() -> Iterator[None]:
    """Render what differs per view as placeholders (for a copy that is kept)."""
    before = g.get("_keeping", False)
    g._keeping = True
    try:
        yield
    finally:
        g._keeping = before


def _csrf_utf8() -> bytes:
    """This view's CSRF token, encoded once."""
    csrf = g.get("_csrf_utf8")
    if csrf is None:
        csrf = g._csrf_utf8 = generate_csrf().encode()
    return csrf


def _filled(fragments: Iterable[Fragment | None], csrf: bytes) -> list[bytes]:
    """The fragments' pieces, in order, with this view's CSRF token (``_csrf_utf8``) and a
    new ``client_msg_id`` for each edit form (idempotent resends) in place of the
    placeholders."""
    pieces: list[bytes] = []
    for fragment in fragments:
        if fragment is None:
            continue
        pieces.append(fragment[0])  # type: ignore[arg-type]  # even places are UTF-8
        for at in range(1, len(fragment), 2):
            pieces.append(csrf if fragment[at] == _CSRF else uuid.uuid4().hex.encode())
            pieces.append(fragment[at + 1])  # type: ignore[arg-type]
    return pieces


def with_stored_html(messages: list[Message]) -> list[Message]:
    """The messages, each reply's stored HTML current: rendered now where missing or stale.

    A GET writes what it rendered back in one statement, so only the first view of a
    reply pays for its Markdown; other requests that show the page (a refused form)
    render without writing, as their session may hold work that is not to be committed.
    """
    stale = Message.render_html(messages)
    if stale and request.method == "GET":
        try:
            Message.store_html(stale)
            db.session.commit()
        except SQLAlchemyError:
            # The page is still right, only slower (the rows are read and rendered again);
            # the next view retries the write.
            db.session.rollback()
            current_app.logger.warning("page: could not store the HTML of %d replies", len(stale))
    return messages


def _pictures_key(shown: Sequence[Attachment] | None) -> tuple[Any, ...]:
    return tuple((p.public_id, p.filename, p.width, p.height) for p in shown or ())


def message_items(
    rows: Sequence[Record], *, editing: tuple[int, str, str] | None = None
) -> list[bytes]:
    """The ``<li>`` of each page row (``Message.page_columns``), in order, as UTF-8 pieces
    for a ``slot``.

    Versions and pictures are read (one statement each) only when a row has some.

    ``editing`` is ``(message id, text, error)``: a refused edit, shown open with its text
    kept (that message is rendered for this view only).
    """
    versioned = [row for row in rows if row.has_versions]
    versions = Message.versions(versioned) if versioned else {}
    pictured = [row.id for row in rows if row.has_pictures]
    pictures = Attachment.of_messages(pictured) if pictured else {}
    keys = [
        (
            row.conversation_id,
            row.id,
            row.revision,
            versions.get(row.id),
            _pictures_key(pictures.get(row.id)),
            request.script_root,
        )
        for row in rows
    ]
    edited = editing[0] if editing else None

    def render(positions: list[int]) -> list[str | None]:
        shown = [rows[at].id for at in positions]
        fresh = {m.id: m for m in with_stored_html(Message.for_page(shown))}
        item = get_template_attribute("_macros.html", "message_item")
        # None: gone since the rows were read.
        return [
            str(item(fresh[id_], versions, editing=editing, pictures=pictures))
            if id_ in fresh
            else None
            for id_ in shown
        ]

    parts = _kept(
        keys,
        render,
        fresh=next((at for at, row in enumerate(rows) if row.id == edited), None),
    )
    return _filled(parts, _csrf_utf8())
