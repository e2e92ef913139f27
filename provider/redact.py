"""Keep secrets out of what an upstream says before it is stored, logged or shown.

A model server that rejects a key often quotes it back ("Incorrect API key provided:
sk-or-v1-…"); a proxy may echo the ``Authorization`` header. Anything shaped like a
provider's key, a bearer credential, and the exact keys the caller names are replaced.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["REDACTED", "redact"]

REDACTED = "[redacted]"

# Key prefixes as their providers document them: OpenRouter (sk-or-v1-), OpenAI (sk-,
# sk-proj-, sk-svcacct-), Anthropic (sk-ant-), Groq (gsk_), Hugging Face (hf_), xAI (xai-),
# Perplexity (pplx-), NVIDIA (nvapi-), Replicate (r8_), Fireworks (fw_), Google (AIza),
# GitHub (ghp_, github_pat_). The rest of a key may be masked with * or … by the server.
_KEY = re.compile(
    r"(?<![A-Za-z0-9])"
    r"(sk-or-v1-|sk-or-|sk-proj-|sk-svcacct-|sk-ant-|sk-|gsk_|hf_|xai-|pplx-|nvapi-|r8_|fw_"
    r"|AIza|ghp_|github_pat_)"
    # The whole run of key characters, and not one already redacted.
    r"[A-Za-z0-9_\-*…]{6,}(?![A-Za-z0-9_\-*…\[])"
)
# "Authorization: Bearer <token>" echoed back, or a bare "Bearer <token>".
_BEARER = re.compile(r"(?i)\b(bearer)\s+(?!\[redacted\])[A-Za-z0-9._~+/=\-*…]{6,}")
# Shorter than this, an exact "secret" is too likely to be an ordinary word to replace.
_MIN_EXACT = 8


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Return ``text`` with key-shaped tokens, bearer credentials and ``secrets`` replaced.

    A provider key keeps its prefix ("sk-or-v1-[redacted]") so the reader still sees which
    kind of key was meant. ``secrets`` are replaced wherever they occur, whatever their shape
    (a local server's key need not look like anyone's); empty and very short ones are ignored.
    """
    if not text:
        return text
    for secret in secrets:
        if secret and len(secret) >= _MIN_EXACT and secret in text:
            text = text.replace(secret, REDACTED)
    text = _KEY.sub(lambda match: match.group(1) + REDACTED, text)
    return _BEARER.sub(lambda match: f"{match.group(1)} {REDACTED}", text)
