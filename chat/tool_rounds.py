"""The exchange with a tool-calling model: its calls, our results, the running usage.

Each round is one upstream call, so the bounds here also cap what a runaway model
can cost. Used by both ``ask`` and ``stream``; it reads no app state, because the
stream runs it beside the request.
"""

from __future__ import annotations

import json
import time
from typing import Any

import catalog as model_catalog
from automotive.tools import TOOL_SCHEMAS, result_content, run_tool
from chat.turn import PreparedTurn
from context_window import estimate_tokens
from openrouter import APITimeoutError, ChatResult, ToolCall, ToolLoopError, Usage

# Rounds of tool calls before the model must answer in words.
MAX_TOOL_ROUNDS = 4
MAX_CALLS_PER_ROUND = 8
# All tool results of one reply together; the context budget keeps room for them.
MAX_TOOL_OUTPUT_CHARS = 12_000
TOOL_RESERVE_TOKENS = estimate_tokens(json.dumps(TOOL_SCHEMAS)) + estimate_tokens(
    "x" * MAX_TOOL_OUTPUT_CHARS
)


def _plus(total: Any, value: Any) -> Any:
    if value is None:
        return total
    return value if total is None else total + value


class ToolRounds:
    """The messages of one reply's exchange, the tools it ran and what it has cost so far."""

    def __init__(self, turn: PreparedTurn) -> None:
        self.turn = turn
        self.messages: list[dict[str, Any]] = list(turn.upstream)
        self.log: list[dict[str, Any]] = []  # what the conversation shows
        self.texts: list[str] = []  # what the model wrote in each round
        self.thoughts: list[str] = []  # what a reasoning model thought in each round
        self.rounds = 0
        self.output_chars = 0
        self.prompt_tokens: int | None = None
        self.completion_tokens: int | None = None
        self.cost: float | None = None
        # All rounds share the turn's one read timeout, as retries do: a reply that waits
        # for its whole body (a form post, JSON) then ends before any proxy in front gives up.
        self.deadline = turn.deadline

    def request(self) -> dict[str, Any]:
        """Return the tool arguments and time budget (seconds) for the next upstream call."""
        remaining = self.deadline - time.monotonic()
        limit = self.turn.read_timeout
        if remaining <= 0:
            raise APITimeoutError(f"no whole answer within {limit:g} seconds")
        if self.rounds and remaining < 1:
            # Too little time is left for another round to be worth asking.
            raise APITimeoutError(f"{self.rounds} rounds of tool calls took over {limit:g} s")
        if not self.turn.tools:
            return {"budget": remaining}
        # The last round still describes the tools (the history holds calls to them)
        # but forbids new calls, so the model has to answer in words.
        choice = "none" if self.rounds >= MAX_TOOL_ROUNDS else None
        return {"tools": self.turn.tools, "tool_choice": choice, "budget": remaining}

    def add_usage(self, usage: Usage) -> None:
        """Count one round's tokens and cost (estimated from the catalog when not sent)."""
        cost = usage.cost
        if cost is None:
            cost = model_catalog.cost_of(
                self.turn.model_info, usage.prompt_tokens, usage.completion_tokens
            )
        self.prompt_tokens = _plus(self.prompt_tokens, usage.prompt_tokens)
        self.completion_tokens = _plus(self.completion_tokens, usage.completion_tokens)
        self.cost = _plus(self.cost, cost)

    def follow(self, result: ChatResult) -> list[dict[str, Any]]:
        """Run the tools a reply asked for; return the new log entries ([] when it answered)."""
        if result.content.strip():
            self.texts.append(result.content)
        thought = getattr(result, "reasoning", "")
        if isinstance(thought, str) and thought.strip():
            self.thoughts.append(thought.strip())
        calls = result.tool_calls if self.turn.tools else ()
        if not calls:
            return []
        if self.rounds >= MAX_TOOL_ROUNDS:
            if self.texts:
                return []  # it answered after all; the stray calls are ignored
            raise ToolLoopError(f"still calling tools after {MAX_TOOL_ROUNDS} rounds")
        self.rounds += 1
        assistant: dict[str, Any] = {
            "role": "assistant",
            "content": result.content or None,
            "tool_calls": [call.as_message_part() for call in calls],
        }
        if result.reasoning_details:
            assistant["reasoning_details"] = list(result.reasoning_details)
        self.messages.append(assistant)
        entries = [self._run(call, n < MAX_CALLS_PER_ROUND) for n, call in enumerate(calls)]
        self.log.extend(entries)
        return entries

    @property
    def reply(self) -> str:
        """The reply as the visitor reads it: each round's words, in order."""
        if len(self.texts) == 1:
            return self.texts[0]  # exactly as the model wrote it
        return "\n\n".join(text.strip() for text in self.texts)

    @property
    def reasoning(self) -> str:
        """What the model thought before answering, every round's (never part of the reply)."""
        return "\n\n".join(self.thoughts)

    def _run(self, call: ToolCall, allowed: bool) -> dict[str, Any]:
        if not allowed:
            output = {"error": f"At most {MAX_CALLS_PER_ROUND} tool calls per reply."}
        elif self.output_chars >= MAX_TOOL_OUTPUT_CHARS:
            output = {"error": "The tool budget for this reply is used up: answer now."}
        else:
            output = run_tool(call.name, call.arguments, self.turn.vehicle)
        content = result_content(output)
        self.output_chars += len(content)
        # Every call gets an answer, or the upstream rejects the next request.
        self.messages.append(
            {"role": "tool", "tool_call_id": call.id, "name": call.name, "content": content}
        )
        return {"name": call.name, "arguments": call.arguments[:1000], "result": output}

    def usage(self) -> dict[str, Any]:
        """Return the totals to store with the reply."""
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cost": self.cost,
        }
