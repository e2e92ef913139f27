"""Observability: JSON logs with request ids, Prometheus metrics, optional Sentry.

- Logs: every record, ours (structlog) and every library's (stdlib ``logging``), goes
  through one handler on the root logger and comes out as one JSON line (or a readable
  line with ``LOG_FORMAT=console``) carrying the request id of the request it belongs to.
- Metrics: labelled by route template, never by raw path. Under Gunicorn,
  ``gunicorn.conf.py`` sets ``PROMETHEUS_MULTIPROC_DIR`` before this module is imported,
  so every worker writes its samples there and ``/metrics`` adds up all of them.
- Sentry: only with ``SENTRY_DSN``; cookies, bodies, credentials and anything shaped
  like an API key are removed before an event leaves the process.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

import structlog
from flask import Flask, Response, abort, g, has_request_context, request
from flask.logging import default_handler

# Any word is a valid method to Gunicorn and Nginx; labels take only these, so a
# scanner's made-up methods cannot create new series.
KNOWN_METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"))


def _usable_metrics_dir() -> None:
    """Make PROMETHEUS_MULTIPROC_DIR safe before prometheus_client reads it at import.

    Empty (a copied .env.example) means unset: prometheus_client would otherwise write
    its files into the working directory. A missing folder (a `flask` command run
    while the server is stopped) is created, or the variable dropped if it cannot be.
    """
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path is None:
        return
    try:
        if not path:
            raise OSError("empty")
        os.makedirs(path, exist_ok=True)
    except OSError:
        del os.environ["PROMETHEUS_MULTIPROC_DIR"]


_usable_metrics_dir()

from prometheus_client import (  # noqa: E402 - after the check above
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client import values as prometheus_values  # noqa: E402
from prometheus_client.mmap_dict import MmapedDict  # noqa: E402

import security  # noqa: E402
from states import MessageStatus  # noqa: E402

# ---------------------------------------------------------------- metrics

HTTP_REQUESTS = Counter(
    "http_requests_total", "HTTP requests answered", ["method", "endpoint", "status"]
)
HTTP_DURATION = Histogram(
    "http_request_duration_seconds",
    "Time to answer an HTTP request (to the first byte for streams)",
    ["method", "endpoint"],
)
# livesum: the requests in flight in the workers alive now (a dead worker's are dropped).
HTTP_IN_PROGRESS = Gauge(
    "http_requests_in_progress",
    "HTTP requests being answered (until the first byte for streams)",
    multiprocess_mode="livesum",
)
CHAT_MESSAGES = Counter("chat_messages_total", "Chat replies recorded", ["status"])
OPENROUTER_CALLS = Counter(
    "openrouter_api_calls_total", "Upstream chat calls by outcome", ["status"]
)
OPENROUTER_DURATION = Histogram(
    "openrouter_request_duration_seconds",
    "Time until OpenRouter's response headers arrived, per HTTP request (each retry "
    "counts): the whole reply for plain calls, the start of the stream for streamed ones",
    ["endpoint", "status"],
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 90, 120),
)
OPENROUTER_TOKENS = Counter(
    "openrouter_tokens_total", "Tokens reported by OpenRouter for recorded replies", ["kind"]
)

# True when samples live in PROMETHEUS_MULTIPROC_DIR (chosen when prometheus_client
# was imported, which is what decides where they are written).
MULTIPROCESS = bool(getattr(prometheus_values.ValueClass, "_multiprocess", False))

_UPSTREAM_ENDPOINTS = ("chat/completions", "models", "key")


def record_reply(
    status: str,
    error_kind: str | None = None,
    prompt_tokens: int | None = None,
    completion_tokens: int | None = None,
) -> None:
    """Count a recorded chat reply, its upstream outcome and the tokens it used.

    Called by chat.record for every reply saved (each ``MessageStatus``); ``error_kind``
    is a ``FailureKind``.
    """
    CHAT_MESSAGES.labels(status).inc()
    if status != MessageStatus.OFFLINE:
        OPENROUTER_CALLS.labels(error_kind or status).inc()
    if isinstance(prompt_tokens, int) and prompt_tokens > 0:
        OPENROUTER_TOKENS.labels("prompt").inc(prompt_tokens)
    if isinstance(completion_tokens, int) and completion_tokens > 0:
        OPENROUTER_TOKENS.labels("completion").inc(completion_tokens)


def _upstream_endpoint(path: str) -> str:
    path = path.split("?", 1)[0].rstrip("/")
    return next((name for name in _UPSTREAM_ENDPOINTS if path.endswith("/" + name)), "other")


def _time_upstream(response, *args: Any, **kwargs: Any) -> None:
    """A requests response hook: observe how long OpenRouter took to answer."""
    OPENROUTER_DURATION.labels(
        _upstream_endpoint(response.request.path_url), str(response.status_code)
    ).observe(response.elapsed.total_seconds())


def instrument_openrouter(client: Any) -> None:
    """Time every HTTP request the OpenRouter client sends (a requests session hook)."""
    hooks = client.http.hooks["response"]
    if _time_upstream not in hooks:
        hooks.append(_time_upstream)


def _endpoint() -> str:
    rule = request.url_rule
    return rule.rule if rule is not None else "unmatched"


@contextlib.contextmanager
def _metrics_files_locked(directory: str, *, exclusive: bool) -> Iterator[None]:
    """Scrapes read the files together (shared); folding a dead worker's in is exclusive."""
    fd = os.open(os.path.join(directory, ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)  # releases the lock


def retire_worker(pid: int, directory: str | None = None) -> None:
    """Fold a finished worker's counters and histograms into one archive file per type.

    Gunicorn recycles a worker every ~1000 requests (max_requests); left alone, each one
    would leave its files behind and every scrape would read more of them. Its live
    gauges are dropped. Called by the Gunicorn master (gunicorn.conf.py, child_exit).
    """
    directory = directory or os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory or not os.path.isdir(directory):
        return
    # Exclusive: a scrape never sees a sample both in the archive and in the dead
    # worker's file, or in neither (a counter going back down looks like a reset).
    with _metrics_files_locked(directory, exclusive=True):
        multiprocess.mark_process_dead(pid, directory)
        for kind in ("counter", "histogram"):
            dead = os.path.join(directory, f"{kind}_{pid}.db")
            if not os.path.exists(dead):
                continue
            archive = MmapedDict(os.path.join(directory, f"{kind}_archive.db"))
            try:
                for key, value, timestamp, _pos in MmapedDict.read_all_values_from_file(dead):
                    total, _when = archive.read_value(key)
                    archive.write_value(key, total + value, timestamp)
            finally:
                archive.close()
            os.remove(dead)


def _exposition() -> bytes:
    if not MULTIPROCESS:
        return generate_latest(REGISTRY)
    # A fresh registry per scrape, reading every worker's files and the archive.
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, directory)
    with _metrics_files_locked(directory, exclusive=False):
        return generate_latest(registry)


def metrics() -> Response:
    """Expose the metrics to allowed addresses or token holders only."""
    if not security.private_route_allowed():
        abort(404)  # not 403: the route's existence is not advertised
    return Response(_exposition(), mimetype=CONTENT_TYPE_LATEST)


# ---------------------------------------------------------------- request ids

REQUEST_ID_HEADER = "X-Request-ID"
# A proxy's id (Nginx $request_id, a UUID) is kept; anything else is replaced, so a
# header can never smuggle newlines, quotes or megabytes into the logs.
_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{7,127}")


def request_id() -> str:
    """Return this request's id: the caller's X-Request-ID if it is sane, else a new one."""
    if "request_id" not in g:
        given = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
    return g.request_id


# ---------------------------------------------------------------- logs

log = structlog.stdlib.get_logger("automotive_chat")
_QUIET_ENDPOINTS = ("ops.health", "ops.live", "metrics")  # polled every few seconds: debug level


def _add_request_id(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    if has_request_context() and "request_id" not in event_dict:
        event_dict["request_id"] = request_id()
    return event_dict


_SHARED_PROCESSORS: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
    _add_request_id,
]


class _StderrHandler(logging.StreamHandler):
    """Write to the sys.stderr of the moment (a test runner may swap it)."""

    @property
    def stream(self):  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def _formatter(fmt: str) -> structlog.stdlib.ProcessorFormatter:
    final: list[Any]
    if fmt == "json":
        final = [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
    else:
        # Plain tracebacks: a rich one would print every frame's locals, keys included.
        final = [
            structlog.dev.ConsoleRenderer(
                colors=False, exception_formatter=structlog.dev.plain_traceback
            )
        ]
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED_PROCESSORS,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *final],
    )


def configure_logging(level: str = "INFO", fmt: str = "json") -> None:
    """Send every log record, ours and the libraries', to stderr as JSON (or console) lines.

    structlog hands its events to the standard library, so a handler on the root logger
    (a test's, Sentry's) still sees every line. Calling this again replaces our handler.
    """
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_SHARED_PROCESSORS,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "automotive_chat", False):
            root.removeHandler(handler)
    handler = _StderrHandler()
    handler.automotive_chat = True  # type: ignore[attr-defined]
    handler.setFormatter(_formatter(fmt))
    handler.setLevel(level)
    root.addHandler(handler)
    numeric = logging.getLevelName(level)
    if root.level == logging.NOTSET or root.level > numeric:
        # Never quieter than someone made it (a test run watches debug lines).
        root.setLevel(numeric)


def log_chat_received(message_length: int, model: str) -> None:
    """Log a chat message's arrival: its length and model, never its text."""
    log.info("Chat request received", message_length=message_length, model=str(model)[:200])


# ---------------------------------------------------------------- request hooks


def _start() -> None:
    g.request_started = time.perf_counter()
    request_id()
    if request.endpoint != "metrics":  # a scrape does not count itself
        HTTP_IN_PROGRESS.inc()
        g.in_progress = True


def _finish(_exc: BaseException | None = None) -> None:
    if g.pop("in_progress", False):
        HTTP_IN_PROGRESS.dec()


def _record(response: Response) -> Response:
    response.headers[REQUEST_ID_HEADER] = request_id()
    started = g.get("request_started")
    if started is None:
        return response
    elapsed = time.perf_counter() - started
    endpoint = _endpoint()
    if request.endpoint != "metrics":
        method = request.method if request.method in KNOWN_METHODS else "OTHER"
        HTTP_REQUESTS.labels(method, endpoint, str(response.status_code)).inc()
        HTTP_DURATION.labels(method, endpoint).observe(elapsed)
    level = logging.DEBUG if request.endpoint in _QUIET_ENDPOINTS else logging.INFO
    log.log(
        level,
        "Request handled",
        route=endpoint,
        method=request.method,
        status=response.status_code,
        duration_ms=round(elapsed * 1000, 1),
    )
    _finish()
    return response


# ---------------------------------------------------------------- Sentry

_SECRET_HEADERS = frozenset(
    {"cookie", "set-cookie", "authorization", "proxy-authorization", "x-csrftoken", "x-csrf-token"}
)
# OpenRouter keys (sk-or-v1-…) and other sk-… keys, wherever they appear in an event.
_API_KEY = re.compile(r"sk-[A-Za-z0-9][A-Za-z0-9_-]{7,}")
FILTERED = "[Filtered]"


def _scrub(value: Any, secrets: tuple[str, ...]) -> Any:
    if isinstance(value, str):
        value = _API_KEY.sub(FILTERED, value)
        for secret in secrets:
            value = value.replace(secret, FILTERED)
        return value
    if isinstance(value, Mapping):
        return {key: _scrub(item, secrets) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(item, secrets) for item in value]
    return value


def scrub_event(
    event: dict[str, Any], secrets: tuple[str, ...] = (), session_prefix: str | None = None
) -> dict[str, Any]:
    """Remove cookies, bodies, credentials, API keys and session ids from a Sentry event."""
    req = event.get("request")
    if isinstance(req, dict):
        req.pop("cookies", None)
        req.pop("data", None)
        headers = req.get("headers")
        if isinstance(headers, dict):
            req["headers"] = {
                name: item for name, item in headers.items() if name.lower() not in _SECRET_HEADERS
            }
    scrubbed = _scrub(event, secrets)
    if session_prefix:
        # Session ids appear in store keys (prefix + id, or prefix + "history:" + id).
        session_key = re.compile(re.escape(session_prefix) + r"(history:)?[A-Za-z0-9_-]+")
        scrubbed = _scrub_pattern(
            scrubbed, session_key, lambda m: session_prefix + (m.group(1) or "") + FILTERED
        )
    return scrubbed


def _scrub_pattern(value: Any, pattern: re.Pattern, replacement: Any) -> Any:
    if isinstance(value, str):
        return pattern.sub(replacement, value)
    if isinstance(value, Mapping):
        return {key: _scrub_pattern(item, pattern, replacement) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub_pattern(item, pattern, replacement) for item in value]
    return value


def init_sentry(config: Mapping[str, Any]) -> None:
    """Report errors to Sentry when SENTRY_DSN is set; never send bodies, cookies or keys."""
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration
    from sentry_sdk.integrations.redis import RedisIntegration
    from sentry_sdk.integrations.sqlalchemy import SqlalchemyIntegration

    secrets = tuple(
        value
        for value in (config.get("OPENROUTER_API_KEY"), config.get("SECRET_KEY"))
        if isinstance(value, str) and len(value) >= 8
    )

    session_prefix = config.get("SESSION_KEY_PREFIX")

    def before_send(event: dict[str, Any], _hint: dict[str, Any]) -> dict[str, Any]:
        return scrub_event(event, secrets, session_prefix)

    sentry_sdk.init(
        dsn=config["SENTRY_DSN"],
        integrations=[FlaskIntegration(), SqlalchemyIntegration()],
        # Its breadcrumbs name the keys read, and session keys hold the session id.
        disabled_integrations=[RedisIntegration()],
        environment=config["ENV_NAME"],
        release=config["VERSION"],
        # What send_default_pii=False means, spelled out with data_collection, which
        # replaces it in this SDK (send_default_pii is deprecated and left unset:
        # unset, it is False).
        data_collection={
            "user_info": False,
            "cookies": {"mode": "off"},
            "http_headers": {
                "request": {"mode": "denylist", "terms": ["cookie", "authorization", "csrf"]}
            },
            "http_bodies": [],
            "url_query_params": {"mode": "denylist"},
            "graphql": {"document": False, "variables": False},
            "gen_ai": {"inputs": False, "outputs": False},
            "database_query_data": False,
            "queues": False,
            # Frame locals would carry the key (a turn holds it in plain text to send it).
            "stack_frame_variables": False,
        },
        max_request_body_size="never",
        include_local_variables=False,
        traces_sample_rate=config.get("SENTRY_TRACES_SAMPLE_RATE") or None,
        before_send=before_send,
        before_send_transaction=before_send,
    )


# ---------------------------------------------------------------- wiring


def init_app(app: Flask) -> None:
    """Log and time every request, serve /metrics, report errors to Sentry if configured."""
    # Our JSON handler on the root logger replaces Flask's plain one.
    app.logger.removeHandler(default_handler)
    # First of all before-request hooks, so requests refused by CSRF or a rate limit
    # are timed, counted and logged with their id too.
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_record)
    app.teardown_request(_finish)
    app.add_url_rule("/metrics", "metrics", metrics)
    if app.config.get("SENTRY_DSN"):
        init_sentry(app.config)
