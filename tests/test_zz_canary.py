"""Runs last: the canary key used through the whole suite never leaked anywhere.

The key was saved in Settings and sent upstream in most tests, including forced
401s and 500s, with debug logging on. Every log line, every page and JSON answer,
and every database row the suite produced was watched (tests/conftest.py).
"""

from __future__ import annotations

import pytest

from tests.conftest import CANARY_WATCH


def test_the_canary_key_never_leaked():
    if CANARY_WATCH.responses_seen < 100:
        pytest.skip("watches the whole suite: run it with the other tests")
    assert CANARY_WATCH.lines_seen > 100
    assert CANARY_WATCH.responses_seen > 500
    assert CANARY_WATCH.rows_seen > 100
    assert CANARY_WATCH.leaks == []
