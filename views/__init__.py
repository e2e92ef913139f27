"""Blueprints: thin views that validate, call the domain, render or redirect."""

from __future__ import annotations

from flask import request


def wants_json() -> bool:
    """Tell whether the client asked for JSON rather than a page."""
    if request.is_json:
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def error_body(kind: str, message: str) -> dict[str, dict[str, str]]:
    """Shape an error the way every JSON response reports one."""
    return {"error": {"kind": kind, "message": message}}
