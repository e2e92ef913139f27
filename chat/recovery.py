"""When the upstream refuses a turn in a way the turn itself can fix: change it, ask once more.

Each fix is tried at most once per turn, and only before any answer text or tool
round exists (nothing is shown twice, nothing paid for is repeated):

- a context-length refusal: fit the history into the window the upstream stated
  (llama.cpp, Ollama and vLLM often run smaller windows than assumed) and remember it;
- "no endpoints found that support tool use": ask without tools (the facts stay in
  the system message) and remember that the model refuses them;
- a 402 that says how many tokens the balance affords: ask for that many, when it
  is still a useful answer.
"""

from __future__ import annotations

from chat.tool_rounds import ToolRounds
from chat.turn import PreparedTurn
from openrouter import OpenRouterError
from states import FailureKind

# A smaller affordable reply than this is not worth asking for: the visitor is told instead.
MIN_USEFUL_REPLY_TOKENS = 256
# When the stated window is no smaller than the one assumed, the estimate of the prompt
# was too low: fit into a share of it instead.
ESTIMATE_MARGIN = 0.75
STATED_MARGIN = 0.9


def recover(
    turn: PreparedTurn, exc: OpenRouterError, rounds: ToolRounds, partial: str
) -> ToolRounds | None:
    """Change ``turn`` so the upstream can take it; return fresh rounds, or None to give up."""
    if partial or rounds.rounds or exc.kind in turn.recovered:
        return None
    if exc.kind == FailureKind.TOOLS_UNSUPPORTED and turn.tools:
        turn.tools = None
        turn.learned["no_tools"] = True
        turn.fit(turn.context_length)  # the room kept for tool results is free again
    elif exc.kind == FailureKind.CONTEXT_LENGTH:
        stated = getattr(exc, "limit", None)
        if isinstance(stated, int) and 0 < stated < turn.context_length:
            turn.learned["context_length"] = stated
            window = int(stated * STATED_MARGIN)
        else:
            window = int(min(stated or turn.context_length, turn.context_length) * ESTIMATE_MARGIN)
        turn.fit(window)
    elif exc.kind == FailureKind.INSUFFICIENT_CREDITS:
        affordable = getattr(exc, "affordable_tokens", None)
        if not isinstance(affordable, int) or not (
            MIN_USEFUL_REPLY_TOKENS <= affordable < turn.max_tokens
        ):
            return None
        turn.max_tokens = affordable
    else:
        return None
    turn.recovered.add(exc.kind)
    return ToolRounds(turn)
