"""NHTSA's public recalls API: the client (``NhtsaClient``) and its cache (``RecallsService``).

``GET {NHTSA_RECALLS_URL}/recalls/recallsByVehicle?make=honda&model=accord&modelYear=2003``
answers ``{"Count": n, "Message": "Results returned successfully", "results": [...]}``, one
entry per campaign (NHTSACampaignNumber, Component, Summary, Consequence, Remedy,
ReportReceivedDate as dd/mm/yyyy, parkIt, parkOutSide...). No key is needed. An unknown
vehicle is ``Count`` 0 with no results; parameters it refuses get an HTTP 400.

Answers are cached per vehicle for ``RECALLS_CACHE_SECONDS`` (a day), in Redis when the app
has one (every worker shares them) or in this process's memory. A failure is remembered
for a minute only, so a down service is not asked on every page view, and the last answer
is shown meanwhile. This module knows nothing of Flask.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import date, datetime
from http.cookiejar import DefaultCookiePolicy
from typing import Any

import redis
import requests
from requests.adapters import HTTPAdapter

from automotive.recalls import Recall, RecallsReport, VehicleQuery

log = logging.getLogger(__name__)

RECALLS_PATH = "recalls/recallsByVehicle"
FAILURE_SECONDS = 60  # a failed lookup is not tried again for this long
KEEP_SECONDS = 30 * 24 * 3600  # an answer is kept this long past its day, to show during outages
MEMORY_ENTRIES = 2000  # vehicles the in-memory cache holds (without Redis)
RETRY_JITTER = (0.1, 0.5)  # seconds before the one retry of a fast failure


# ---------------------------------------------------------------- errors


class NhtsaError(Exception):
    """NHTSA could not be asked. ``sentence`` is what a visitor reads; str() is for logs."""

    sentence = "NHTSA's recall service could not be reached; try again later."


class NhtsaUnreachable(NhtsaError):
    """No connection, or the service answered 5xx: it is down or in maintenance."""


class NhtsaTimeout(NhtsaError):
    """No connection, or no answer, within the configured seconds."""

    sentence = "NHTSA's recall service did not answer in time; try again later."


class NhtsaBadAnswer(NhtsaError):
    """It answered, but not with the recalls JSON (a 4xx, an HTML page, another shape)."""

    sentence = "NHTSA's recall service gave an answer that could not be read; try again later."


# ---------------------------------------------------------------- parsing


def _text(entry: dict[str, Any], name: str) -> str:
    value = entry.get(name)
    return " ".join(value.split()) if isinstance(value, str) else ""


def _flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "yes", "y", "1")


def _report_date(value: object) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value.strip(), "%d/%m/%Y").date()
    except ValueError:
        return None


def parse_recalls(body: object) -> list[Recall]:
    """Read recallsByVehicle's JSON into recalls; raise NhtsaBadAnswer if it is another shape.

    Entries without a campaign number are skipped (nothing to act on); a missing or odd
    field elsewhere is left empty rather than failing the whole answer.
    """
    if not isinstance(body, dict):
        raise NhtsaBadAnswer("the answer was not a JSON object")
    results = body.get("results", body.get("Results"))
    if results is None and body.get("Count") == 0:
        return []
    if not isinstance(results, list):
        raise NhtsaBadAnswer("the answer had no results list")
    recalls = []
    for entry in results:
        if not isinstance(entry, dict):
            raise NhtsaBadAnswer("a result was not a JSON object")
        campaign = _text(entry, "NHTSACampaignNumber")
        if not campaign:
            continue
        recalls.append(
            Recall(
                campaign=campaign,
                component=_text(entry, "Component"),
                summary=_text(entry, "Summary"),
                consequence=_text(entry, "Consequence"),
                remedy=_text(entry, "Remedy"),
                report_date=_report_date(entry.get("ReportReceivedDate")),
                park_it=_flag(entry.get("parkIt")),
                park_outside=_flag(entry.get("parkOutSide")),
                manufacturer=_text(entry, "Manufacturer"),
                notes=_text(entry, "Notes"),
                over_the_air=_flag(entry.get("overTheAirUpdate")),
            )
        )
    return recalls


# ---------------------------------------------------------------- the client


class NhtsaClient:
    """Ask NHTSA's recalls API over one pooled HTTP session; safe to share between threads.

    ``connect_timeout`` and ``read_timeout`` are seconds. A fast failure (connection refused
    or reset, a 5xx answer) is tried once more after a short random pause; a timeout is not,
    since it has already cost its seconds.
    """

    def __init__(
        self,
        base_url: str,
        *,
        connect_timeout: float = 3.0,
        read_timeout: float = 5.0,
        pool_size: int = 10,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self._sleep = sleep
        self.http = requests.Session()
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool_size, max_retries=0)
        self.http.mount("https://", adapter)
        self.http.mount("http://", adapter)
        self.http.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        self.http.headers.update({"Accept": "application/json", "User-Agent": "automotive-chat/1"})

    @property
    def longest_call(self) -> float:
        """The most seconds one lookup may take, its retry included."""
        return 2 * (self.connect_timeout + self.read_timeout) + RETRY_JITTER[1]

    def close(self) -> None:
        """Release pooled connections."""
        self.http.close()

    def recalls_by_vehicle(self, query: VehicleQuery) -> list[Recall]:
        """Return NHTSA's recalls for a model year, make and model ([] when it lists none).

        Raises NhtsaUnreachable, NhtsaTimeout or NhtsaBadAnswer (all NhtsaError).
        """
        try:
            return self._ask(query)
        except NhtsaUnreachable as first:
            pause = random.uniform(*RETRY_JITTER)  # noqa: S311  # nosec B311 (spreads retries, not a secret)
            log.info("nhtsa: %s; one retry in %.2f s", first, pause)
            self._sleep(pause)
            return self._ask(query)

    def _ask(self, query: VehicleQuery) -> list[Recall]:
        url = f"{self.base_url}/{RECALLS_PATH}"
        try:
            response = self.http.get(
                url, params=query.params, timeout=(self.connect_timeout, self.read_timeout)
            )
        except requests.ConnectTimeout:
            raise NhtsaTimeout(f"no connection within {self.connect_timeout:g} s") from None
        except requests.Timeout:
            raise NhtsaTimeout(f"no answer within {self.read_timeout:g} s") from None
        except requests.RequestException as exc:
            raise NhtsaUnreachable(type(exc).__name__) from None
        with response:
            if response.status_code >= 500:
                raise NhtsaUnreachable(f"HTTP {response.status_code}")
            try:
                body = response.json()
            except ValueError:
                raise NhtsaBadAnswer(f"HTTP {response.status_code}, not JSON") from None
            if response.status_code != 200:
                said = body if isinstance(body, dict) else {}
                message = said.get("message") or said.get("Message") or ""
                raise NhtsaBadAnswer(f"HTTP {response.status_code}: {str(message)[:200]}")
            return parse_recalls(body)


# ---------------------------------------------------------------- the cache


class _Memory:
    """A bounded in-process store of (value, expires at), for apps without Redis."""

    def __init__(self, size: int = MEMORY_ENTRIES) -> None:
        self.size = size
        self.items: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str, now: float) -> str | None:
        with self.lock:
            item = self.items.get(key)
            if item is None or item[1] <= now:
                self.items.pop(key, None)
                return None
            self.items.move_to_end(key)
            return item[0]

    def set(self, key: str, value: str, seconds: float, now: float) -> None:
        with self.lock:
            self.items[key] = (value, now + seconds)
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)


class RecallsService:
    """Recalls per vehicle, cached: an answer is fresh for ``fresh_seconds`` (and kept 30 days
    more, to show while NHTSA is down); a failure is remembered for ``failure_seconds``.

    ``redis_client``: the app's, shared by every worker; None (or Redis failing) uses this
    process's memory. Keys are ``{prefix}recalls:{year}:{make}:{model}`` (make and model
    lower-cased, URL-quoted), and ``{prefix}recalls-failed:...`` for a recent failure.
    ``clock`` gives Unix seconds (tests move it).
    """

    def __init__(
        self,
        client: NhtsaClient,
        *,
        redis_client: redis.Redis | None = None,
        prefix: str = "autochat:",
        fresh_seconds: float = 86400,
        failure_seconds: float = FAILURE_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.redis = redis_client
        self.prefix = prefix
        self.fresh_seconds = fresh_seconds
        self.failure_seconds = failure_seconds
        self.clock = clock
        self.memory = _Memory()
        # One lookup per vehicle at a time in this process; striped, so the locks stay few.
        self._locks = [threading.Lock() for _ in range(32)]

    def close(self) -> None:
        """Release the client's pooled connections."""
        self.client.close()

    def lookup(self, query: VehicleQuery) -> RecallsReport:
        """Return what is known of a vehicle's recalls, asking NHTSA when the cache has no
        fresh answer. Never raises for NHTSA's faults: the report says what went wrong.
        """
        known = self._read(query)
        if known is not None and self._fresh(known[0]):
            return self._report(query, known, cached=True)
        problem = self._get(self._failed_key(query))
        if problem is not None:
            return self._report(query, known, problem=problem, cached=True)
        lock = self._locks[hash(query.key) % len(self._locks)]
        if known is not None:
            # An answer to show: nobody waits behind another request's refresh.
            if not lock.acquire(blocking=False):
                return self._report(query, known, cached=True)
        elif not lock.acquire(timeout=self.client.longest_call):
            return self._report(query, None, problem=NhtsaTimeout.sentence)
        try:
            return self._refresh(query, known)
        finally:
            lock.release()

    def _refresh(
        self, query: VehicleQuery, known: tuple[float, list[Recall]] | None
    ) -> RecallsReport:
        # Another request may have refreshed it while this one waited for the lock.
        latest = self._read(query)
        if latest is not None and self._fresh(latest[0]):
            return self._report(query, latest, cached=True)
        known = latest or known
        try:
            recalls = self.client.recalls_by_vehicle(query)
        except NhtsaError as exc:
            log.warning("nhtsa: recalls for %s failed: %s: %s", query.key, type(exc).__name__, exc)
            self._set(self._failed_key(query), exc.sentence, self.failure_seconds)
            return self._report(query, known, problem=exc.sentence)
        now = self.clock()
        payload = json.dumps({"checked_at": now, "recalls": [r.to_dict() for r in recalls]})
        self._set(self._key(query), payload, self.fresh_seconds + KEEP_SECONDS)
        log.info("nhtsa: %d recalls for %s", len(recalls), query.key)
        return RecallsReport(query, tuple(recalls), checked_at=now)

    # -- the cache's entries

    def _key(self, query: VehicleQuery) -> str:
        return f"{self.prefix}recalls:{query.key}"

    def _failed_key(self, query: VehicleQuery) -> str:
        return f"{self.prefix}recalls-failed:{query.key}"

    def _fresh(self, checked_at: float) -> bool:
        return self.clock() - checked_at < self.fresh_seconds

    @staticmethod
    def _report(
        query: VehicleQuery,
        known: tuple[float, list[Recall]] | None,
        *,
        problem: str | None = None,
        cached: bool = False,
    ) -> RecallsReport:
        if known is None:
            return RecallsReport(query, problem=problem, cached=cached)
        checked_at, recalls = known
        return RecallsReport(query, tuple(recalls), checked_at, problem, cached)

    def _read(self, query: VehicleQuery) -> tuple[float, list[Recall]] | None:
        raw = self._get(self._key(query))
        if raw is None:
            return None
        try:
            data = json.loads(raw)
            return float(data["checked_at"]), [Recall.from_dict(r) for r in data["recalls"]]
        except (ValueError, KeyError, TypeError):
            log.warning("nhtsa: unreadable cache entry for %s; asking again", query.key)
            return None

    def _get(self, key: str) -> str | None:
        if self.redis is not None:
            try:
                raw = self.redis.get(key)
            except redis.RedisError as exc:
                log.warning("nhtsa: Redis read failed (%s); using memory", type(exc).__name__)
            else:
                return raw.decode() if isinstance(raw, bytes) else raw
        return self.memory.get(key, self.clock())

    def _set(self, key: str, value: str, seconds: float) -> None:
        if self.redis is not None:
            try:
                self.redis.set(key, value, ex=max(int(seconds), 1))
                return
            except redis.RedisError as exc:
                log.warning("nhtsa: Redis write failed (%s); using memory", type(exc).__name__)
        self.memory.set(key, value, seconds, self.clock())
