"""Settings from the environment, with embedded defaults and fail-fast checks.

Every setting a user may need is named here, in README.md and in .env.example.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

DEFAULT_MODEL = "deepseek/deepseek-chat-v3-0324:free"
FALLBACK_MODEL = "meta-llama/llama-3.3-70b-instruct:free"

# The fallback for the live model catalog (catalog.py): when no copy of it can be
# fetched (none cached, the refresh failed), Settings offers these models instead, and
# only these (plus DEFAULT_MODEL) may be chosen. See views/settings.py.
CURATED_MODELS: tuple[tuple[str, str], ...] = (
    ("deepseek/deepseek-chat-v3-0324:free", "DeepSeek V3 (free)"),
    ("meta-llama/llama-3.3-70b-instruct:free", "Llama 3.3 70B Instruct (free)"),
    ("google/gemini-2.0-flash-exp:free", "Gemini 2.0 Flash (free)"),
    ("mistralai/mistral-small-3.1-24b-instruct:free", "Mistral Small 3.1 (free)"),
    ("openai/gpt-4o-mini", "GPT-4o mini"),
    ("anthropic/claude-3.5-haiku", "Claude 3.5 Haiku"),
    ("google/gemini-2.5-flash", "Gemini 2.5 Flash"),
)

MIN_SECRET_LENGTH = 32
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("json", "console")
GUNICORN_TIMEOUT = 120  # seconds; gunicorn.conf.py reads the same default


class ConfigError(RuntimeError):
    """A setting is missing or unusable; the message names the variable."""


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be above 0, got {raw}")
    return value


def _choice(name: str, raw: str, default: str, choices: tuple[str, ...]) -> str:
    value = raw.strip() or default
    if value.lower() not in (choice.lower() for choice in choices):
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return next(choice for choice in choices if choice.lower() == value.lower())


def _fraction(name: str, raw: str, default: float) -> float:
    raw = raw.strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number from 0 to 1, got {raw!r}") from None
    if not 0 <= value <= 1:
        raise ConfigError(f"{name} must be from 0 to 1, got {raw}")
    return value


def normalize_database_url(url: str) -> str:
    """Use the psycopg2 driver for plain PostgreSQL URLs, including `postgres://`."""
    for scheme in ("postgres://", "postgresql://"):
        if url.startswith(scheme):
            return "postgresql+psycopg2://" + url[len(scheme) :]
    return url


def _instance_secret(instance_path: str) -> str:
    """Return a random secret kept under instance/ so a laptop restart keeps sessions."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secret)
    return secret


def from_env(env: Mapping[str, str], instance_path: str) -> dict[str, Any]:
    """Build the Flask config mapping from environment variables.

    Each helper below reads one concern and raises ConfigError naming the variable at
    fault; the checks run in this order, so the first problem found is the one reported.
    """
    flask_env = (env.get("FLASK_ENV", "development").strip() or "development").lower()
    production = flask_env == "production"
    secrets_and_database = _secrets_and_database(env, instance_path, production)
    if flask_env not in ("development", "production"):
        raise ConfigError(f"FLASK_ENV must be development or production, got {flask_env!r}")
    return {
        "ENV_NAME": flask_env,
        "PRODUCTION": production,
        "VERSION": env.get("VERSION", "dev").strip() or "dev",
        **secrets_and_database,
        **_timeouts(env),
        **_session_settings(env, instance_path, production),
        **_rate_limits(env),
        **_proxy_and_metrics(env, production),
        **_upstream_settings(env),
        **_recalls_settings(env),
        **_message_limits(env),
        **_logging_settings(env, production),
    }


def _secrets_and_database(
    env: Mapping[str, str], instance_path: str, production: bool
) -> dict[str, Any]:
    """The signing secret and where data lives; both required in production."""
    secret = env.get("SESSION_SECRET", "").strip()
    database_url = env.get("DATABASE_URL", "").strip()
    if production:
        if not secret:
            raise ConfigError("SESSION_SECRET is required when FLASK_ENV=production")
        if len(secret) < MIN_SECRET_LENGTH:
            raise ConfigError(f"SESSION_SECRET must be at least {MIN_SECRET_LENGTH} characters")
        if not database_url:
            raise ConfigError("DATABASE_URL is required when FLASK_ENV=production")
    if not secret:
        secret = _instance_secret(instance_path)
    if not database_url:
        database_url = f"sqlite:///{Path(instance_path) / 'automotive_chat.db'}"
    return {
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": normalize_database_url(database_url),
        "REDIS_URL": env.get("REDIS_URL", "").strip() or None,
        "DB_POOL_SIZE": _int(env, "DB_POOL_SIZE", 20),
        "DB_MAX_OVERFLOW": _int(env, "DB_MAX_OVERFLOW", 10, minimum=0),
    }


def _timeouts(env: Mapping[str, str]) -> dict[str, Any]:
    """How long the upstream, streams and health checks may take."""
    connect_timeout = _float(env, "OPENROUTER_CONNECT_TIMEOUT", 10.0)
    read_timeout = _float(env, "OPENROUTER_READ_TIMEOUT", 90.0)
    gunicorn_timeout = _int(env, "GUNICORN_TIMEOUT", GUNICORN_TIMEOUT)
    if read_timeout <= connect_timeout:
        # Every retry must leave the next attempt a whole connect timeout inside the read
        # timeout (provider.retry): with no room left, retries would silently never happen.
        raise ConfigError(
            f"OPENROUTER_READ_TIMEOUT ({read_timeout:g}) must be above "
            f"OPENROUTER_CONNECT_TIMEOUT ({connect_timeout:g})"
        )
    if read_timeout >= gunicorn_timeout:
        # Gunicorn would kill the worker before the upstream call gives up.
        raise ConfigError(
            f"OPENROUTER_READ_TIMEOUT ({read_timeout:g}) must be below GUNICORN_TIMEOUT "
            f"({gunicorn_timeout})"
        )
    return {
        "OPENROUTER_CONNECT_TIMEOUT": connect_timeout,
        "OPENROUTER_READ_TIMEOUT": read_timeout,
        "STREAM_KEEPALIVE": _float(env, "STREAM_KEEPALIVE", 10.0),
        "HEALTH_TIMEOUT": _float(env, "HEALTH_TIMEOUT", 3.0),
    }


def _session_settings(
    env: Mapping[str, str], instance_path: str, production: bool
) -> dict[str, Any]:
    """The server-side session, its cookies, the owner cookie and the CSRF token's life."""
    session_lifetime = _int(env, "SESSION_LIFETIME", 3600, minimum=60)
    return {
        "SESSION_FILE_DIR": str(Path(instance_path) / "sessions"),
        "SESSION_KEY_PREFIX": env.get("SESSION_KEY_PREFIX", "autochat:session:"),
        "PERMANENT_SESSION_LIFETIME": timedelta(seconds=session_lifetime),
        "SESSION_COOKIE_SECURE": production,
        # __Host- cookies are only accepted over HTTPS, for this host and path "/".
        "SESSION_COOKIE_NAME": "__Host-session" if production else "session",
        "OWNER_COOKIE_NAME": "__Host-owner" if production else "owner",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "OWNER_COOKIE_DAYS": _int(env, "OWNER_COOKIE_DAYS", 365),
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
    }


def _rate_limits(env: Mapping[str, str]) -> dict[str, Any]:
    """Flask-Limiter's storage (shared through Redis when there is one) and the limits."""
    return {
        "RATELIMIT_STORAGE_URI": env.get("REDIS_URL", "").strip() or "memory://",
        "RATELIMIT_KEY_PREFIX": env.get("RATELIMIT_KEY_PREFIX", "autochat-limits"),
        # While Redis is down, each process counts in memory instead of refusing every
        # request (the limits then hold per process until Redis is back).
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATE_LIMIT_CHAT": env.get("RATE_LIMIT_CHAT", "").strip() or "20 per minute",
        "RATE_LIMIT_CHAT_IP": env.get("RATE_LIMIT_CHAT_IP", "").strip() or "60 per minute",
        "RATE_LIMIT_KEY_TEST": env.get("RATE_LIMIT_KEY_TEST", "").strip() or "5 per minute",
        "RATE_LIMIT_KEY_TEST_IP": env.get("RATE_LIMIT_KEY_TEST_IP", "").strip() or "20 per minute",
        # Conversation imports per client IP: each may parse up to MAX_IMPORT_BYTES.
        "RATE_LIMIT_IMPORT": env.get("RATE_LIMIT_IMPORT", "").strip() or "5 per minute",
        "RATE_LIMIT_SEARCH": env.get("RATE_LIMIT_SEARCH", "").strip() or "30 per minute",
        "RATE_LIMIT_SEARCH_IP": env.get("RATE_LIMIT_SEARCH_IP", "").strip() or "120 per minute",
        # Pairing links made and opened, per client IP (a code is unguessable; this is the fence).
        "RATE_LIMIT_PAIR": env.get("RATE_LIMIT_PAIR", "").strip() or "10 per minute",
    }


def _proxy_and_metrics(env: Mapping[str, str], production: bool) -> dict[str, Any]:
    """Which client addresses are trusted: proxy hops, and who may read /metrics."""
    return {
        "PROXY_COUNT": _int(env, "PROXY_COUNT", 0, minimum=0),
        "METRICS_TOKEN": env.get("METRICS_TOKEN", "").strip() or None,
        # In production nobody reads /metrics without the token unless allowed by name:
        # behind a local proxy every visitor would otherwise look like 127.0.0.1.
        "METRICS_ALLOW": [
            part.strip()
            for part in env.get("METRICS_ALLOW", "" if production else "127.0.0.1,::1").split(",")
            if part.strip()
        ],
    }


def _upstream_settings(env: Mapping[str, str]) -> dict[str, Any]:
    """The model provider: address, key, connection pool, retries, models and catalog."""
    return {
        "OPENROUTER_API_KEY": env.get("OPENROUTER_API_KEY", "").strip() or None,
        "OPENROUTER_BASE_URL": (
            env.get("OPENROUTER_BASE_URL", "").strip() or "https://openrouter.ai/api/v1"
        ).rstrip("/"),
        # How sentences name the upstream; by default "OpenRouter" for openrouter.ai,
        # else the base URL's host (a local model server is not called OpenRouter).
        "UPSTREAM_NAME": env.get("UPSTREAM_NAME", "").strip()[:60] or None,
        "OPENROUTER_POOL_SIZE": _int(env, "OPENROUTER_POOL_SIZE", 200),
        "OPENROUTER_MAX_RETRIES": _int(env, "OPENROUTER_MAX_RETRIES", 2, minimum=0),
        "OPENROUTER_RETRY_BASE_DELAY": _float(env, "OPENROUTER_RETRY_BASE_DELAY", 0.5),
        "OPENROUTER_RETRY_AFTER_CAP": _float(env, "OPENROUTER_RETRY_AFTER_CAP", 10.0),
        "APP_URL": env.get("APP_URL", "").strip() or "http://localhost:8000",
        "APP_TITLE": env.get("APP_TITLE", "").strip() or "Automotive Chat Assistant",
        "DEFAULT_MODEL": env.get("DEFAULT_MODEL", "").strip() or DEFAULT_MODEL,
        "FALLBACK_MODEL": env.get("FALLBACK_MODEL", "").strip() or FALLBACK_MODEL,
        "CATALOG_TTL": _int(env, "CATALOG_TTL", 3600),
        "CATALOG_TIMEOUT": _float(env, "CATALOG_TIMEOUT", 10.0),
        "CATALOG_CACHE_PREFIX": env.get("CATALOG_CACHE_PREFIX", "autochat:"),
        "DEFAULT_CONTEXT_LENGTH": _int(env, "DEFAULT_CONTEXT_LENGTH", 8192, minimum=512),
    }


def _recalls_settings(env: Mapping[str, str]) -> dict[str, Any]:
    """NHTSA's public recalls API (no key): address, how long answers are kept, time allowed."""
    return {
        "NHTSA_RECALLS_URL": (
            env.get("NHTSA_RECALLS_URL", "").strip() or "https://api.nhtsa.gov"
        ).rstrip("/"),
        "RECALLS_CACHE_SECONDS": _int(env, "RECALLS_CACHE_SECONDS", 86400, minimum=60),
        # Seconds to wait for an answer (connecting may take up to 3 of them); the My
        # vehicle page waits this long at most once a minute while NHTSA is down.
        "RECALLS_TIMEOUT": _float(env, "RECALLS_TIMEOUT", 5.0),
    }


def _message_limits(env: Mapping[str, str]) -> dict[str, Any]:
    """How long a message, a request body, a reply and the kept history may be."""
    return {
        "MAX_MESSAGE_LENGTH": _int(env, "MAX_MESSAGE_LENGTH", 8000),
        "MAX_CONTENT_LENGTH": _int(env, "MAX_CONTENT_LENGTH", 256 * 1024),
        # An imported file (and an archive's content once uncompressed); only
        # POST /conversations/import takes bodies above MAX_CONTENT_LENGTH.
        "MAX_IMPORT_BYTES": _int(env, "MAX_IMPORT_BYTES", 20 * 1024 * 1024),
        "MAX_REPLY_TOKENS": _int(env, "MAX_REPLY_TOKENS", 2048),
        "HISTORY_WINDOW": _int(env, "HISTORY_WINDOW", 50, minimum=2),
        # Seconds a deleted conversation can be brought back by Undo before it is purged;
        # each process purges at most once per DELETE_PURGE_INTERVAL seconds.
        # Pictures sent with a message: how many, how big, and how they are scaled.
        "MAX_IMAGES": _int(env, "MAX_IMAGES", 4),
        "MAX_IMAGE_BYTES": _int(env, "MAX_IMAGE_BYTES", 10 * 1024 * 1024),
        "IMAGE_MAX_EDGE": _int(env, "IMAGE_MAX_EDGE", 1568, minimum=64),
        "IMAGE_MAX_PIXELS": _int(env, "IMAGE_MAX_PIXELS", 25_000_000),
        "DELETE_UNDO_SECONDS": _int(env, "DELETE_UNDO_SECONDS", 10),
        "DELETE_PURGE_INTERVAL": _int(env, "DELETE_PURGE_INTERVAL", 5),
        # Each worker keeps the HTML of messages it has shown (views/fragments.py); 0: none.
        "PAGE_CACHE_MB": _int(env, "PAGE_CACHE_MB", 16, minimum=0),
    }


def _logging_settings(env: Mapping[str, str], production: bool) -> dict[str, Any]:
    """Log level and format, and error reporting to Sentry."""
    return {
        "LOG_LEVEL": _choice("LOG_LEVEL", env.get("LOG_LEVEL", ""), "INFO", LOG_LEVELS),
        # JSON lines for log shippers in production; readable lines on a laptop.
        "LOG_FORMAT": _choice(
            "LOG_FORMAT",
            env.get("LOG_FORMAT", ""),
            "json" if production else "console",
            LOG_FORMATS,
        ),
        "SENTRY_DSN": env.get("SENTRY_DSN", "").strip() or None,
        "SENTRY_TRACES_SAMPLE_RATE": _fraction(
            "SENTRY_TRACES_SAMPLE_RATE", env.get("SENTRY_TRACES_SAMPLE_RATE", ""), 0.0
        ),
    }
