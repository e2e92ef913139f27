"""The model catalog: fetched from ``GET /models``, cached, served stale when a refresh fails."""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import redis
from flask import current_app

from openrouter import ModelInfo, OpenRouterError

log = logging.getLogger(__name__)

REDIS_KEY = "catalog:models"
RETRY_AFTER_FAILURE = 60.0  # seconds before a failed refresh is tried again
_lock = threading.Lock()


@dataclass
class Catalog:
    models: list[ModelInfo] = field(default_factory=list)
    fetched_at: float | None = None
    stale: bool = False
    error: str | None = None

    def __post_init__(self) -> None:
        self._by_id = {model.id: model for model in self.models}

    def get(self, model_id: str) -> ModelInfo | None:
        """Return the entry for a model id, if the catalog lists it."""
        return self._by_id.get(model_id)

    def __contains__(self, model_id: object) -> bool:
        return model_id in self._by_id

    def __bool__(self) -> bool:
        return bool(self.models)


@dataclass
class _Memory:
    catalog: Catalog | None = None
    retry_at: float = 0.0
    error: str | None = None


def _memory() -> _Memory:
    return current_app.extensions.setdefault("catalog_memory", _Memory())


def _redis_key() -> str:
    return current_app.config["CATALOG_CACHE_PREFIX"] + REDIS_KEY


def _read_shared() -> Catalog | None:
    client = current_app.extensions.get("redis")
    if client is None:
        return None
    try:
        raw = client.get(_redis_key())
    except redis.RedisError:
        return None
    if not raw:
        return None
    try:
        data = json.loads(raw)
        models = [_model_from_shared(m) for m in data["models"]]
        return Catalog(models, fetched_at=float(data["fetched_at"]))
    except (ValueError, KeyError, TypeError):
        return None


def _model_from_shared(entry: dict[str, Any]) -> ModelInfo:
    # Lists come back from JSON as lists; a copy written before a field existed lacks it.
    modalities = entry.get("input_modalities")
    return ModelInfo(
        **{
            **entry,
            "supported_parameters": tuple(entry["supported_parameters"]),
            "input_modalities": tuple(modalities) if isinstance(modalities, list) else None,
        }
    )


def _write_shared(catalog: Catalog) -> None:
    client = current_app.extensions.get("redis")
    if client is None:
        return
    payload = json.dumps(
        {"fetched_at": catalog.fetched_at, "models": [asdict(m) for m in catalog.models]}
    )
    try:
        # Kept well past its freshness so a stale copy can be served during an outage.
        client.set(_redis_key(), payload, ex=30 * 24 * 3600)
    except redis.RedisError as exc:
        log.warning("catalog: could not write the shared cache: %s", type(exc).__name__)


def _fresh(catalog: Catalog | None, now: float) -> bool:
    ttl = current_app.config["CATALOG_TTL"]
    return bool(catalog and catalog.fetched_at and now - catalog.fetched_at < ttl)


def get_catalog() -> Catalog:
    """Return the model catalog: fresh from cache, refreshed, or stale after a failure.

    Only one request per process refreshes at a time; while it does, everyone else
    is served the copy already known at once instead of queueing behind it.
    """
    memory = _memory()
    now = time.time()
    if _fresh(memory.catalog, now):
        return memory.catalog
    if now < memory.retry_at:
        return _stale(memory.catalog, memory.error)
    if not _lock.acquire(blocking=memory.catalog is None):
        return _stale(memory.catalog, memory.error)  # someone else is refreshing
    try:
        now = time.time()
        if _fresh(memory.catalog, now):
            return memory.catalog
        shared = _read_shared()
        if _fresh(shared, now):
            memory.catalog = shared
            return shared
        known = shared or memory.catalog
        try:
            models = current_app.extensions["openrouter"].models(
                timeout=current_app.config["CATALOG_TIMEOUT"]
            )
        except OpenRouterError as exc:
            memory.retry_at = now + RETRY_AFTER_FAILURE
            memory.error = f"{exc.kind}: {exc.reason}" if exc.reason else exc.kind
            log.warning("catalog: refresh failed (%s)", exc.kind)
            if known is not None:
                memory.catalog = known
            return _stale(known, memory.error)
        catalog = Catalog(models, fetched_at=now)
        memory.catalog = catalog
        memory.retry_at = 0.0
        _write_shared(catalog)
        return catalog
    finally:
        _lock.release()


def _stale(known: Catalog | None, error: str | None) -> Catalog:
    if known is None:
        return Catalog([], None, stale=True, error=error)
    return Catalog(known.models, known.fetched_at, stale=True, error=error)


def resolve_model(wanted: str | None, catalog: Catalog) -> tuple[str, str | None]:
    """Return (model to use, why it differs from what was wanted, or None)."""
    config = current_app.config
    model = wanted or config["DEFAULT_MODEL"]
    if not catalog or model in catalog:
        return model, None
    for candidate in (config["DEFAULT_MODEL"], config["FALLBACK_MODEL"]):
        if candidate in catalog:
            return candidate, f"{model} is not in the model catalog; using {candidate} instead."
    free = next((m.id for m in catalog.models if m.is_free), catalog.models[0].id)
    return free, f"{model} is not in the model catalog; using {free} instead."


def cost_of(
    model: ModelInfo | None, prompt_tokens: int | None, completion: int | None
) -> float | None:
    """Compute a reply's cost from catalog prices when the upstream did not report one."""
    if model is None or model.prompt_price is None or model.completion_price is None:
        return None
    if prompt_tokens is None and completion is None:
        return None
    return (prompt_tokens or 0) * model.prompt_price + (completion or 0) * model.completion_price


# ---------------------------------------------------------------- learned from refusals

LEARNED_TTL = 7 * 24 * 3600  # seconds; a server's window or a model's routing may change


def _learned_key(model_id: str) -> str:
    return f"{current_app.config['CATALOG_CACHE_PREFIX']}catalog:learned:{model_id}"


def learned(model_id: str) -> dict[str, Any]:
    """What upstream refusals taught about a model: ``context_length``, ``no_tools``.

    Shared through Redis, so every worker stops repeating a request the upstream already
    refused. With Redis, it is read on every turn (one GET): a copy a worker kept from
    before another worker learned would hide the lesson, and that worker would send the
    refused request again (reproduced under Gunicorn with 2 workers). The process's own
    copy serves without Redis, or while it does not answer.
    """
    memory = current_app.extensions.setdefault("catalog_learned", {})
    client = current_app.extensions.get("redis")
    if client is None:
        return memory.setdefault(model_id, {})
    try:
        raw = client.get(_learned_key(model_id))
    except redis.RedisError:
        return memory.setdefault(model_id, {})
    try:
        facts = json.loads(raw) if raw else {}
    except ValueError:
        facts = {}
    if not isinstance(facts, dict):
        facts = {}
    memory[model_id] = facts
    return facts


def learn(model_id: str, facts: dict[str, Any]) -> None:
    """Remember what a refusal taught (merged with what was known)."""
    if not facts:
        return
    merged = {**learned(model_id), **facts}
    current_app.extensions["catalog_learned"][model_id] = merged
    log.info("catalog: learned about %s: %s", model_id, sorted(facts))
    client = current_app.extensions.get("redis")
    if client is None:
        return
    try:
        client.set(_learned_key(model_id), json.dumps(merged), ex=LEARNED_TTL)
    except redis.RedisError as exc:
        log.warning("catalog: could not share what was learned: %s", type(exc).__name__)


def context_length_for(model: ModelInfo | None, model_id: str, default: int) -> int:
    """The window to fit a turn into: the catalog's, else the default, lowered by refusals."""
    window = (model.context_length if model else None) or default
    told = learned(model_id).get("context_length")
    return min(window, told) if isinstance(told, int) and told > 0 else window


def vision_models(catalog: Catalog, limit: int = 3) -> list[ModelInfo]:
    """Models of the catalog that take pictures, free ones first, at most ``limit``."""
    seeing = [m for m in catalog.models if m.sees_images]
    seeing.sort(key=lambda m: (not m.is_free, m.name.lower()))
    return seeing[:limit]


def takes_tools(model: ModelInfo | None, model_id: str) -> bool:
    """Tell whether to offer tools: the catalog lists them and no upstream refused them."""
    listed = bool(model and "tools" in model.supported_parameters)
    return listed and not learned(model_id).get("no_tools")
