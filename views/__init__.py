"""Blueprints: thin views that validate, call the domain, render or redirect."""

from __future__ import annotations

from flask import request
from werkzeug.exceptions import BadRequest


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
