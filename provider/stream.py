"""A streamed reply: read the SSE events, assemble tool calls, close the upstream on stop.

Yields ``Reasoning``, ``Delta`` and ``Heartbeat`` events; the finished reply is
``ChatStream.result``.
"""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Iterable, Iterator
from typing import Any

import requests
import urllib3
from urllib3.exceptions import ReadTimeoutError

from provider.errors import (
    APITimeoutError,
    ConnectionLostError,
    EmptyReplyError,
    InvalidResponseError,
    LengthLimitError,
    OpenRouterError,
    ProviderError,
    error_from_body,
)
from provider.transport import connection_error, read_some
from provider.types import ChatResult, Delta, Heartbeat, Reasoning, ToolCall, Usage
from provider.wire import reasoning_details_of, reasoning_text_of

__all__ = ["ChatStream", "WholeReply"]


class ChatStream:
    """Iterate a streaming reply as Reasoning, Delta and Heartbeat events.

    Raises an OpenRouterError if the stream fails; ``text`` then holds the partial
    reply, ``reasoning`` the thinking so far (never part of ``text``). ``close()`` (or
    leaving the ``with`` block) closes the upstream request, which is how a stopped reply
    stops costing tokens; it may be called from another thread or greenlet while one reads.
    """

    def __init__(
        self,
        response: requests.Response,
        model: str,
        read_timeout: float,
        *,
        deadline: float | None = None,
        secrets: Iterable[str | None] = (),
    ) -> None:
        """``deadline`` (``time.monotonic()``'s clock): when the whole reply must have arrived;
        ``secrets``: the key the call used, never quoted back in an error's reason."""
        self._response = response
        self._read_timeout = read_timeout
        self._deadline = deadline
        self._secrets = tuple(secrets)
        self.model = response.headers.get("X-Model") or model
        self.provider: str | None = None
        self.generation_id: str | None = response.headers.get("X-Generation-Id")
        self.finish_reason: str | None = None
        self.usage = Usage()
        self.text = ""
        self.reasoning = ""
        self.closed = False
        # True while a read of the body is in progress: close() from another greenlet
        # then leaves the final close of the response to the reading side.
        self._reading = False
        self.finished = False  # [DONE] or a finish_reason arrived
        # Tool calls arrive in pieces keyed by index: id and name first, then the
        # arguments' JSON text a fragment at a time.
        self._tool_parts: dict[int, dict[str, str]] = {}
        self._reasoning_details: list[dict[str, Any]] = []
        self._slot_of: dict[int, int] = {}  # the index a piece names -> its call's slot

    def __enter__(self) -> ChatStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the upstream connection (idempotent); never raises.

        Safe while another thread or greenlet reads the stream. A read blocked there holds
        the response's buffer lock: a plain close would wait for the next byte (threads)
        or fail with "reentrant call inside <_io.BufferedReader>" (gevent greenlets of one
        OS thread). So this marks the stream closed and shuts the socket down, which wakes
        that read at once; the reading side then closes the response itself (``_read``).
        """
        if self.closed:
            return
        self.closed = True
        try:
            connection = getattr(self._response.raw, "_connection", None)
            sock = getattr(connection, "sock", None)
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            if not self._reading:
                self._close_response()
        except RuntimeError:  # pragma: no cover - a last guard: stopping must not fail
            pass

    def _close_response(self) -> None:
        with contextlib.suppress(RuntimeError, OSError, ValueError):
            self._response.close()

    def _read(self) -> bytes:
        """Read what has arrived of the body (b"" at its end, or once the stream is closed)."""
        if self.closed:
            return b""
        self._reading = True
        try:
            if self._deadline is None:
                return self._response.raw.read1(65536)
            return read_some(self._response, self._deadline, self._read_timeout, self._read_timeout)
        finally:
            self._reading = False
            if self.closed:  # close() came meanwhile and left the response to us
                self._close_response()

    @property
    def result(self) -> ChatResult:
        """The finished reply, once iteration ended without an error."""
        return ChatResult(
            content=self.text,
            model=self.model,
            provider=self.provider,
            finish_reason=self.finish_reason,
            generation_id=self.generation_id,
            usage=self.usage,
            tool_calls=self.tool_calls,
            reasoning_details=tuple(self._reasoning_details),
            reasoning=self.reasoning,
        )

    @property
    def tool_calls(self) -> tuple[ToolCall, ...]:
        """The tool calls assembled from the stream so far."""
        return tuple(
            ToolCall(part["id"] or f"call_{index}", part["name"], part["arguments"])
            for index, part in sorted(self._tool_parts.items())
            if part["name"]
        )

    def _raw_chunks(self) -> Iterator[bytes]:
        try:
            while True:
                # read1 hands over whatever arrived, so text is not held back.
                chunk = self._read()
                if not chunk:
                    return
                yield chunk
        except (ReadTimeoutError, TimeoutError):
            raise APITimeoutError(
                f"the stream stalled for {self._read_timeout:g} seconds"
            ) from None
        except (urllib3.exceptions.HTTPError, requests.RequestException, OSError) as exc:
            raise connection_error(exc, answering=True) from None
        except ValueError:
            # A read racing a close() from another thread finds the file already closed.
            if not self.closed:
                raise

    def _events(self) -> Iterator[str | None]:
        """Yield each SSE data payload, and None for each comment line."""
        buffer = b""
        data: list[str] = []
        for chunk in self._raw_chunks():
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for raw_line in lines:
                line = raw_line.rstrip(b"\r").decode("utf-8", errors="replace")
                if not line:
                    if data:
                        yield "\n".join(data)
                        data = []
                elif line.startswith(":"):
                    yield None
                elif line.startswith("data:"):
                    data.append(line[5:].removeprefix(" "))
                # event:, id: and retry: fields carry nothing we use.
        if data:
            yield "\n".join(data)

    def _release(self) -> None:
        """Hand a fully read connection back to the pool instead of closing it."""
        try:
            while self._read():  # the end of the chunked body follows [DONE]
                pass
        except (urllib3.exceptions.HTTPError, OSError, ValueError):
            return  # close() will drop it
        if self.closed:
            return  # closed meanwhile: the connection is dropped, not pooled
        self._response.raw.release_conn()
        self.closed = True

    def __iter__(self) -> Iterator[Reasoning | Delta | Heartbeat]:
        try:
            yield from self._iterate()
        except OpenRouterError as exc:
            exc.redact(self._secrets)
            raise

    def _iterate(self) -> Iterator[Reasoning | Delta | Heartbeat]:
        try:
            for payload in self._events():
                if payload is None:
                    yield Heartbeat()
                    continue
                if payload.strip() == "[DONE]":
                    self.finished = True
                    self._release()
                    break
                try:
                    thought, delta = self._read_chunk(payload)
                except (AttributeError, KeyError, TypeError, ValueError):
                    raise InvalidResponseError("a stream chunk had an unexpected shape") from None
                if thought:
                    self.reasoning += thought
                    yield Reasoning(thought)
                if delta:
                    self.text += delta
                    yield Delta(delta)
        finally:
            self.close()
        if not self.text.strip() and not self.tool_calls:
            if self.finish_reason == "length":
                # A reasoning model can spend the whole reply budget before answering.
                raise LengthLimitError(
                    "the model reached the length limit before writing any answer",
                    provider=self.provider,
                )
            raise EmptyReplyError("the model streamed no text", provider=self.provider)
        if not self.finished:
            # The body ended without [DONE] or a finish reason: the reply was cut off.
            raise ConnectionLostError("the stream ended before the reply was finished")

    def _read_chunk(self, payload: str) -> tuple[str, str]:
        """Read one data payload; return its (reasoning text, reply text)."""
        try:
            chunk = json.loads(payload)
        except ValueError:
            raise InvalidResponseError("a stream chunk was not JSON") from None
        if not isinstance(chunk, dict):
            return "", ""
        for attribute, key in (
            ("provider", "provider"),
            ("model", "model"),
            ("generation_id", "id"),
        ):
            value = chunk.get(key)
            if isinstance(value, str) and value:
                setattr(self, attribute, value)
        if chunk.get("usage"):
            self.usage = Usage.from_body(chunk["usage"])
        if chunk.get("error") or chunk.get("object") == "error":
            # OpenRouter's {"error": {...}} chunk, or vLLM's top-level error object.
            error = error_from_body(chunk, 200, None)
            error.provider = error.provider or self.provider
            raise error
        choices = chunk.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            return "", ""  # e.g. the final usage chunk with empty choices
        choice = choices[0]
        finish = choice.get("finish_reason")
        if finish:
            self.finish_reason = finish
            self.finished = True
        delta = choice.get("delta") if isinstance(choice.get("delta"), dict) else {}
        self._add_tool_parts(delta.get("tool_calls"))
        self._reasoning_details.extend(reasoning_details_of(delta))
        thought = reasoning_text_of(delta)
        text = delta.get("content")
        if finish == "error":
            self.reasoning += thought
            self.text += text if isinstance(text, str) else ""
            raise ProviderError("the model stopped with an error", provider=self.provider)
        return thought, text if isinstance(text, str) else ""

    def _add_tool_parts(self, parts: Any) -> None:
        if not isinstance(parts, list):
            return
        for part in parts:
            if not isinstance(part, dict):
                continue
            call_id = part.get("id") if isinstance(part.get("id"), str) else ""
            raw = part.get("index")
            last = max(self._tool_parts, default=-1)
            if isinstance(raw, int):
                index = self._slot_of.get(raw, raw if raw not in self._tool_parts else last + 1)
            else:
                # No index (some OpenAI-compatible servers): a new id starts a new call,
                # a piece without one continues the last call.
                index = last + 1 if call_id or last < 0 else last
            slot = self._tool_parts.get(index)
            if slot is not None and call_id and slot["id"] and call_id != slot["id"]:
                # A server that numbers every call 0: a different id is a different call.
                index, slot = last + 1, None
            if isinstance(raw, int):
                self._slot_of[raw] = index
            if slot is None:
                slot = self._tool_parts[index] = {"id": "", "name": "", "arguments": ""}
            if call_id:
                slot["id"] = call_id
            function = part.get("function") if isinstance(part.get("function"), dict) else {}
            name = function.get("name")
            # Most providers send the name once; some repeat it in every piece.
            if isinstance(name, str) and name != slot["name"]:
                slot["name"] += name
            if isinstance(function.get("arguments"), str):
                slot["arguments"] += function["arguments"]


class WholeReply:
    """A reply that came in one piece to a streaming request, iterated as a stream is.

    Some OpenAI-compatible servers ignore ``stream: true``; their answer is still an answer.
    """

    def __init__(self, result: ChatResult) -> None:
        self.result = result
        self.text = ""
        self.reasoning = result.reasoning
        self.closed = False

    def __iter__(self) -> Iterator[Reasoning | Delta | Heartbeat]:
        if self.result.reasoning:
            yield Reasoning(self.result.reasoning)
        if self.result.content and not self.closed:
            self.text = self.result.content
            yield Delta(self.result.content)

    def close(self) -> None:
        """Nothing is open: the body was read whole."""
        self.closed = True
