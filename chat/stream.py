"""Step 3, streamed: the reply as it arrives, read beside the request, and Stop.

A reader runs beside the request and puts upstream events on a queue, so during a
silence the request still sends a heartbeat every STREAM_KEEPALIVE seconds: that is
how a closed tab is noticed even before the first token. Closing the generator early
(Stop, or the tab went away) closes the upstream request and keeps the partial reply.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from chat.lease import Lease
from chat.record import record_failure, record_offline, record_stopped, record_success
from chat.recovery import recover
from chat.tool_rounds import ToolRounds
from chat.turn import PreparedTurn
from openrouter import Delta, InvalidResponseError, OpenRouterError
from provider.base import ChatProvider
from provider.types import Reasoning

log = logging.getLogger(__name__)

_END = object()


@dataclass(frozen=True)
class Restarted:
    """The turn was changed after a refusal and asked again; these rounds replace the old."""

    rounds: ToolRounds


@dataclass(frozen=True)
class ToolsUsed:
    """The tools one round called, for the page to show while the reply continues."""

    entries: list[dict[str, Any]]


class _Reader:
    """Reads the upstream stream(s) of one reply into a queue, round after round."""

    def __init__(self, provider: ChatProvider, turn: PreparedTurn, rounds: ToolRounds) -> None:
        self.provider = provider
        self.turn = turn
        self.rounds = rounds
        self.events: queue.Queue = queue.Queue()
        self.cancelled = False
        self.stream: Any = None
        self.result: Any = None  # the last round's ChatResult, once the model answered
        self.thread = threading.Thread(target=self._run, name="upstream-stream", daemon=True)

    def start(self) -> None:
        """Start reading beside the request."""
        self.thread.start()

    def cancel(self) -> None:
        """Stop reading: nothing more is asked, the open upstream request is closed."""
        self.cancelled = True
        if self.stream is not None:
            self.stream.close()

    def _run(self) -> None:
        try:
            self._read_rounds()
        except OpenRouterError as exc:
            self.events.put(exc)
        except Exception:
            log.exception("stream reader failed")
            self.events.put(InvalidResponseError("the stream could not be read"))

    def _read_rounds(self) -> None:
        turn, out = self.turn, self.events
        while not self.cancelled:  # a Stop between rounds sends nothing more
            rounds = self.rounds
            self.stream = None
            try:
                stream = self.provider.stream(
                    turn.api_key,
                    turn.model,
                    rounds.messages,
                    max_tokens=turn.max_tokens,
                    **rounds.request(),
                )
                self.stream = stream
                if self.cancelled:
                    stream.close()
                    return
                for event in stream:
                    out.put(event)
            except OpenRouterError as exc:
                # Refused before any text: a fix the turn can make is tried once.
                retry = recover(turn, exc, rounds, stream_text(self.stream))
                if retry is None:
                    raise
                self.rounds = retry
                out.put(Restarted(retry))
                continue
            result = stream.result
            rounds.add_usage(result.usage)
            entries = rounds.follow(result)
            if not entries:
                self.result = result
                out.put(_END)
                return
            out.put(ToolsUsed(entries))


# At most this many text events a second go to the browser: a model sends a delta per
# token or two, and one event per delta costs a JSON encoding and a socket write each.
FRAME_SECONDS = 0.05


def _gather(events: queue.Queue, due: float) -> tuple[str, Any]:
    """Text that follows at once: what has already arrived, and what arrives until ``due``
    (``time.monotonic()``); a reply's first words (``due`` already past) wait for nothing.

    Returns the text and the first event that is not text (None if there was none), which
    the caller handles next.
    """
    gathered = []
    while True:
        wait = due - time.monotonic()
        try:
            item = events.get(timeout=wait) if wait > 0 else events.get_nowait()
        except queue.Empty:
            return "".join(gathered), None
        if not isinstance(item, Delta):
            return "".join(gathered), item
        gathered.append(item.text)


def stream_text(stream: Any) -> str:
    """The text a stream delivered before it failed ("" when it never opened)."""
    return getattr(stream, "text", "") if stream is not None else ""


def stream_answer(
    turn: PreparedTurn, provider: ChatProvider, keepalive: float
) -> Iterator[tuple[str, Any]]:
    """Yield ("delta", text), ("reasoning", text), ("tools", entries), ("heartbeat", None),
    then the end.

    The end is ("done", TurnResult) or ("error", TurnResult). A heartbeat comes at least
    every ``keepalive`` seconds while the upstream is silent.
    """
    if not turn.api_key:
        yield "done", turn.result(record_offline(turn))
        return
    with Lease(turn.message_id, held=turn.leased) as lease:
        yield from _stream_answer(turn, provider, keepalive, lease)


def _stream_answer(
    turn: PreparedTurn, provider: ChatProvider, keepalive: float, lease: Lease
) -> Iterator[tuple[str, Any]]:
    rounds = ToolRounds(turn)
    reader = _Reader(provider, turn, rounds)
    reader.start()
    text = ""
    thinking = ""  # a reasoning model's thoughts: shown apart, never part of the reply
    pending_break = False  # a tool round ended after some text: the next words start a paragraph
    held: Any = None  # an event read while gathering text, handled next
    last_sent = float("-inf")
    try:
        while True:
            if held is not None:
                item, held = held, None
            else:
                try:
                    item = reader.events.get(timeout=keepalive)
                except queue.Empty:
                    yield "heartbeat", None
                    continue
            if item is _END:
                break
            if isinstance(item, OpenRouterError):
                reply, error = record_failure(turn, item, text, rounds, thinking)
                yield "error", turn.result(reply, error)
                return
            if isinstance(item, Restarted):
                rounds = item.rounds
            elif isinstance(item, Delta):
                piece = item.text
                if pending_break and piece.strip():
                    piece, pending_break = "\n\n" + piece.lstrip(), False
                elif pending_break:
                    continue  # whitespace between rounds is dropped, as the JSON reply drops it
                more, held = _gather(reader.events, last_sent + FRAME_SECONDS)
                piece += more
                text += piece
                lease.so_far = text  # what a killed worker leaves for the page
                last_sent = time.monotonic()
                yield "delta", piece
            elif isinstance(item, Reasoning):
                thinking += item.text
                yield "reasoning", item.text
            elif isinstance(item, ToolsUsed):
                text = text.rstrip()
                pending_break = bool(text)
                yield "tools", item.entries
            else:
                yield "heartbeat", None
    except GeneratorExit:
        reader.cancel()
        record_stopped(turn, text, rounds, thinking)
        raise
    yield "done", turn.result(record_success(turn, rounds, reader.result, thinking.strip()))
