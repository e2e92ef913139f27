"""Long conversations open at their newest messages; a retry's answer replaces the failure."""

from __future__ import annotations

import re

import pytest

from tests.support import Visitor, conversation_id_from
from tests.support.fake_openrouter import Error, Reply


def message_ids(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<li class="msg msg-\w+[^"]*" id="m(\d+)"', page)]


@pytest.fixture
def long_conversation(app, keyed_visitor, fake):
    """A conversation of 121 messages: one sent through the app, 120 added as stored rows."""
    from models import Message, db

    fake.queue(Reply("The first answer."))
    cid = conversation_id_from(keyed_visitor.send("Message 0"))
    with app.app_context():
        tip = db.session.scalar(
            db.select(db.func.max(Message.id)).where(Message.conversation_id == cid)
        )
        for n in range(1, 61):
            question = Message(
                conversation_id=cid, role="user", content=f"Message {n}", parent_id=tip
            )
            db.session.add(question)
            db.session.flush()
            answer = Message(
                conversation_id=cid,
                role="assistant",
                content=f"Answer {n}",
                reply_to_id=question.id,
                parent_id=question.id,
            )
            db.session.add(answer)
            db.session.flush()
            tip = answer.id
        db.session.commit()
        ids = list(
            db.session.scalars(
                db.select(Message.id).where(Message.conversation_id == cid).order_by(Message.id)
            )
        )
    return cid, ids


def test_the_page_shows_the_newest_page_and_links_to_the_one_before(
    keyed_visitor, long_conversation
):
    cid, ids = long_conversation
    page = keyed_visitor.get(f"/c/{cid}").get_data(as_text=True)
    assert message_ids(page) == ids[-40:]
    assert "Answer 60" in page and "The first answer." not in page
    link = re.search(r'<p class="earlier" id="earlier">\s*<a class="button" href="([^"]+)"', page)
    assert link.group(1) == f"/c/{cid}?show=80#m{ids[-40]}"
    assert "Show 40 earlier messages" in page and "(82 not shown)" in page


def test_show_earlier_without_javascript_keeps_the_place(keyed_visitor, long_conversation):
    cid, ids = long_conversation
    page = keyed_visitor.get(f"/c/{cid}?show=80").get_data(as_text=True)
    assert message_ids(page) == ids[-80:]
    assert f'href="/c/{cid}?show=120#m{ids[-80]}"' in page
    page = keyed_visitor.get(f"/c/{cid}?show=120").get_data(as_text=True)
    # The last page is what is left (2 messages), and then no link at all.
    assert "Show 2 earlier messages" in page
    page = keyed_visitor.get(f"/c/{cid}?show=122").get_data(as_text=True)
    assert message_ids(page) == ids and 'id="earlier"' not in page


@pytest.mark.parametrize("show", ["0", "-5", "abc", "99999999999999999999"])
def test_odd_show_values_give_a_normal_page(keyed_visitor, long_conversation, show):
    cid, ids = long_conversation
    response = keyed_visitor.get(f"/c/{cid}?show={show}")
    assert response.status_code == 200
    shown = message_ids(response.get_data(as_text=True))
    assert shown == ids[-40:] or shown == ids  # a huge number shows them all (capped)


def test_the_earlier_page_comes_as_html_for_the_script(keyed_visitor, long_conversation):
    cid, ids = long_conversation
    body = keyed_visitor.get(
        f"/c/{cid}/earlier?before={ids[-40]}", headers={"Accept": "application/json"}
    ).get_json()
    assert body["count"] == 40 and body["remaining"] == 42
    assert message_ids(body["html"]) == ids[-80:-40]
    # Its own "show earlier" link, for the page before it.
    assert f'data-url="/c/{cid}/earlier?before={ids[-80]}"' in body["html"]
    last = keyed_visitor.get(f"/c/{cid}/earlier?before={ids[2]}").get_json()
    assert last["count"] == 2 and last["remaining"] == 0 and 'id="earlier"' not in last["html"]


def test_the_earlier_page_is_the_owners_only(client, long_conversation):
    cid, ids = long_conversation
    stranger = Visitor(client.application.test_client())
    assert stranger.get(f"/c/{cid}/earlier?before={ids[-1]}").status_code == 404
    assert stranger.get(f"/c/{cid}?show=200").status_code == 404


@pytest.mark.parametrize("before", ["", "x", "0", "-1"])
def test_a_bad_before_is_a_clear_400(keyed_visitor, long_conversation, before):
    cid, _ids = long_conversation
    response = keyed_visitor.get(f"/c/{cid}/earlier?before={before}")
    assert response.status_code == 400
    assert response.get_json()["error"]["message"] == "before must be a message id."


def test_the_page_reads_one_page_of_messages_not_the_whole_conversation(
    app, keyed_visitor, long_conversation
):
    import sqlalchemy as sa

    from models import db

    cid, _ids = long_conversation
    loaded: list[int] = []

    def count_rows(conn, cursor, statement, parameters, context, executemany):
        # Statements that read message rows (aggregates such as the totals read none).
        if "FROM message" in statement and "message.content" in statement:
            loaded.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count_rows)
    try:
        keyed_visitor.get(f"/c/{cid}")
    finally:
        sa.event.remove(engine, "before_cursor_execute", count_rows)
    # Each message query is bounded, by a LIMIT or by a page's ids (those not kept from
    # an earlier view): none reads the conversation's every row.
    assert loaded, loaded
    for statement in loaded:
        ids = len(re.findall(r"%\(id_1_\d+\)s|\?", statement.split("WHERE", 1)[-1]))
        assert "LIMIT" in statement or 0 < ids <= 40, statement


def test_a_retry_answer_replaces_the_failed_card(app, keyed_visitor, fake):
    from models import Message, db

    fake.queue(Error(503, "No instances available"))
    cid = conversation_id_from(keyed_visitor.send("Coolant light on"))
    page = keyed_visitor.get(f"/c/{cid}").get_data(as_text=True)
    assert page.count("badge-error") == 1
    fake.queue(Error(500, "Internal"))
    keyed_visitor.post(f"/c/{cid}/retry", {})
    page = keyed_visitor.get(f"/c/{cid}").get_data(as_text=True)
    assert page.count("badge-error") == 1  # the newer failure, not both
    fake.queue(Reply("Check the coolant level when cold."))
    keyed_visitor.post(f"/c/{cid}/retry", {})
    page = keyed_visitor.get(f"/c/{cid}").get_data(as_text=True)
    assert "badge-error" not in page and "Check the coolant level when cold." in page
    with app.app_context():
        statuses = db.session.scalars(
            db.select(Message.status).where(Message.conversation_id == cid).order_by(Message.id)
        ).all()
    assert statuses == ["ok", "ok"]


def test_a_stopped_partial_is_kept_when_its_retry_answers(app, keyed_visitor, fake):
    from models import Message, db

    fake.queue(Reply("The whole answer."))
    cid = conversation_id_from(keyed_visitor.send("Squeal when braking"))
    with app.app_context():
        reply = db.session.scalars(
            db.select(Message).where(Message.conversation_id == cid, Message.role == "assistant")
        ).one()
        reply.status, reply.content = "stopped", "Partial text"
        db.session.commit()
    fake.queue(Reply("A full answer."))
    keyed_visitor.post(f"/c/{cid}/retry", {})
    # The retry's answer is shown; the partial stays as the earlier version, one click away.
    page = keyed_visitor.get(f"/c/{cid}").get_data(as_text=True)
    assert "A full answer." in page and "Partial text" not in page
    assert '<span class="version-count">2 / 2</span>' in page
    with app.app_context():
        stopped = db.session.scalars(
            db.select(Message).where(Message.conversation_id == cid, Message.status == "stopped")
        ).one()
    keyed_visitor.post(f"/c/{cid}/versions", {"message_id": str(stopped.id)})
    page = keyed_visitor.get(f"/c/{cid}").get_data(as_text=True)
    assert "Partial text" in page and "A full answer." not in page
    assert '<span class="version-count">1 / 2</span>' in page


def test_a_refused_edit_of_an_early_question_is_shown_open_with_its_text(
    app, keyed_visitor, long_conversation
):
    """An edit of a question outside the newest page, refused: the page reaches back to
    that question, shows its edit form open with the text and the reason, and focuses
    it; the message box stays as it was."""
    cid, ids = long_conversation
    question = ids[2]  # "Message 1", 118 messages from the end
    too_long = "x" * (app.config["MAX_MESSAGE_LENGTH"] + 1)
    response = keyed_visitor.post(
        f"/c/{cid}/m/{question}/edit", {"message": too_long}, source=f"/c/{cid}"
    )
    assert response.status_code >= 400
    page = response.get_data(as_text=True)
    assert question in message_ids(page)
    edit = re.search(rf'<textarea id="edit-{question}"[^>]*>([^<]*)</textarea>', page)
    assert edit and edit.group(1) == too_long and "autofocus" in edit.group(0)
    assert f'aria-describedby="edit-error-{question}"' in edit.group(0)
    assert re.search(rf'<p class="form-error" role="alert" id="edit-error-{question}">\S', page)
    composer = re.search(r'<textarea id="message"[^>]*>', page)
    assert composer and "aria-invalid" not in composer.group(0)
    assert "autofocus" not in composer.group(0) and 'id="message-error"' not in page


def test_switching_back_to_a_long_branch_opens_at_the_version_chosen(
    keyed_visitor, fake, long_conversation
):
    """‹ on an early question's new version brings back the long branch: the address asks
    for enough messages that the version chosen is on the page it opens."""
    cid, ids = long_conversation
    question = ids[2]
    fake.queue(Reply("A new answer."))
    edited = keyed_visitor.post(
        f"/c/{cid}/m/{question}/edit", {"message": "Message 1, reworded"}, source=f"/c/{cid}"
    )
    assert edited.status_code == 303
    back = keyed_visitor.post(
        f"/c/{cid}/versions", {"message_id": str(question)}, source=f"/c/{cid}"
    )
    assert back.status_code == 303
    address, _, anchor = back.headers["Location"].partition("#")
    assert anchor == f"m{question}" and "show=" in address
    page = keyed_visitor.get(address).get_data(as_text=True)
    assert question in message_ids(page) and "Answer 60" in page
