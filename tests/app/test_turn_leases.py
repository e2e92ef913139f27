"""A question whose worker is gone is answered "interrupted" on the next read, at once when
that worker was on this host and once its lease lapses when it was elsewhere."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest

from models import Message, db, utcnow, worker_id
from tests.support import Visitor, conversation_id_from
from tests.support.fake_openrouter import Reply

INTERRUPTED = "The answer was interrupted"


def ask_in_flight(app, visitor: Visitor, fake, *, until, by, so_far=None) -> str:
    """A conversation whose last question is held by a worker, as a turn in flight is."""
    fake.queue(Reply("Check the coolant level first."))
    cid = conversation_id_from(visitor.send("Temperature light came on"))
    with app.app_context():
        question = Message(
            conversation_id=cid,
            role="user",
            content="And now it smells sweet",
            parent_id=Message.tip_id_query(cid),
            answering_until=until,
            answered_by=by,
            answer_so_far=so_far,
        )
        db.session.add(question)
        db.session.commit()
    return cid


@pytest.mark.parametrize(
    ("until", "by"),
    [
        (-1, "a-machine-elsewhere:4242"),  # its lease lapsed
        (60, worker_id().rsplit(":", 1)[0] + ":999999999"),  # this host, the process is gone
    ],
    ids=["lapsed-lease", "dead-worker-here"],
)
def test_a_turn_whose_worker_is_gone_is_interrupted_with_its_text(
    app, keyed_visitor, fake, until, by
):
    visitor = keyed_visitor
    when = utcnow() + timedelta(seconds=until)
    cid = ask_in_flight(app, visitor, fake, until=when, by=by, so_far="Sweet smell means coolant")
    page = html.unescape(visitor.get(f"/c/{cid}").get_data(as_text=True))
    assert INTERRUPTED in page and "Sweet smell means coolant" in page
    assert f'action="/c/{cid}/retry"' in page
    fake.queue(Reply("A coolant leak into the cabin: check the heater core."))
    assert visitor.post(f"/c/{cid}/retry", {}, source=f"/c/{cid}").status_code == 303
    page = html.unescape(visitor.get(f"/c/{cid}").get_data(as_text=True))
    assert "check the heater core" in page and INTERRUPTED not in page


def test_a_turn_held_by_a_live_worker_is_not_offered_for_retry(app, keyed_visitor, fake):
    visitor = keyed_visitor
    cid = ask_in_flight(app, visitor, fake, until=utcnow() + timedelta(seconds=60), by=worker_id())
    page = visitor.get(f"/c/{cid}").get_data(as_text=True)
    assert "And now it smells sweet" in page
    assert INTERRUPTED not in page and f'action="/c/{cid}/retry"' not in page
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Message)) == 3


def test_a_slow_worker_that_answers_after_all_replaces_the_interrupted_card(app, make_app, fake):
    visitor = Visitor(app.test_client())
    cid = ask_in_flight(app, visitor, fake, until=utcnow() - timedelta(seconds=1), by="x:1")
    assert INTERRUPTED in visitor.get(f"/c/{cid}").get_data(as_text=True)
    with app.app_context():
        question = db.session.scalar(
            db.select(Message).where(Message.content == "And now it smells sweet")
        )
        late = Message(conversation_id=cid, role="assistant", content="Late but whole.",
                       reply_to_id=question.id, parent_id=question.id)  # fmt: skip
        db.session.add(late)
        db.session.flush()
        Message.supersede_failures(question.id, late.id)
        db.session.commit()
    page = visitor.get(f"/c/{cid}").get_data(as_text=True)
    assert "Late but whole." in page and INTERRUPTED not in page


def test_a_worker_that_stalled_past_its_lease_does_not_add_a_second_answer(
    app, keyed_visitor, fake
):
    """A worker paused longer than its lease (a VM stall, a frozen process) finishes after
    a Retry elsewhere answered: its answer is kept as a version, not shown beside it."""
    import threading

    gate = threading.Event()
    fake.state.on_chat = lambda _record: gate.wait(10)
    fake.queue(Reply("The stalled worker's answer."))
    outcome = {}
    sender = threading.Thread(
        target=lambda: outcome.setdefault("r", keyed_visitor.send_json("Hesitation at 2,000 rpm"))
    )
    sender.start()
    with app.app_context():
        wait_until = utcnow() + timedelta(seconds=10)
        question = None
        while question is None and utcnow() < wait_until:
            db.session.remove()
            question = db.session.scalar(
                db.select(Message).where(Message.content == "Hesitation at 2,000 rpm")
            )
        # Meanwhile another worker took the turn (a Retry) and answered it.
        question.answered_by = "another-machine:7"
        db.session.add(
            Message(conversation_id=question.conversation_id, role="assistant",
                    content="The Retry's answer.", reply_to_id=question.id,
                    parent_id=question.id)
        )  # fmt: skip
        db.session.commit()
        cid = question.conversation_id
    fake.state.on_chat = None
    gate.set()
    sender.join(30)
    page = keyed_visitor.get(f"/c/{cid}").get_data(as_text=True)
    assert "The Retry&#39;s answer." in page or "The Retry's answer." in page
    assert "The stalled worker" not in page  # one version on screen...
    assert "1 / 2" in page or "2 / 2" in page  # ...the other one click away
    with app.app_context():
        shown = db.session.scalars(
            db.select(Message.content).where(
                Message.conversation_id == cid, Message.role == "assistant", Message.on_path
            )
        ).all()
    assert shown == ["The Retry's answer."]
