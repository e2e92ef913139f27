"""When a failed call may be tried again, and how long to wait first.

Also reads the upstream's ``Retry-After`` hint.
"""

from __future__ import annotations

import email.utils
import math
import random
import time
from dataclasses import dataclass

from provider.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    DailyLimitError,
    OpenRouterError,
)

__all__ = [
    "MAX_RETRY_AFTER",
    "RETRYABLE_STATUS",
    "RetryPolicy",
    "is_retryable",
    "parse_retry_after",
]


RETRYABLE_STATUS = frozenset({408, 429, 502, 503, 504})

MAX_RETRY_AFTER = 24 * 3600.0


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Read a Retry-After header given in seconds or as an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        # "inf", "nan" and absurd values are treated as no usable hint.
        return min(max(0.0, seconds), MAX_RETRY_AFTER) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return min(max(0.0, when.timestamp() - (time.time() if now is None else now)), MAX_RETRY_AFTER)


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries with exponential backoff and full jitter.

    Only failures that happen before any reply text exists are retried: connection
    errors and the statuses in RETRYABLE_STATUS. A ``Retry-After`` longer than
    ``retry_after_cap`` is not waited out; the error goes to the user with its delay.
    """

    max_retries: int = 2
    base_delay: float = 0.5
    max_delay: float = 4.0
    retry_after_cap: float = 10.0

    def delay(self, attempt: int, retry_after: float | None) -> float | None:
        """Seconds to wait before retry number ``attempt`` (0-based), or None to give up."""
        if attempt >= self.max_retries:
            return None
        if retry_after is not None:
            return retry_after if retry_after <= self.retry_after_cap else None
        # Jitter, not a secret: any generator will do.
        return random.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))  # noqa: S311  # nosec B311


def is_retryable(error: OpenRouterError) -> bool:
    """Tell whether a failure before any reply text may be tried again."""
    if isinstance(error, APITimeoutError):
        return False  # a slow model is not helped by asking twice
    if isinstance(error, DailyLimitError):
        return False  # a per-day cap does not lift in seconds
    if isinstance(error, APIConnectionError):
        return True
    return isinstance(error, APIStatusError) and error.status_code in RETRYABLE_STATUS
