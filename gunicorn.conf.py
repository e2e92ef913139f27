"""Gunicorn settings for the Automotive Chat Assistant (`gunicorn -c gunicorn.conf.py main:app`).

Every value can be set from the environment; see README.md, "Configuration".
"""

import os

from config import GUNICORN_TIMEOUT

_production = os.environ.get("FLASK_ENV", "development") == "production"

bind = os.environ.get("BIND") or ("0.0.0.0:8000" if _production else "127.0.0.1:8000")
workers = int(os.environ.get("WORKERS", "2"))
# An evented worker: a chat turn waits seconds on the model, and a sync worker
# would be held for the whole wait. Chosen by bench/concurrency.py (README,
# "Performance"): gevent held 500 streamed chats on 2 cores where 2 x 256 threads
# fell behind. Sockets (requests, redis) are made cooperative by the worker;
# psycopg2 by psycogreen in post_fork below.
worker_class = "gevent"
worker_connections = int(os.environ.get("WORKER_CONNECTIONS", "1000"))
# Above OPENROUTER_READ_TIMEOUT (90 s by default) so a slow reply is not killed.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", GUNICORN_TIMEOUT))
# A worker recycled by max_requests (or reloaded by HUP) lets its streams finish.
graceful_timeout = timeout
keepalive = 5
backlog = 2048
max_requests = 1000
max_requests_jitter = 50
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
proc_name = "automotive_chat"
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'


def when_ready(server):
    """Print where the app can be opened."""
    host, _, port = bind.rpartition(":")
    # Only the URL printed, not a bind.
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host  # noqa: S104  # nosec B104
    server.log.info("Automotive Chat Assistant is running at http://%s:%s/", shown, port)


def post_fork(server, worker):
    """Let PostgreSQL queries yield to other chats instead of blocking the worker."""
    if "gevent" in server.cfg.worker_class_str:
        from psycogreen.gevent import patch_psycopg

        patch_psycopg()


def on_starting(server):
    """Refuse to start, in one line, when a required setting is missing."""
    import sys
    from pathlib import Path

    from config import ConfigError, from_env

    try:
        instance = os.environ.get("INSTANCE_PATH") or Path(__file__).resolve().parent / "instance"
        from_env(os.environ, str(instance))
    except ConfigError as exc:
        sys.exit(f"automotive-chat: configuration error: {exc}")
