"""A chat turn issues a fixed, small number of SQL statements, however long the
conversation: a count, not a time (timings are bench/'s business)."""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from models import db
from tests.support.fake_openrouter import Reply
from tests.support.streaming import SSE_HEADERS

# What a turn reads and writes: the conversation (ownership), the question (UPDATE of the
# conversation, INSERT), the context (one aggregate), the vehicle, the reply (the turn's
# lease released, INSERT, the conversation's time); a stream adds the question's fragment
# and the running totals.
EXPECTED = {"json": 8, "stream": 10}


@contextmanager
def counted(app):
    statements: list[str] = []
    with app.app_context():
        engine = db.engine

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def token_of(visitor) -> str:
    page = visitor.get("/").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def send(visitor, mode: str, text: str, conversation_id: str, token: str):
    headers = {"X-CSRFToken": token}
    if mode == "json":
        headers["Accept"] = "application/json"
        return visitor.client.post(
            "/chat", json={"message": text, "conversation_id": conversation_id}, headers=headers
        )
    return visitor.client.post(
        "/chat",
        data={"message": text, "conversation_id": conversation_id, "csrf_token": token},
        headers={**headers, **SSE_HEADERS},
    )


def conversation_of(visitor, fake, turns: int) -> str:
    conversation_id = None
    for n in range(turns):
        fake.queue(Reply(f"Answer {n}: check the brake fluid."))
        body = visitor.send_json(f"Question {n} about my brakes", conversation_id).get_json()
        conversation_id = body["conversation_id"]
    return conversation_id


@pytest.mark.parametrize("mode", ["json", "stream"])
def test_a_turn_issues_the_same_few_statements_whatever_the_history(app, keyed_visitor, fake, mode):
    counts = []
    for turns in (1, 15):
        conversation_id = conversation_of(keyed_visitor, fake, turns)
        token = token_of(keyed_visitor)
        fake.queue(Reply("Worn pads: replace them soon."))
        with counted(app) as statements:
            response = send(keyed_visitor, mode, "They squeal when cold", conversation_id, token)
            response.get_data()  # a stream runs while it is read
        assert response.status_code == 200
        assert "Worn pads" in response.get_data(as_text=True)
        counts.append(len(statements))
    assert counts == [EXPECTED[mode]] * 2, counts


def test_no_statement_reads_a_whole_conversation(app, keyed_visitor, fake):
    conversation_id = conversation_of(keyed_visitor, fake, 15)
    token = token_of(keyed_visitor)
    fake.queue(Reply("Check the caliper slides."))
    with counted(app) as statements:
        send(keyed_visitor, "stream", "And a pull to the left?", conversation_id, token).get_data()
    for statement in statements:
        if statement.lstrip().upper().startswith("SELECT") and "FROM message" in statement:
            # Aggregates and single rows only: nothing that grows with the conversation.
            assert re.search(r"max\(|sum\(|count\(|message\.id = |LIMIT", statement), statement
