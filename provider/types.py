"""What a provider hands back: replies, their pieces and usage, catalog entries, key facts.

Plain frozen dataclasses; the ``from_body`` readers tolerate missing or mistyped fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ChatResult",
    "Delta",
    "Heartbeat",
    "KeyInfo",
    "ModelInfo",
    "Reasoning",
    "ToolCall",
    "Usage",
    "context_window_of",
]


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None
    cost: float | None = None

    @classmethod
    def from_body(cls, data: Any) -> Usage:
        """Read the ``usage`` object, tolerating missing fields."""
        if not isinstance(data, dict):
            return cls()

        def number(key: str) -> Any:
            value = data.get(key)
            return value if isinstance(value, int | float) else None

        return cls(
            prompt_tokens=number("prompt_tokens"),
            completion_tokens=number("completion_tokens"),
            total_tokens=number("total_tokens"),
            cost=number("cost"),
        )


@dataclass(frozen=True)
class ToolCall:
    """A function the model asked to call; ``arguments`` is the JSON text it wrote."""

    id: str
    name: str
    arguments: str

    def as_message_part(self) -> dict[str, Any]:
        """Return the call as it goes back upstream in the assistant message."""
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": self.arguments},
        }


@dataclass(frozen=True)
class ChatResult:
    content: str
    model: str | None = None
    provider: str | None = None
    finish_reason: str | None = None
    generation_id: str | None = None
    usage: Usage = field(default_factory=Usage)
    tool_calls: tuple[ToolCall, ...] = ()
    # Reasoning models return these with their tool calls and need them sent back
    # unchanged with the next request, or they lose the thread (OpenRouter's docs).
    reasoning_details: tuple[dict[str, Any], ...] = ()
    # The model's thinking as text (``reasoning`` / ``reasoning_content``), never in ``content``.
    reasoning: str = ""


@dataclass(frozen=True)
class Delta:
    """A piece of reply text as it arrives."""

    text: str


@dataclass(frozen=True)
class Reasoning:
    """A piece of the model's thinking as it arrives; not part of the reply text."""

    text: str


@dataclass(frozen=True)
class Heartbeat:
    """The upstream is still working (an SSE comment such as ``: OPENROUTER PROCESSING``)."""


@dataclass(frozen=True)
class ModelInfo:
    id: str
    name: str
    context_length: int | None
    prompt_price: float | None  # USD per token
    completion_price: float | None
    supported_parameters: tuple[str, ...] = ()
    # OpenRouter's ``architecture.input_modalities`` ("text", "image", "file", "audio");
    # None when the server does not say (vLLM, llama.cpp, LiteLLM, Ollama lists).
    input_modalities: tuple[str, ...] | None = None

    @property
    def sees_images(self) -> bool | None:
        """Tell whether the model takes pictures: True, False, or None when unknown."""
        if self.input_modalities is None:
            return None
        return "image" in self.input_modalities

    @property
    def is_free(self) -> bool:
        """Tell whether both prompt and completion cost nothing."""
        return self.id.endswith(":free") or (self.prompt_price == 0 and self.completion_price == 0)

    @classmethod
    def from_body(cls, data: dict[str, Any]) -> ModelInfo | None:
        """Read one entry of ``GET /models``; None when it has no id."""
        model_id = data.get("id")
        if not isinstance(model_id, str) or not model_id:
            return None
        pricing = data.get("pricing") if isinstance(data.get("pricing"), dict) else {}

        def price(key: str) -> float | None:
            try:
                value = float(pricing.get(key))
            except (TypeError, ValueError):
                return None
            return value if value >= 0 else None

        params = data.get("supported_parameters")
        architecture = (
            data.get("architecture") if isinstance(data.get("architecture"), dict) else {}
        )
        modalities = architecture.get("input_modalities")
        return cls(
            id=model_id,
            name=str(data.get("name") or model_id),
            context_length=context_window_of(data),
            prompt_price=price("prompt"),
            completion_price=price("completion"),
            supported_parameters=tuple(p for p in params or () if isinstance(p, str)),
            input_modalities=(
                tuple(m for m in modalities if isinstance(m, str))
                if isinstance(modalities, list)
                else None
            ),
        )


def context_window_of(data: dict[str, Any]) -> int | None:
    """Read a catalog entry's context window, in tokens, from whichever server's field has it.

    ``context_length`` (OpenRouter), ``top_provider.context_length`` (OpenRouter),
    ``max_model_len`` (vLLM's /v1/models), ``meta.n_ctx`` then ``meta.n_ctx_train``
    (llama.cpp's /v1/models), ``context_window`` (LiteLLM): the first positive integer.
    """
    top = data.get("top_provider") if isinstance(data.get("top_provider"), dict) else {}
    meta = data.get("meta") if isinstance(data.get("meta"), dict) else {}
    for value in (
        data.get("context_length"),
        top.get("context_length"),
        data.get("max_model_len"),
        meta.get("n_ctx"),
        meta.get("n_ctx_train"),
        data.get("context_window"),
    ):
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None


@dataclass(frozen=True)
class KeyInfo:
    label: str | None
    limit: float | None
    usage: float | None
    limit_remaining: float | None
    is_free_tier: bool | None
