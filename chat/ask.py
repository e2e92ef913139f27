"""Step 3, whole: ask the model and wait for the complete reply (form posts and JSON callers)."""

from __future__ import annotations

from chat.lease import Lease
from chat.record import record_failure, record_offline, record_success
from chat.recovery import recover
from chat.tool_rounds import ToolRounds
from chat.turn import PreparedTurn, TurnResult
from openrouter import ChatResult, OpenRouterError
from provider.base import ChatProvider


def answer(turn: PreparedTurn, provider: ChatProvider) -> TurnResult:
    """Ask the model and wait for the whole reply, running its tool calls on the way."""
    if not turn.api_key:
        return turn.result(record_offline(turn))
    with Lease(turn.message_id, held=turn.leased):
        return _answer(turn, provider)


def _answer(turn: PreparedTurn, provider: ChatProvider) -> TurnResult:
    rounds = ToolRounds(turn)
    while True:
        try:
            result = _rounds(turn, provider, rounds)
        except OpenRouterError as exc:
            retry = recover(turn, exc, rounds, rounds.reply)
            if retry is not None:
                rounds = retry
                continue
            reply, error = record_failure(turn, exc, rounds.reply, rounds)
            return turn.result(reply, error)
        return turn.result(record_success(turn, rounds, result))


def _rounds(turn: PreparedTurn, provider: ChatProvider, rounds: ToolRounds) -> ChatResult:
    """Ask, run the tools asked for, ask again, until the model answers in words."""
    while True:
        result = provider.chat(
            turn.api_key,
            turn.model,
            rounds.messages,
            max_tokens=turn.max_tokens,
            **rounds.request(),
        )
        rounds.add_usage(result.usage)
        if not rounds.follow(result):
            return result
