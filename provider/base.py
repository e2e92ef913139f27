"""The interface the chat turn needs of a model provider, and how to name the upstream.

The turn depends on ``ChatProvider`` alone; ``openrouter.OpenRouterClient`` implements it.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit

from provider.stream import ChatStream
from provider.types import ChatResult, KeyInfo, ModelInfo

__all__ = ["ChatProvider", "upstream_name"]

_DEFAULT_PORTS = {"http": 80, "https": 443}


@runtime_checkable
class ChatProvider(Protocol):
    """What a chat turn asks of a model provider: one reply, a streamed reply, the catalog, a key.

    Failures are raised as ``provider.errors.OpenRouterError`` subclasses, whose ``kind`` is a
    ``states.FailureKind``. A second OpenAI-compatible provider is a new class implementing
    this protocol, nothing else: the turn, the views and the error table stay as they are.
    """

    @property
    def name(self) -> str:
        """A human name of the upstream for error sentences ("OpenRouter", "127.0.0.1:11434")."""
        ...

    def chat(
        self,
        api_key: str,
        model: str,
        messages: list[dict[str, Any]],
        *,
        max_tokens: int | None = None,
        tools: list[dict[str, Any]] | None = None,
        tool_choice: str | None = None,
        budget: float | None = None,
    ) -> ChatResult:
        """Send one non-streaming chat completion and return the reply (within ``budget`` s)."""
        ...

    def stream(
        self,
        api_key: str,
        model: str,
        messages: list[dict[str, Any]],
        *,
        max_tokens: int | None = None,
        tools: list[dict[str, Any]] | None = None,
        tool_choice: str | None = None,
        budget: float | None = None,
    ) -> ChatStream:
        """Open a streaming chat completion; failures before the first byte are retried."""
        ...

    def models(self, api_key: str | None = None, *, timeout: float = 10.0) -> list[ModelInfo]:
        """Fetch the model catalog, once, within ``timeout``."""
        ...

    def key_info(self, api_key: str) -> KeyInfo:
        """Describe a key (label, limit, usage) without spending a completion."""
        ...


def upstream_name(base_url: str) -> str:
    """Name the upstream of ``base_url``: "OpenRouter" for openrouter.ai, else host[:port]."""
    parts = urlsplit(base_url)
    host = (parts.hostname or "").rstrip(".")
    if host == "openrouter.ai" or host.endswith(".openrouter.ai"):
        return "OpenRouter"
    if not host:
        return "the model server"
    try:
        port = parts.port
    except ValueError:  # a port that is not a number names nothing useful
        port = None
    shown = f"[{host}]" if ":" in host else host  # an IPv6 address keeps its brackets
    if port is None or port == _DEFAULT_PORTS.get(parts.scheme.lower()):
        return shown
    return f"{shown}:{port}"
