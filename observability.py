"""Prometheus metrics, labelled by route template (never raw paths), behind access control."""

from __future__ import annotations

import time

from flask import Flask, Response, abort, g, request
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

import security

HTTP_REQUESTS = Counter(
    "http_requests_total", "HTTP requests answered", ["method", "endpoint", "status"]
)
HTTP_DURATION = Histogram(
    "http_request_duration_seconds",
    "Time to answer an HTTP request (to the first byte for streams)",
    ["method", "endpoint"],
)
CHAT_MESSAGES = Counter("chat_messages_total", "Chat replies recorded", ["status"])
OPENROUTER_CALLS = Counter(
    "openrouter_api_calls_total", "Upstream chat calls by outcome", ["status"]
)


def _endpoint() -> str:
    rule = request.url_rule
    return rule.rule if rule is not None else "unmatched"


def _start() -> None:
    g.request_started = time.perf_counter()


def _record(response: Response) -> Response:
    started = g.get("request_started")
    if started is not None and request.endpoint != "metrics":
        endpoint = _endpoint()
        HTTP_REQUESTS.labels(request.method, endpoint, str(response.status_code)).inc()
        HTTP_DURATION.labels(request.method, endpoint).observe(time.perf_counter() - started)
    return response


def metrics() -> Response:
    """Expose the metrics to allowed addresses or token holders only."""
    if not security.private_route_allowed():
        abort(404)  # not 403: the route's existence is not advertised
    return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)


def init_app(app: Flask) -> None:
    """Time every request and serve /metrics."""
    app.before_request(_start)
    app.after_request(_record)
    app.add_url_rule("/metrics", "metrics", metrics)
