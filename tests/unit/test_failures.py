"""The one table of failure kinds: every kind has a status and a sentence, worded from detail."""

from __future__ import annotations

import pytest

from chat.failures import FAILURES, TurnError, error_of, sentence
from openrouter import APIConnectionError, RateLimitError
from states import FailureKind

FULL = {
    "reason": "User not found.",
    "status_code": 401,
    "provider": "Chutes",
    "retry_after": 7,
    "model": "some/model",
    "upstream": "127.0.0.1:11434",
}


@pytest.mark.parametrize("kind", list(FailureKind))
def test_every_kind_has_an_entry_worded_with_or_without_detail(kind):
    assert kind in FAILURES
    for detail in ({}, FULL):
        text = sentence(kind, detail)
        assert text and "{" not in text and "}" not in text
        assert "](" not in text  # links are the page's, never baked into the sentence
        assert sentence(kind, detail, key_test=True)
    assert 400 <= FAILURES[kind].status <= 599


def test_the_upstream_is_named_as_configured_not_always_openrouter():
    exc = APIConnectionError("the connection was refused")
    error = error_of(exc, "llama3", "127.0.0.1:11434")
    assert error.message.startswith("Could not reach 127.0.0.1:11434 (the connection was refused).")
    assert "OpenRouter" not in error.message
    assert error.status == 502


def test_rate_limits_carry_their_wait_and_a_default():
    waited = error_of(RateLimitError("slow down", status_code=429, retry_after=6.2), "m", "x")
    assert waited.retry_after == 7 and "Retry in 7 s." in waited.message
    unnamed = TurnError(FailureKind.RATE_LIMITED, {})
    assert unnamed.retry_after == 10 and "Wait a little" in unnamed.message
    assert TurnError(FailureKind.TIMEOUT, {}).retry_after is None


def test_a_503_from_the_provider_stays_a_503_and_unknown_kinds_read_as_unusable():
    assert TurnError(FailureKind.PROVIDER_UNAVAILABLE, {"status_code": 503}).status == 503
    assert TurnError(FailureKind.PROVIDER_UNAVAILABLE, {"status_code": 500}).status == 502
    assert "could not be used" in TurnError("no_such_kind", {}).message
