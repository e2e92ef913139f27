"""What a visitor is told when a turn delivers no reply: one table, kind -> status -> sentence.

Stored replies keep the failure's kind and the upstream's own detail (reason, status
code, provider, wait); the sentence is worded here when it is shown, so a page, a JSON
body, an SSE event, the key test and a replayed request all say the same thing. Links
are the page's business: an entry names its ``action`` ("settings", "retry") and the
template draws it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from models import clean_text
from openrouter import OpenRouterError
from states import FailureKind

SETTINGS = "settings"
RETRY = "retry"


@dataclass(frozen=True)
class Failure:
    """One kind of failure as a visitor meets it.

    ``sentence`` is a ``str.format`` template over the detail's fields: ``upstream``
    (who was asked: "OpenRouter" or the model server's host), ``model``, ``code`` and
    ``detail`` (the upstream's status and reason, ready to print), ``via`` (the
    provider, in brackets), ``wait`` (seconds), ``limit`` (a timeout's reason),
    ``limit_tokens`` (a stated context window), ``resets`` (when a daily cap lifts), and
    ``credits_left`` and ``add_credits`` (a 402's balance and its remedy, by upstream).
    """

    status: int  # what a JSON caller gets
    sentence: str
    action: str | None = None
    # The same failure met while testing a key in Settings, where no message was sent.
    on_key_test: str = "The key test failed{code_or_reason}."


FAILURES: dict[FailureKind, Failure] = {
    FailureKind.INVALID_KEY: Failure(
        401,
        "{upstream} rejected the API key{code_detail}. Check it or paste a new one in "
        "Settings, then retry.",
        SETTINGS,
        on_key_test="{upstream} rejected the key{code_detail}. Paste a new key and save it.",
    ),
    FailureKind.INSUFFICIENT_CREDITS: Failure(
        402,
        "The {upstream} account behind this key {credits_left}{code_detail}. {add_credits}",
        SETTINGS,
        on_key_test="The key works but the account is out of credits{code_detail}.",
    ),
    FailureKind.MODERATION: Failure(
        403,
        "The request was blocked by moderation{via}{code_detail}. Rephrase the message and "
        "send it again.",
    ),
    FailureKind.NOT_FOUND: Failure(
        404,
        "The model `{model}` is not available{code_detail}. Pick another model from the "
        "Model menu, then retry.",
        SETTINGS,
    ),
    FailureKind.RATE_LIMITED: Failure(
        429,
        "{upstream} is rate limiting requests{via}{code_detail}. {when}",
        RETRY,
        on_key_test="{upstream} is rate limiting this key{code_detail}. Try again shortly.",
    ),
    FailureKind.DAILY_LIMIT: Failure(
        429,
        "The daily free-model limit is reached{code_detail}; it resets {resets}. Add credits, "
        "or use another model (a paid one: the limit counts every free model) in Settings.",
        SETTINGS,
        on_key_test="The key works, but its daily free-model limit is reached; it resets {resets}.",
    ),
    FailureKind.CONTEXT_LENGTH: Failure(
        400,
        "The conversation is longer than the model's context window{limit_tokens}, even with "
        "earlier messages left out{code_detail}. Start a new conversation, shorten the "
        "message, or pick a model with a larger window in Settings.",
        SETTINGS,
    ),
    FailureKind.TOOLS_UNSUPPORTED: Failure(
        404,
        "The model `{model}` cannot use tools and the answer without them failed too"
        "{code_detail}. Try again, or pick another model from the Model menu.",
        SETTINGS,
    ),
    FailureKind.LENGTH_LIMIT: Failure(
        502,
        "The model used its whole reply budget before writing an answer (it was cut off at "
        "the length limit). Retry, or pick a model that thinks less in Settings.",
        SETTINGS,
    ),
    FailureKind.BAD_REQUEST: Failure(400, "{upstream} refused the request{code_detail}."),
    FailureKind.TIMEOUT: Failure(
        504,
        "The model did not answer in time{limit}. The provider may be busy: try again in a moment.",
        RETRY,
        on_key_test="Could not reach {upstream} to test the key{limit}.",
    ),
    FailureKind.UPSTREAM_TIMEOUT: Failure(
        504,
        "The model did not answer in time{limit}. The provider may be busy: try again in a moment.",
        RETRY,
    ),
    FailureKind.PROVIDER_UNAVAILABLE: Failure(
        502,
        "The model provider{via} is unavailable right now ({unavailable}). Try again in a "
        "moment, or pick another model from the Model menu.",
        SETTINGS,
    ),
    FailureKind.CONNECTION_ERROR: Failure(
        502,
        "Could not reach {upstream}{limit}. Check the server's network connection, then try again.",
        RETRY,
        on_key_test="Could not reach {upstream} to test the key{limit}.",
    ),
    FailureKind.CONNECTION_LOST: Failure(
        502,
        "{upstream} was reached, but the connection broke{limit}. Try again in a moment.",
        RETRY,
        on_key_test="{upstream} was reached, but the connection broke{limit}. Try again.",
    ),
    FailureKind.FORBIDDEN: Failure(
        502,
        "{upstream} refused access{code_detail}. This is not about your message: the server's "
        "network, a proxy in front of {upstream} or a regional block is refusing it. Try again "
        "later, or tell whoever runs this server.",
        RETRY,
        on_key_test="{upstream} refused access{code_detail}; the key was not tested.",
    ),
    FailureKind.INTERRUPTED: Failure(
        503,
        "The answer was interrupted: the server working on it stopped before it finished "
        "(a restart, or it lost its database). Your message is saved, with any text that "
        "had arrived. Press Retry for a whole answer.",
        RETRY,
    ),
    FailureKind.EMPTY_REPLY: Failure(
        502, "The model returned an empty reply. Try again, or pick another model.", RETRY
    ),
    FailureKind.TOOL_LOOP: Failure(
        502,
        "The model kept calling tools without answering, so it was stopped. Try again, or "
        "pick another model from the Model menu.",
        SETTINGS,
    ),
    FailureKind.INVALID_RESPONSE: Failure(
        502, "{upstream} sent an answer that could not be used{colon_detail}. Try again.", RETRY
    ),
    FailureKind.UPSTREAM_ERROR: Failure(
        502, "{upstream} sent an answer that could not be used{colon_detail}. Try again.", RETRY
    ),
}
UNKNOWN = FAILURES[FailureKind.UPSTREAM_ERROR]
# A rate-limited visitor is told a wait even when the upstream named none.
DEFAULT_WAIT = 10


def failure(kind: str) -> Failure:
    """Return the table entry for a kind (unknown kinds read as an unusable answer)."""
    try:
        return FAILURES[FailureKind(kind)]
    except ValueError:
        return UNKNOWN


@dataclass(frozen=True)
class TurnError:
    """A failed turn: its kind and what the upstream said (the ``detail`` stored with it)."""

    kind: str
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> int:
        """The HTTP status a JSON caller gets."""
        detail_status = self.detail.get("status_code")
        if self.kind == FailureKind.PROVIDER_UNAVAILABLE and detail_status == 503:
            return 503
        return failure(self.kind).status

    @property
    def retry_after(self) -> int | None:
        """Seconds to wait before retrying, for rate limits (None otherwise)."""
        if self.kind != FailureKind.RATE_LIMITED:
            return None
        wait = self.detail.get("retry_after")
        return wait if isinstance(wait, int) else DEFAULT_WAIT

    @property
    def action(self) -> str | None:
        """What the page offers beside the sentence: "settings", "retry" or None."""
        return failure(self.kind).action

    @property
    def message(self) -> str:
        """The one sentence a visitor reads."""
        return sentence(self.kind, self.detail)


def detail_of(exc: OpenRouterError, model: str, upstream: str) -> dict[str, Any]:
    """Keep what an upstream failure said, to store with the reply and word later."""
    wait = None
    if exc.kind == FailureKind.RATE_LIMITED and exc.retry_after is not None:
        wait = math.ceil(exc.retry_after)
    detail = {
        "reason": clean_text((exc.reason or "").strip()[:1000]),
        "status_code": exc.status_code,
        "provider": exc.provider,
        "retry_after": wait,
        "model": model,
        "upstream": upstream,
    }
    for name in ("limit", "resets_at", "affordable_tokens"):
        value = getattr(exc, name, None)
        if value is not None:
            detail[name] = value
    return detail


def error_of(exc: OpenRouterError, model: str, upstream: str) -> TurnError:
    """Describe an upstream failure as a turn error."""
    return TurnError(exc.kind, detail_of(exc, model, upstream))


def sentence(kind: str, detail: dict[str, Any] | None = None, *, key_test: bool = False) -> str:
    """Word a failure for the visitor from its kind and stored detail.

    ``key_test`` words it for the Settings page's key test instead of a chat turn.
    """
    detail = detail or {}
    reason = str(detail.get("reason") or "").strip()
    code = detail.get("status_code")
    provider = detail.get("provider")
    wait = detail.get("retry_after")
    fields = {
        "upstream": detail.get("upstream") or "OpenRouter",
        "model": detail.get("model") or "chosen",
        "via": f" ({provider})" if provider else "",
        "code_detail": f" ({code}: {reason})" if code and reason else f" ({code})" if code else "",
        "colon_detail": f": {reason}" if reason else "",
        "limit": f" ({reason})" if reason else "",
        "unavailable": (
            f"{code}: {reason}" if code and reason else str(code or reason or "unavailable")
        ),
        "when": f"Retry in {wait} s." if wait is not None else "Wait a little, then retry.",
    }
    fields["code_or_reason"] = fields["code_detail"] or fields["limit"]
    limit = detail.get("limit")
    fields["limit_tokens"] = f" ({limit:,} tokens)" if isinstance(limit, int) else ""
    fields["resets"] = _reset_time(detail.get("resets_at"))
    # A 402 that says how many tokens the balance still buys: say the number, not "out".
    affordable = detail.get("affordable_tokens")
    fields["credits_left"] = (
        f"has too few credits left: the balance allows only {affordable:,} reply tokens"
        if isinstance(affordable, int) and not isinstance(affordable, bool)
        else "is out of credits"
    )
    # Credits and `:free` models are OpenRouter's; another server's account is its own.
    fields["add_credits"] = (
        "Add credits at openrouter.ai, or pick a free model (ending in `:free`) in Settings, "
        "then retry."
        if fields["upstream"] == "OpenRouter"
        else "Add credits to that account, or pick another model from the Model menu, then retry."
    )
    entry = failure(kind)
    return (entry.on_key_test if key_test else entry.sentence).format(**fields)


def _reset_time(resets_at: Any) -> str:
    """Say when a daily limit resets; the page turns the UTC time into the visitor's own."""
    if not isinstance(resets_at, int | float) or resets_at <= 0:
        return "at midnight UTC"
    when = datetime.fromtimestamp(resets_at, UTC)
    return (
        f"at {when:%H:%M} UTC"
        if when - datetime.now(UTC) < timedelta(hours=24)
        else (f"on {when:%Y-%m-%d at %H:%M} UTC")
    )


def offline_notice(upstream: str = "OpenRouter") -> str:
    """Explain (in Markdown) that no key is set, so nothing was sent; the page links Settings."""
    whose = (
        f"no {upstream} API key" if upstream == "OpenRouter" else "no API key for the model server"
    )
    return (
        f"**The assistant is offline:** {whose} is set, so your message was saved but not "
        "sent to a model. Add your key in Settings, then press Retry."
    )


CUT_OFF_NOTICE = (
    "Cut off at the length limit: the model used its whole reply budget. Press Retry for "
    "a new answer, or ask it to continue."
)
STOPPED_NOTICE = "Stopped before the reply was finished."
STOPPED_EMPTY = "Stopped before any text arrived."
