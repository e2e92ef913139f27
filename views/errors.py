"""Error pages and JSON errors: specific, friendly, never a stack trace."""

from __future__ import annotations

import contextlib
import logging

from flask import Blueprint, Response, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError, generate_csrf
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, InternalServerError

import session_store
from models import db
from security import limit_retry_after
from views import FieldRejected, error_body, wants_json
from views.chat import render_draft

bp = Blueprint("errors", __name__)
log = logging.getLogger(__name__)

MESSAGES = {
    400: ("bad_request", "Bad request", "The request could not be understood."),
    404: ("not_found", "Not found", "There is nothing here, or it is not yours."),
    405: ("method_not_allowed", "Method not allowed", "This address does not take that method."),
    413: (
        "too_large",
        "Request too large",
        "The request is larger than this server accepts. Shorten the message and try again.",
    ),
    429: ("rate_limited", "Too many requests", "Slow down a little and try again."),
    500: ("server_error", "Something went wrong", "The server failed; nothing you sent was lost."),
}


def _respond(status: int, kind: str, title: str, message: str, draft: str = "") -> Response:
    if wants_json():
        response = jsonify(error_body(kind, message))
    else:
        response = make_response(
            render_template(
                "errors/error.html",
                status=status,
                title=title,
                message=message,
                draft=draft,
                form=request.form if draft else {},
            )
        )
    response.status_code = status
    return response


@bp.app_errorhandler(HTTPException)
def http_error(exc: HTTPException):
    """Answer any HTTP error with a page or a JSON error."""
    status = exc.code or 500
    kind, title, message = MESSAGES.get(
        status, ("http_error", exc.name, exc.description or exc.name)
    )
    if isinstance(exc, FieldRejected):
        kind, message = exc.kind, exc.description
    elif status == 400 and request.is_json:
        kind, message = "bad_json", "The request body is not valid JSON."
    if status == 429:
        return _too_many_requests()
    response = _respond(status, kind, title, message)
    if status == 405 and exc.valid_methods:  # type: ignore[attr-defined]
        response.headers["Allow"] = ", ".join(exc.valid_methods)  # type: ignore[attr-defined]
    return response


def _too_many_requests() -> Response:
    wait = limit_retry_after()
    message = f"Too many requests: wait {wait} s and try again. Nothing you typed was lost."
    if request.endpoint == "chat.send" and not wants_json():
        response = make_response(render_draft(message, status=429))
    else:
        response = _respond(429, "rate_limited", "Too many requests", message)
    response.headers["Retry-After"] = str(wait)
    return response


@bp.app_errorhandler(CSRFError)
def csrf_error(exc: CSRFError):
    """Keep the visitor's draft when their form token has expired (or the store is down).

    A script gets a fresh token with the refusal and sends again by itself; a session
    store that does not answer is named as such, not as an expired session.
    """
    if not session_store.store_reachable():
        return _session_store_down()
    message = (
        "Your session expired or the form was out of date, so nothing was sent. "
        "Your text is still here: send it again."
    )
    if wants_json():
        return jsonify({**error_body("csrf_failed", message), "csrf_token": generate_csrf()}), 400
    if request.endpoint == "chat.send":
        return render_draft(message)
    return _respond(400, "csrf_failed", "Form expired", message)


@bp.app_errorhandler(session_store.SessionsUnavailable)
def sessions_unavailable(exc: session_store.SessionsUnavailable):
    """A step that needs the session (a saved key, saving one) while the store is down."""
    return _session_store_down()


# The endpoints whose refusal keeps a typed message in the box.
_DRAFT_ENDPOINTS = frozenset({"chat.send"})


def _session_store_down():
    log.warning("sessions unavailable: %s refused", request.endpoint)
    if request.endpoint and request.endpoint.startswith("settings."):
        message = "Sessions are unavailable right now, so nothing was saved. Try again in a moment."
    else:
        message = (
            "Sessions are unavailable right now, so nothing was sent and saved API keys "
            "can't be read. Your text is kept: send it again in a moment."
        )
    if wants_json():
        # A token the next request can check without a session: a script sends again.
        response = jsonify(
            {**error_body("session_store_unavailable", message), "csrf_token": generate_csrf()}
        )
        response.status_code = 503
    elif request.endpoint in _DRAFT_ENDPOINTS:
        response = make_response(render_draft(message, status=503))
    else:
        response = _respond(503, "session_store_unavailable", "Temporarily unavailable", message)
    response.headers["Retry-After"] = "5"
    return response


@bp.app_errorhandler(SQLAlchemyError)
def database_error(exc: SQLAlchemyError):
    """Say the database is unavailable instead of failing with a 500."""
    log.error("database unavailable: %s", type(exc).__name__)
    # The connection may already be gone; the session is discarded either way.
    with contextlib.suppress(SQLAlchemyError):
        db.session.rollback()
    draft = request.form.get("message", "") if request.endpoint == "chat.send" else ""
    if request.endpoint == "chat.send":
        message = (
            "The conversation store is not answering. Your message may not have been saved: "
            "it is below, so you can send it again once the store is back."
        )
    else:
        message = "The conversation store is not answering right now. Try again in a moment."
    return _respond(503, "database_unavailable", "Temporarily unavailable", message, draft=draft)


@bp.app_errorhandler(InternalServerError)
def server_error(exc: InternalServerError):
    """Log the failure and show a page without internals."""
    original = getattr(exc, "original_exception", None)
    log.error("unhandled error: %s", type(original or exc).__name__, exc_info=original)
    return _respond(500, *MESSAGES[500])
