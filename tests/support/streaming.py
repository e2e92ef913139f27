"""Reading Server-Sent Events: from the test client's body, or as they arrive on a socket."""

from __future__ import annotations

import json
import re

import sqlalchemy as sa

SSE_HEADERS = {"Accept": "text/event-stream"}


def parse_sse(text: str) -> list[tuple[str, dict | None]]:
    """Split an SSE body into (event, data) pairs; comments become ("comment", None)."""
    events = []
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        if block.startswith(":"):
            events.append(("comment", None))
            continue
        name, data = "message", []
        for line in block.split("\n"):
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
        events.append((name, json.loads("\n".join(data))))
    return events


def stream_chat(visitor, message: str, conversation_id: str | None = None):
    """Send a message asking for a stream; return the response and its parsed events."""
    token = re.search(r'name="csrf_token" value="([^"]+)"', visitor.get("/").text).group(1)
    data = {"csrf_token": token, "message": message}
    if conversation_id:
        data["conversation_id"] = conversation_id
    response = visitor.client.post("/chat", data=data, headers=SSE_HEADERS)
    return response, parse_sse(response.get_data(as_text=True))


def read_events(response):
    """Yield (event, data) as each one arrives on the socket."""
    buffer = ""
    for chunk in response.iter_content(chunk_size=None, decode_unicode=True):
        buffer += chunk
        while "\n\n" in buffer:
            block, buffer = buffer.split("\n\n", 1)
            yield from parse_sse(block + "\n\n")


def messages_in_db(url: str) -> list[tuple]:
    """Every message row, oldest first: (role, status, content, error_detail, error_kind)."""
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT role, status, content, CAST(error_detail AS TEXT), error_kind "
                "FROM message ORDER BY id"
            )
        ).all()
    engine.dispose()
    return [tuple(row) for row in rows]
