"""Fit a conversation into a model's context window.

Tokens are estimated, not counted: about 3.5 characters per token (a little more
generous than the ~4 of English text, to stay on the safe side for code, numbers
and other languages) plus 4 tokens of framing per message. The reply budget is
kept free: ``MAX_REPLY_TOKENS``, but never more than a quarter of the window.
"""

from __future__ import annotations

import math
from typing import Any

CHARS_PER_TOKEN = 3.5
MESSAGE_OVERHEAD = 4


def estimate_tokens(text: str) -> int:
    """Estimate how many tokens a text costs."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def message_tokens(message: dict[str, Any]) -> int:
    """Estimate the tokens of one chat message, framing included."""
    content = message.get("content")
    return MESSAGE_OVERHEAD + estimate_tokens(content if isinstance(content, str) else "")


def reply_budget(context_length: int, max_reply_tokens: int) -> int:
    """Return the tokens kept free for the reply."""
    return max(1, min(max_reply_tokens, context_length // 4))


def fit_history(
    system: dict[str, Any],
    history: list[dict[str, Any]],
    new_message: dict[str, Any],
    context_length: int,
    max_reply_tokens: int,
    reserve_tokens: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """Keep the newest turns that fit; return (kept history, number of messages left out).

    The system prompt and the new message are always sent, even when they alone
    exceed the window: the upstream then says so, which beats a silent truncation.
    ``reserve_tokens`` is room kept for what the turn adds later (tool schemas and results).
    """
    budget = context_length - reply_budget(context_length, max_reply_tokens) - reserve_tokens
    budget -= message_tokens(system) + message_tokens(new_message)
    kept: list[dict[str, Any]] = []
    for message in reversed(history):
        cost = message_tokens(message)
        if cost > budget:
            break
        budget -= cost
        kept.append(message)
    kept.reverse()
    # Start on a user turn so the model never sees an answer without its question.
    while kept and kept[0].get("role") != "user":
        kept.pop(0)
    return kept, len(history) - len(kept)
