"""Fit a conversation into a model's context window.

Tokens are estimated, not counted, and on the safe side for every script: about 3.5
characters per token for ASCII (a little more generous than the ~4 of English text,
for code and numbers), 2 per token for accented Latin, Greek and Cyrillic, and one
token per character for everything else — Chinese, Japanese and Korean take about
one token per character in the common tokenizers, and Thai, Arabic, Devanagari or
emoji rarely take fewer. Each message adds 4 tokens of framing. The reply budget is
kept free: ``MAX_REPLY_TOKENS``, but never more than a quarter of the window, and
never more than what the prompt leaves.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

CHARS_PER_TOKEN = 3.5  # ASCII
CHARS_PER_TOKEN_LATIN = 2.0  # Latin-1 and Latin Extended, Greek, Cyrillic
MESSAGE_OVERHEAD = 4
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_LATIN_GREEK_CYRILLIC = re.compile(r"[\u0080-\u024f\u0370-\u052f\u1e00-\u1eff]")


def estimate_tokens(text: str) -> int:
    """Estimate how many tokens a text costs (never fewer than it likely does)."""
    if text.isascii():
        return math.ceil(len(text) / CHARS_PER_TOKEN)
    other = len(_NON_ASCII.findall(text))
    latin = len(_LATIN_GREEK_CYRILLIC.findall(text))
    ascii_chars = len(text) - other
    return math.ceil(
        ascii_chars / CHARS_PER_TOKEN + latin / CHARS_PER_TOKEN_LATIN + (other - latin)
    )


def message_tokens(message: dict[str, Any]) -> int:
    """Estimate the tokens of one chat message, framing included."""
    content = message.get("content")
    if isinstance(content, list):
        # Content parts: the text parts count here; pictures are reserved by the caller
        # (their cost depends on their size, which a data URL does not tell cheaply).
        content = "\n".join(
            part.get("text", "")
            for part in content
            if isinstance(part, dict) and isinstance(part.get("text"), str)
        )
    return MESSAGE_OVERHEAD + estimate_tokens(content if isinstance(content, str) else "")


def reply_budget(context_length: int, max_reply_tokens: int) -> int:
    """Return the tokens kept free for the reply."""
    return max(1, min(max_reply_tokens, context_length // 4))


@dataclass(frozen=True)
class Fit:
    """What is sent: the kept history, how much was left out, and the reply's budget."""

    kept: list[dict[str, Any]]
    dropped: int  # messages of the history left out
    prompt_tokens: int  # estimated: system, kept history and the new message
    max_tokens: int  # the reply budget: never more than the window leaves


def fit_history(
    system: dict[str, Any],
    history: list[dict[str, Any]],
    new_message: dict[str, Any],
    context_length: int,
    max_reply_tokens: int,
    reserve_tokens: int = 0,
) -> Fit:
    """Keep the newest turns that fit, and size the reply to what is left.

    The system prompt and the new message are always sent, even when they alone
    exceed the window: the upstream then says so, which beats a silent truncation.
    ``reserve_tokens`` is room kept for what the turn adds later (tool schemas and results).
    """
    reply = reply_budget(context_length, max_reply_tokens)
    fixed = message_tokens(system) + message_tokens(new_message)
    budget = context_length - reply - reserve_tokens - fixed
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
    prompt = fixed + sum(message_tokens(message) for message in kept)
    left = context_length - prompt - reserve_tokens
    return Fit(kept, len(history) - len(kept), prompt, max(1, min(reply, left)))
