"""Operational endpoints: health (readiness) and liveness."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from flask import Blueprint, Response, current_app
from sqlalchemy import text

from models import db

bp = Blueprint("ops", __name__)
log = logging.getLogger(__name__)


def _check_database() -> str:
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means unhealthy
        log.warning("health: database check failed: %s", type(exc).__name__)
        return "unavailable"
    return "ok"


def _check_redis() -> str | None:
    client = current_app.extensions.get("redis")
    if client is None:
        return None
    try:
        client.ping()
    except Exception as exc:  # noqa: BLE001
        log.warning("health: redis check failed: %s", type(exc).__name__)
        return "unavailable"
    return "ok"


@bp.get("/health/live")
def live() -> Response:
    """Answer 200 ``{"status": "ok"}`` while this process can serve requests at all.

    For liveness probes: it touches neither the database nor Redis, so an outage of
    either (which /health reports, and which restarting the app cannot cure) never gets
    every replica restarted at once.
    """
    response = current_app.json.response({"status": "ok"})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/health")
def health():
    """Report whether the database and Redis answer; 503 when either does not."""
    checks = {"database": _check_database()}
    redis_state = _check_redis()
    if redis_state is not None:
        checks["redis"] = redis_state
    healthy = all(state == "ok" for state in checks.values())
    body = {
        "status": "healthy" if healthy else "unhealthy",
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "version": current_app.config["VERSION"],
        "checks": checks,
    }
    if not healthy:
        body["failed"] = sorted(name for name, state in checks.items() if state != "ok")
    response = current_app.json.response(body)
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response
