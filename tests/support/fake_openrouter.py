"""A fake OpenRouter: a real HTTP server on loopback that speaks OpenRouter's wire format.

Tests queue behaviours (a reply, an error status, an error inside a 200, a delay)
and read back every request it received.
"""

from __future__ import annotations

import base64
import json
import math
import re
import socket
import struct
import sys
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# How a reasoning model's thinking is sent (``Reply.reasoning_shape``, ``Stream.reasoning_shape``):
# "openrouter": ``reasoning`` text beside ``reasoning_details`` of ``reasoning.text`` items, as
#     OpenRouter sends both in a message and in each stream delta (its reasoning-tokens docs);
# "details": only ``reasoning_details`` (some OpenRouter providers send no plain text);
# "summary": only ``reasoning_details`` of ``reasoning.summary`` items (OpenAI's o-series
#     through OpenRouter), followed by one ``reasoning.encrypted`` item;
# "reasoning_content": ``reasoning_content`` (DeepSeek's API, vLLM's reasoning parsers,
#     llama.cpp's server with ``--reasoning-format deepseek``).
REASONING_SHAPES = ("openrouter", "details", "summary", "reasoning_content")


def reasoning_fields(text: str, shape: str = "openrouter", index: int = 0) -> dict[str, Any]:
    """The fields a message or a stream delta carries for ``text`` of thinking in ``shape``."""
    if shape == "openrouter":
        detail = {"type": "reasoning.text", "text": text, "format": "unknown", "index": index}
        return {"reasoning": text, "reasoning_details": [detail]}
    if shape == "details":
        detail = {"type": "reasoning.text", "text": text, "format": "unknown", "index": index}
        return {"reasoning_details": [detail]}
    if shape == "summary":
        return {"reasoning_details": [
            {"type": "reasoning.summary", "summary": text, "format": "openai-responses-v1",
             "index": index},
            {"type": "reasoning.encrypted", "data": "gAAAAAB-opaque", "format":
             "openai-responses-v1", "index": index + 1},
        ]}  # fmt: skip
    if shape == "reasoning_content":
        return {"reasoning_content": text}
    raise ValueError(f"unknown reasoning shape {shape!r}")


@dataclass
class Reply:
    """A whole (non-streamed) completion; to a streaming request, the same as one Stream chunk.

    ``reasoning``: the model's thinking, sent in ``message`` as ``reasoning_shape`` says (see
    REASONING_SHAPES), e.g. ``Reply("Check the fuse.", reasoning="The horn relay...")``.
    ``finish_reason``: "stop" by default; "length" is OpenAI's and OpenRouter's word for a
    reply cut off at ``max_tokens``, e.g. ``Reply("", reasoning="Hmm...",
    finish_reason="length")`` is a reasoning model that spent its whole budget thinking.
    """

    text: str | None = None  # None: answer about the last user message
    model: str | None = None
    prompt_tokens: int = 42
    completion_tokens: int = 17
    delay: float = 0.0
    reasoning: str | None = None
    reasoning_shape: str = "openrouter"
    finish_reason: str = "stop"


@dataclass
class Error:
    """An error answer: ``{"error": {"code": status, "message": message, ...}}`` by default.

    ``fields``: more fields of the error object, overriding the defaults, e.g. OpenAI's
        ``{"code": "context_length_exceeded", "type": "invalid_request_error"}``, llama.cpp's
        ``{"type": "exceed_context_size_error", "n_prompt_tokens": 2300, "n_ctx": 2048}``,
        Ollama's ``{"type": "api_error", "param": None, "code": None}``.
    ``top_level``: send the error object as the whole body, without the ``"error"`` wrapper,
        as vLLM does: ``Error(400, "This model's maximum context length is 2048 tokens...",
        top_level=True)`` sends ``{"object": "error", "message": ..., "type":
        "BadRequestError", "param": null, "code": 400}`` (vLLM's ErrorResponse).
    ``headers``: more response headers, e.g. ``{"X-RateLimit-Reset": "1764633600000"}``
        (OpenRouter's rate-limit headers: the reset is in epoch milliseconds).
    """

    status: int
    message: str
    metadata: dict[str, Any] | None = None
    retry_after: str | None = None
    in_body_of_200: bool = False
    delay: float = 0.0
    fields: dict[str, Any] | None = None
    top_level: bool = False
    headers: dict[str, str] | None = None


@dataclass
class Stream:
    """A streamed reply: SSE chunks over chunked transfer encoding, as OpenRouter sends.

    ``reasoning``: pieces of thinking streamed before the text chunks, each a delta shaped as
    ``reasoning_shape`` says (see REASONING_SHAPES), e.g. ``Stream(["Replace the relay."],
    reasoning=["The horn ", "clicks..."])``.
    ``finish_reason``: of the last chunk, "stop" by default; ``Stream([], reasoning=["Hmm"],
    finish_reason="length")`` is a reasoning model cut off at ``max_tokens`` before any text.
    """

    chunks: list[str] = field(default_factory=lambda: ["Check ", "the ", "fuses."])
    delay: float = 0.0  # between chunks
    first_delay: float = 0.0  # before the first chunk (comments are sent meanwhile)
    comments: int = 1  # ": OPENROUTER PROCESSING" lines before the first chunk
    error_after: int | None = None  # mid-stream error after this many chunks
    error_message: str = "Provider disconnected unexpectedly"
    usage_shape: str = "empty_choices"  # or "empty_delta", or "none"
    prompt_tokens: int = 50
    completion_tokens: int = 12
    cost: float | None = None
    done: bool = True  # send "data: [DONE]"
    gate: threading.Event | None = None  # after the first chunk, wait for the test to open it
    finish: bool = True  # send the finish_reason chunk (False with done=False: a cut-off body)
    crlf: bool = False  # end lines with CRLF, as some servers do
    split: bool = False  # send each event in two writes, cutting through a UTF-8 character
    reasoning: list[str] = field(default_factory=list)
    reasoning_shape: str = "openrouter"
    finish_reason: str = "stop"


@dataclass
class Timed:
    """A reply that takes ``seconds`` in all: streamed in ``pieces``, or whole at the end."""

    seconds: float = 5.0
    pieces: int = 10


@dataclass
class ToolCalls:
    """A reply that asks for tools: ``calls`` are (name, arguments JSON text) pairs."""

    calls: list[tuple[str, str]]
    text: str = ""  # some models say something before calling
    prompt_tokens: int = 30
    completion_tokens: int = 8
    delay: float = 0.0


@dataclass
class ContextLimit:
    """A server that refuses a prompt over its window, in its own words.

    ``tokens``: the window. The prompt is counted as ``prompt_tokens()`` does (about a
    real tokenizer: 4 ASCII characters a token, one token per CJK character); like vLLM
    and OpenRouter, the request's ``max_tokens`` must fit beside it. ``style`` picks the
    refusal: "llamacpp" (``exceed_context_size_error`` with ``n_ctx``, llama.cpp's server),
    "vllm" (vLLM's top-level ErrorResponse) or "openrouter".
    """

    tokens: int
    style: str = "llamacpp"

    def refusal(self, prompt: int, reply: int) -> Error | None:
        """The error for a request of ``prompt`` + ``reply`` tokens, or None when it fits."""
        if prompt + reply <= self.tokens:
            return None
        if self.style == "llamacpp":
            return Error(
                400,
                "the request exceeds the available context size, try increasing it",
                fields={"type": "exceed_context_size_error", "n_prompt_tokens": prompt,
                        "n_ctx": self.tokens},
            )  # fmt: skip
        if self.style == "vllm":
            return Error(
                400,
                f"This model's maximum context length is {self.tokens} tokens. However, you "
                f"requested {prompt + reply} tokens ({prompt} in the messages, {reply} in the "
                "completion). Please reduce the length of the messages or completion.",
                top_level=True,
            )
        return Error(
            400,
            f"This endpoint's maximum context length is {self.tokens} tokens. However, you "
            f"requested about {prompt + reply} tokens ({prompt} of text input, {reply} in the "
            'output). Please reduce the length of either one, or use the "middle-out" '
            "transform to compress your prompt automatically.",
        )


# OpenRouter's answer when no provider of a model (often a free one) takes tools.
TOOLS_REFUSED = Error(
    404,
    "No endpoints found that support tool use. To learn more about provider routing, visit: "
    "https://openrouter.ai/docs/provider-routing",
)


def count_tokens(text: str) -> int:
    """Count tokens roughly as a real tokenizer does: ~4 ASCII characters, ~2 accented
    Latin, Greek or Cyrillic characters, and one CJK (or other) character per token."""
    total = 0.0
    for char in text:
        code = ord(char)
        if code < 128:
            total += 0.25
        elif code < 0x0530 or 0x1E00 <= code < 0x1F00:
            total += 0.5
        else:
            total += 1
    return math.ceil(total)


IMAGE_TOKENS = 1600  # what a picture costs this fake's counter, as a 1568-px one would
PICTURE_URL = re.compile(r"data:image/(jpeg|png|webp);base64,([A-Za-z0-9+/]+=*)")


def picture_parts(body: Any) -> list[dict[str, Any]]:
    """The image parts of a chat request's messages."""
    found = []
    for message in (body or {}).get("messages") or [] if isinstance(body, dict) else []:
        content = message.get("content")
        for part in content if isinstance(content, list) else ():
            if isinstance(part, dict) and part.get("type") == "image_url":
                found.append(part)
    return found


def image_refusal(body: Any, models: list[dict[str, Any]]) -> Error | None:
    """Refuse pictures as OpenRouter does: to a model without image input (404), and
    any part that is not a well-formed base64 data URL of a picture (400)."""
    parts = picture_parts(body)
    if not parts:
        return None
    entry = next((m for m in models if m["id"] == body.get("model")), None)
    if entry is not None and "image" not in entry["architecture"]["input_modalities"]:
        return Error(404, "No endpoints found that support image input")
    for part in parts:
        url = (part.get("image_url") or {}).get("url", "")
        match = PICTURE_URL.fullmatch(url)
        if match is None:
            return Error(400, "Invalid image URL: expected a base64 data URL")
        try:
            base64.b64decode(match.group(2), validate=True)
        except ValueError:
            return Error(400, "Invalid image data")
    return None


def models_of(state: Any) -> list[dict[str, Any]]:
    return state.models if state.models is not None else DEFAULT_MODELS


def prompt_tokens(body: dict[str, Any]) -> int:
    """The prompt's tokens: every message (4 tokens of framing each) and the tool schemas."""
    total = 0
    for message in body.get("messages") or []:
        total += 4
        content = message.get("content")
        if isinstance(content, str):
            total += count_tokens(content)
        for part in content if isinstance(content, list) else ():
            if part.get("type") == "text":
                total += count_tokens(part.get("text", ""))
            elif part.get("type") == "image_url":
                total += IMAGE_TOKENS
        for call in message.get("tool_calls") or []:
            total += count_tokens(json.dumps(call))
    if body.get("tools"):
        total += count_tokens(json.dumps(body["tools"]))
    return total


@dataclass
class Raw:
    """Any answer at all, e.g. a proxy's HTML error page: ``Raw(403, page, "text/html")``."""

    status: int
    body: bytes
    content_type: str = "text/plain"
    headers: dict[str, str] | None = None


@dataclass
class Trickle:
    """A whole reply (JSON, 200) whose body arrives in ``pieces``, ``interval`` s apart.

    Never silent for a whole read timeout, yet slow in all: only an overall deadline ends it.
    """

    text: str = "Check the fuses."
    pieces: int = 10
    interval: float = 0.5


@dataclass
class Reset:
    """The connection is reset (TCP RST): before any answer, or ``midway`` through one.

    ``midway``: a 200 starts first: to a streaming request the SSE events of ``chunks``
    (chunked, no end), to a whole one half of its JSON body (the Content-Length promising
    all of it); then the reset.
    """

    midway: bool = False
    chunks: list[str] = field(default_factory=lambda: ["Half an ", "answer"])


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any

    @property
    def messages(self) -> list[dict[str, Any]]:
        return self.body.get("messages", []) if isinstance(self.body, dict) else []


@dataclass
class FakeState:
    queue: deque = field(default_factory=deque)
    requests: list[Recorded] = field(default_factory=list)
    rejected_keys: set[str] = field(default_factory=set)
    on_chat: Any = None  # callable(Recorded) run before answering a chat call
    disconnects: int = 0  # streams the client closed before the end
    completed_streams: int = 0
    models: list[dict[str, Any]] | None = None  # None: the default catalog
    models_status: int = 200
    on_models: Any = None  # callable() run before answering GET /models
    context_limit: ContextLimit | None = None  # refuse prompts over a window, as servers do
    context_refusals: int = 0
    refuse_tools: Error | None = None  # the answer to any request that offers tools
    tools_refusals: int = 0


class FakeOpenRouter:
    """Run the fake on 127.0.0.1 with an OS-chosen port."""

    def __init__(self, port: int = 0, default: Any = None) -> None:
        """Serve on 127.0.0.1:port; ``default()`` gives the behaviour when nothing is queued."""
        self.default = default
        self.state = FakeState()
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out at once, as a real server's

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                fake._handle(self, "GET")

            def do_POST(self) -> None:
                fake._handle(self, "POST")

        class Server(ThreadingHTTPServer):
            request_queue_size = 1024  # hundreds of chats connect at once in the benchmark
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                # A client that hangs up (Stop, a timeout test) is expected here.
                if not isinstance(sys.exc_info()[1], ConnectionError):
                    super().handle_error(request, client_address)

        self.server = Server(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/api/v1"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- test controls

    def reset(self) -> None:
        with self.lock:
            self.state = FakeState()

    def queue(self, *behaviours: Reply | Error | Raw) -> None:
        with self.lock:
            self.state.queue.extend(behaviours)

    def reject_key(self, key: str) -> None:
        self.state.rejected_keys.add(key)

    @property
    def requests(self) -> list[Recorded]:
        return list(self.state.requests)

    @property
    def chat_requests(self) -> list[Recorded]:
        return [r for r in self.state.requests if r.path.endswith("/chat/completions")]

    # -- serving

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        record = Recorded(method, handler.path, dict(handler.headers.items()), body)
        with self.lock:
            self.state.requests.append(record)

        if handler.path == "/api/v1/models" and method == "GET":
            # The catalog is public on OpenRouter: no key needed.
            if self.state.on_models is not None:
                self.state.on_models()
            if self.state.models_status != 200:
                return self._send_error(handler, Error(self.state.models_status, "catalog down"))
            models = self.state.models if self.state.models is not None else DEFAULT_MODELS
            return self._send_json(handler, 200, {"data": models})

        auth = handler.headers.get("Authorization", "")
        key = auth.removeprefix("Bearer ").strip()
        if not key:
            return self._send_error(handler, Error(401, "No auth credentials found"))
        if key in self.state.rejected_keys:
            return self._send_error(handler, Error(401, "User not found."))

        if handler.path == "/api/v1/key" and method == "GET":
            return self._send_json(handler, 200, self._key_body(key))
        if handler.path == "/api/v1/chat/completions" and method == "POST":
            if self.state.on_chat is not None:
                self.state.on_chat(record)
            limit = self.state.context_limit
            if limit is not None and isinstance(body, dict):
                # Checked before anything queued is used: the queue answers the retry.
                refusal = limit.refusal(prompt_tokens(body), int(body.get("max_tokens") or 0))
                if refusal is not None:
                    with self.lock:
                        self.state.context_refusals += 1
                    return self._send_error(handler, refusal)
            refusal = image_refusal(body, models_of(self.state))
            if refusal is not None:
                return self._send_error(handler, refusal)
            if self.state.refuse_tools is not None and isinstance(body, dict) and body.get("tools"):
                # A model whose endpoints take no tools, e.g. TOOLS_REFUSED.
                with self.lock:
                    self.state.tools_refusals += 1
                return self._send_error(handler, self.state.refuse_tools)
            with self.lock:
                if self.state.queue:
                    behaviour = self.state.queue.popleft()
                else:
                    behaviour = self.default() if self.default else Reply()
            return self._answer_chat(handler, record, behaviour)
        return self._send_error(handler, Error(404, f"Not found: {handler.path}"))

    def _answer_chat(
        self, handler: BaseHTTPRequestHandler, record: Recorded, behaviour: Any
    ) -> None:
        delay = getattr(behaviour, "delay", 0.0)
        if delay:
            time.sleep(delay)
        if isinstance(behaviour, Raw):
            return self._send(
                handler, behaviour.status, behaviour.body, behaviour.content_type, behaviour.headers
            )
        if isinstance(behaviour, Trickle):
            return self._trickle(handler, record, behaviour)
        if isinstance(behaviour, Reset):
            return self._reset(handler, record, behaviour)
        if isinstance(behaviour, Stream):
            return self._stream(handler, record, behaviour)
        if isinstance(behaviour, ToolCalls):
            return self._tool_calls(handler, record, behaviour)
        if (record.body or {}).get("stream") and isinstance(behaviour, Reply):
            text = behaviour.text if behaviour.text is not None else self._echo(record)
            spec = Stream(
                chunks=[text] if text else [],
                reasoning=[behaviour.reasoning] if behaviour.reasoning else [],
                reasoning_shape=behaviour.reasoning_shape,
                finish_reason=behaviour.finish_reason,
            )
            return self._stream(handler, record, spec)
        if isinstance(behaviour, Timed):
            if (record.body or {}).get("stream"):
                pieces = max(behaviour.pieces, 1)
                step = behaviour.seconds / pieces
                spec = Stream([f"piece {n} " for n in range(pieces)], delay=step,
                              first_delay=step, comments=1)  # fmt: skip
                return self._stream(handler, record, spec)
            time.sleep(behaviour.seconds)
            behaviour = Reply()
        if isinstance(behaviour, Error):
            return self._send_error(handler, behaviour)
        model = behaviour.model or (record.body or {}).get("model") or "fake/model"
        text = behaviour.text if behaviour.text is not None else self._echo(record)
        message = {"role": "assistant", "content": text, "refusal": None, "reasoning": None}
        if behaviour.reasoning:
            message.update(reasoning_fields(behaviour.reasoning, behaviour.reasoning_shape))
        body = {
            "id": f"gen-{uuid.uuid4().hex[:24]}",
            "provider": "FakeProvider",
            "model": model,
            "object": "chat.completion",
            "created": int(time.time()),
            "choices": [
                {
                    "logprobs": None,
                    "finish_reason": behaviour.finish_reason,
                    "native_finish_reason": behaviour.finish_reason,
                    "index": 0,
                    "message": message,
                }
            ],
            "usage": {
                "prompt_tokens": behaviour.prompt_tokens,
                "completion_tokens": behaviour.completion_tokens,
                "total_tokens": behaviour.prompt_tokens + behaviour.completion_tokens,
            },
        }
        return self._send_json(handler, 200, body)

    def _tool_calls(
        self, handler: BaseHTTPRequestHandler, record: Recorded, spec: ToolCalls
    ) -> None:
        calls = [
            {"id": f"call_{uuid.uuid4().hex[:12]}", "type": "function",
             "function": {"name": name, "arguments": arguments}}
            for name, arguments in spec.calls
        ]  # fmt: skip
        usage = {"prompt_tokens": spec.prompt_tokens, "completion_tokens": spec.completion_tokens,
                 "total_tokens": spec.prompt_tokens + spec.completion_tokens}  # fmt: skip
        model = (record.body or {}).get("model") or "fake/model"
        base = {"id": f"gen-{uuid.uuid4().hex[:24]}", "provider": "FakeProvider",
                "model": model, "created": int(time.time())}  # fmt: skip
        if not (record.body or {}).get("stream"):
            message = {"role": "assistant", "content": spec.text or None, "tool_calls": calls}
            choice = {"index": 0, "finish_reason": "tool_calls", "message": message}
            body = {**base, "object": "chat.completion", "choices": [choice], "usage": usage}
            return self._send_json(handler, 200, body)
        events: list[dict[str, Any] | str] = []
        if spec.text:
            events.append({"choices": [{"index": 0, "delta": {"content": spec.text}}]})
        for index, call in enumerate(calls):
            arguments = call["function"]["arguments"]
            half = len(arguments) // 2
            # As real providers do: id and name first, the arguments in fragments.
            first = {
                "index": index,
                "id": call["id"],
                "type": "function",
                "function": {"name": call["function"]["name"], "arguments": arguments[:half]},
            }
            rest = {"index": index, "function": {"arguments": arguments[half:]}}
            events.append({"choices": [{"index": 0, "delta": {"tool_calls": [first]}}]})
            events.append({"choices": [{"index": 0, "delta": {"tool_calls": [rest]}}]})  # fmt: skip
        events.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]})
        events.append({"choices": [], "usage": usage})
        events.append("[DONE]")
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        for event in events:
            data = event if isinstance(event, str) else json.dumps({**base, **event})
            payload = f"data: {data}\n\n".encode()
            handler.wfile.write(f"{len(payload):x}\r\n".encode() + payload + b"\r\n")
        handler.wfile.write(b"0\r\n\r\n")
        handler.wfile.flush()

    @staticmethod
    def _echo(record: Recorded) -> str:
        last = next((m["content"] for m in reversed(record.messages) if m["role"] == "user"), "")
        if isinstance(last, list):  # content parts: the text, and how many pictures
            texts = [p.get("text", "") for p in last if p.get("type") == "text"]
            pictures = sum(1 for p in last if p.get("type") == "image_url")
            last = " ".join(texts) + f" [{pictures} picture(s)]"
        return f"Fake mechanic answer about: {last[:80]}"

    def _stream(self, handler: BaseHTTPRequestHandler, record: Recorded, spec: Stream) -> None:
        model = (record.body or {}).get("model") or "fake/model"
        gen_id = f"gen-{uuid.uuid4().hex[:24]}"
        base = {"id": gen_id, "provider": "FakeProvider", "model": model,
                "object": "chat.completion.chunk", "created": int(time.time())}  # fmt: skip

        def event(payload: dict[str, Any] | str) -> bytes:
            data = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
            try:
                data.encode()
            except UnicodeEncodeError:  # a lone surrogate travels as its JSON escape
                data = json.dumps(payload)
            newline = "\r\n" if spec.crlf else "\n"
            return f"data: {data}{newline}{newline}".encode()

        def chunk(
            text: str | None, finish: str | None = None, thought: dict | None = None, **extra: Any
        ) -> bytes:
            delta = {"role": "assistant", "content": text, **(thought or {})}
            choice = {"index": 0, "delta": delta,
                      "finish_reason": finish, "native_finish_reason": finish}  # fmt: skip
            return event({**base, "choices": [choice], **extra})

        try:
            handler.send_response(200)
            handler.send_header("Content-Type", "text/event-stream")
            handler.send_header("Cache-Control", "no-cache")
            handler.send_header("Transfer-Encoding", "chunked")
            handler.send_header("X-Generation-Id", gen_id)
            handler.end_headers()

            def send(data: bytes) -> None:
                pieces = [data]
                if spec.split and len(data) > 2:
                    # Cut inside the first multi-byte character when there is one.
                    cut = next((i + 1 for i, b in enumerate(data) if b >= 0xC0), len(data) // 2)
                    pieces = [data[:cut], data[cut:]]
                for piece in pieces:
                    handler.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                    handler.wfile.flush()
                    if len(pieces) > 1:
                        time.sleep(0.01)

            for _ in range(spec.comments):
                send(b": OPENROUTER PROCESSING\n\n")
                if spec.first_delay:
                    time.sleep(spec.first_delay / max(spec.comments, 1))
            if spec.first_delay and not spec.comments:
                time.sleep(spec.first_delay)
            for index, thought in enumerate(spec.reasoning):
                # OpenRouter sends thinking with an empty content beside it.
                send(chunk("", thought=reasoning_fields(thought, spec.reasoning_shape, index)))
            for index, text in enumerate(spec.chunks):
                if spec.error_after is not None and index == spec.error_after:
                    error = {"code": "server_error", "message": spec.error_message}
                    send(chunk("", "error", error=error))
                    break
                if index == 1 and spec.gate is not None:
                    spec.gate.wait(timeout=30)
                if index and spec.delay:
                    time.sleep(spec.delay)
                send(chunk(text))
            else:
                usage = {"prompt_tokens": spec.prompt_tokens,
                         "completion_tokens": spec.completion_tokens,
                         "total_tokens": spec.prompt_tokens + spec.completion_tokens}  # fmt: skip
                if spec.cost is not None:
                    usage["cost"] = spec.cost
                if not spec.finish:
                    pass
                elif spec.usage_shape == "empty_choices":
                    send(chunk(None, spec.finish_reason))
                    send(event({**base, "choices": [], "usage": usage}))
                elif spec.usage_shape == "empty_delta":
                    send(chunk("", spec.finish_reason, usage=usage))
                else:
                    send(chunk(None, spec.finish_reason))
                if spec.done:
                    send(event("[DONE]"))
            handler.wfile.write(b"0\r\n\r\n")
            handler.wfile.flush()
            with self.lock:
                self.state.completed_streams += 1
        except (BrokenPipeError, ConnectionResetError):
            with self.lock:
                self.state.disconnects += 1

    @staticmethod
    def _key_body(key: str) -> dict[str, Any]:
        return {
            "data": {
                "label": f"{key[:11]}...{key[-3:]}",
                "limit": 25.0,
                "usage": 3.5,
                "limit_remaining": 21.5,
                "limit_reset": None,
                "is_free_tier": False,
                "is_provisioning_key": False,
                "rate_limit": {"requests": 200, "interval": "10s"},
            }
        }

    def _send_error(self, handler: BaseHTTPRequestHandler, error: Error) -> None:
        payload: dict[str, Any] = {"code": error.status, "message": error.message}
        if error.top_level:
            # vLLM's ErrorResponse: the error object is the whole body.
            payload = {"object": "error", "message": error.message, "type": "BadRequestError",
                       "param": None, "code": error.status}  # fmt: skip
        if error.metadata:
            payload["metadata"] = error.metadata
        payload.update(error.fields or {})
        headers = {"Retry-After": error.retry_after} if error.retry_after else {}
        headers.update(error.headers or {})
        status = 200 if error.in_body_of_200 else error.status
        self._send_json(
            handler, status, payload if error.top_level else {"error": payload}, headers
        )

    def _send_json(
        self,
        handler: BaseHTTPRequestHandler,
        status: int,
        body: Any,
        headers: dict[str, str] | None = None,
    ) -> None:
        self._send(handler, status, json.dumps(body).encode(), "application/json", headers)

    def _whole_body(self, record: Recorded, text: str) -> bytes:
        model = (record.body or {}).get("model") or "fake/model"
        message = {"role": "assistant", "content": text}
        choice = {"index": 0, "finish_reason": "stop", "message": message}
        usage = {"prompt_tokens": 5, "completion_tokens": 5, "total_tokens": 10}
        body = {"id": f"gen-{uuid.uuid4().hex[:24]}", "model": model,
                "object": "chat.completion", "choices": [choice], "usage": usage}  # fmt: skip
        return json.dumps(body).encode()

    def _trickle(self, handler: BaseHTTPRequestHandler, record: Recorded, spec: Trickle) -> None:
        payload = self._whole_body(record, spec.text)
        step = max(1, math.ceil(len(payload) / max(spec.pieces, 1)))
        try:
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.flush()
            for start in range(0, len(payload), step):
                time.sleep(spec.interval)
                handler.wfile.write(payload[start : start + step])
                handler.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting, as it should

    def _reset(self, handler: BaseHTTPRequestHandler, record: Recorded, spec: Reset) -> None:
        try:
            if spec.midway and (record.body or {}).get("stream"):
                handler.send_response(200)
                handler.send_header("Content-Type", "text/event-stream")
                handler.send_header("Transfer-Encoding", "chunked")
                handler.end_headers()
                for text in spec.chunks:
                    delta = {"choices": [{"index": 0, "delta": {"content": text}}]}
                    event = f"data: {json.dumps(delta)}\n\n".encode()
                    handler.wfile.write(f"{len(event):x}\r\n".encode() + event + b"\r\n")
                    handler.wfile.flush()
                    time.sleep(0.05)  # the client reads each piece before the reset
            elif spec.midway:
                payload = self._whole_body(record, "".join(spec.chunks))
                handler.send_response(200)
                handler.send_header("Content-Type", "application/json")
                handler.send_header("Content-Length", str(len(payload)))
                handler.end_headers()
                handler.wfile.write(payload[: len(payload) // 2])
                handler.wfile.flush()
                time.sleep(0.05)
            # SO_LINGER with a zero timeout: close() sends RST, not FIN.
            handler.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
        except OSError:
            pass
        handler.close_connection = True
        handler.connection.close()

    @staticmethod
    def _send(
        handler: BaseHTTPRequestHandler,
        status: int,
        payload: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(payload)))
            for name, value in (headers or {}).items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test); nothing to answer


def model_entry(
    model_id: str,
    *,
    context_length: int = 65536,
    prompt: str = "0",
    completion: str = "0",
    tools: bool = False,
    images: bool = False,
) -> dict[str, Any]:
    """Build one ``GET /models`` entry in OpenRouter's shape (``images``: takes pictures)."""
    inputs = ["text", "image"] if images else ["text"]
    return {
        "id": model_id,
        "canonical_slug": model_id,
        "name": model_id.split("/")[-1].replace("-", " ").title(),
        "created": 1735689600,
        "description": "A fake model.",
        "context_length": context_length,
        "architecture": {"modality": "text+image->text" if images else "text->text",
                         "input_modalities": inputs,
                         "output_modalities": ["text"], "tokenizer": "Other"},
        "pricing": {"prompt": prompt, "completion": completion, "request": "0", "image": "0"},
        "top_provider": {"context_length": context_length, "max_completion_tokens": 8192,
                         "is_moderated": False},
        "supported_parameters": ["max_tokens", "temperature", "stream"]
        + (["tools", "tool_choice"] if tools else []),
    }  # fmt: skip


def vllm_model_entry(model_id: str, *, max_model_len: int = 4096) -> dict[str, Any]:
    """Build one ``GET /v1/models`` entry as vLLM's OpenAI server answers (ModelCard)."""
    return {
        "id": model_id,
        "object": "model",
        "created": 1735689600,
        "owned_by": "vllm",
        "root": model_id,
        "parent": None,
        "max_model_len": max_model_len,
        "permission": [{"id": "modelperm-fake", "object": "model_permission",
                        "allow_sampling": True, "allow_logprobs": True}],
    }  # fmt: skip


def llamacpp_model_entry(
    model_id: str, *, n_ctx_train: int = 131072, n_ctx: int | None = None
) -> dict[str, Any]:
    """Build one ``GET /v1/models`` entry as llama.cpp's server answers.

    Its ``meta`` holds the GGUF's training window ``n_ctx_train``; newer servers add the
    running window ``n_ctx`` (which wins: it is what a request may use).
    """
    meta: dict[str, Any] = {"vocab_type": 2, "n_vocab": 128256, "n_ctx_train": n_ctx_train,
                            "n_embd": 4096, "n_params": 8030261248, "size": 4912898304}  # fmt: skip
    if n_ctx is not None:
        meta["n_ctx"] = n_ctx
    return {"id": model_id, "object": "model", "created": 1735689600, "owned_by": "llamacpp",
            "meta": meta}  # fmt: skip


DEFAULT_MODELS = [
    model_entry("deepseek/deepseek-chat-v3-0324:free", context_length=163840),
    model_entry("meta-llama/llama-3.3-70b-instruct:free", context_length=131072),
    model_entry(
        "openai/gpt-4o-mini",
        context_length=128000,
        prompt="0.00000015",
        completion="0.0000006",
        tools=True,
        images=True,
    ),
    model_entry(
        "anthropic/claude-3.5-haiku",
        context_length=200000,
        prompt="0.0000008",
        completion="0.000004",
        tools=True,
        images=True,
    ),
    model_entry("tiny/context-model", context_length=600, prompt="0.000001", completion="0.000002"),
]


def main() -> None:
    """Run the fake on its own (the benchmark starts it this way)."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--reply-seconds", type=float, default=5.0)
    parser.add_argument("--pieces", type=int, default=10, help="pieces of a streamed reply")
    args = parser.parse_args()
    fake = FakeOpenRouter(args.port, default=lambda: Timed(args.reply_seconds, args.pieces))
    print(fake.url, flush=True)
    try:
        fake.thread.join()
    except KeyboardInterrupt:
        fake.close()


if __name__ == "__main__":
    main()
