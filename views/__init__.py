"""Blueprints: thin views that validate, call the domain, render or redirect."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from flask import request, url_for
from werkzeug.exceptions import BadRequest

if TYPE_CHECKING:
    from models import Conversation

# A long conversation opens at its newest messages; older ones come a page at a time
# ("Show earlier", with or without JavaScript), so the page stays as quick as a short one.
PAGE_MESSAGES = 40
MOST_SHOWN = 5000


def shown_to_hold(conversation: Conversation, message_id: int) -> int | None:
    """``?show=`` for a page that holds ``message_id`` (None: the newest page already does),
    so an address ending in ``#m<id>`` lands on the message without JavaScript."""
    count = conversation.count_from(message_id)
    return min(count, MOST_SHOWN) if count > PAGE_MESSAGES else None


class FieldRejected(BadRequest):
    """A JSON body or field has the wrong shape or cannot be stored."""

    def __init__(self, description: str, kind: str = "bad_field") -> None:
        super().__init__(description)
        self.kind = kind


def _best() -> str | None:
    return request.accept_mimetypes.best_match(
        ["text/html", "application/json", "text/event-stream"]
    )


def wants_stream() -> bool:
    """Tell whether the client asked for a Server-Sent Events stream."""
    return _best() == "text/event-stream"


def wants_json() -> bool:
    """Tell whether the client wants data (JSON, or errors before a stream) over a page."""
    if request.is_json:
        return True
    return _best() in ("application/json", "text/event-stream")


def error_body(kind: str, message: str) -> dict[str, dict[str, str]]:
    """Shape an error the way every JSON response reports one."""
    return {"error": {"kind": kind, "message": message}}


def local_path(target: str | None) -> str:
    """Return ``target`` when it is a path on this site, else the chat page.

    ``next`` comes from the visitor's request, so it must not send them elsewhere: "//host"
    and "/\\host" are other hosts to a browser, which also drops tabs and newlines from a
    URL before reading it (a tab between two slashes leaves "//host").
    """
    fallback = url_for("chat.index")
    if not target or len(target) > 2000 or not target.startswith("/"):
        return fallback
    if target.startswith("//") or "\\" in target:
        return fallback
    if any(ord(char) < 0x21 or ord(char) == 0x7F for char in target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return fallback
    return target
