"""Edit a question or regenerate an answer: earlier versions are kept as branches, the page
moves between them ("‹ 2 / 3 ›"), and the history sent upstream follows the branch on screen.
Runs on the run's database and on embedded SQLite."""

from __future__ import annotations

import json
import re

import pytest

from tests.support import CANARY_KEY, Visitor, conversation_id_from, csrf_token
from tests.support.fake_openrouter import Reply


def shown(page: str) -> list[str]:
    """The texts of the messages on screen, in order."""
    bodies = re.findall(
        r'<div dir="auto" class="msg-body msg-text">(.*?)</div>'
        r'|<div class="msg-body markdown"><p>(.*?)</p>',
        page,
        re.S,
    )
    return [user or reply for user, reply in bodies]


def versions(page: str) -> list[str]:
    return re.findall(r'<span class="version-count">(\d+ / \d+)</span>', page)


def upstream_history(fake) -> list[tuple[str, str]]:
    """What the last upstream call was sent, without the system message."""
    return [(m["role"], m["content"]) for m in fake.chat_requests[-1].messages[1:]]


@pytest.fixture
def talk(each_db_visitor: Visitor, fake):
    """A keyed visitor with a two-turn conversation: Q1 → A1, Q2 → A2."""
    assert each_db_visitor.save_key(CANARY_KEY).status_code == 303
    fake.queue(Reply("A1"))
    cid = conversation_id_from(each_db_visitor.send("Q1 my brakes squeal"))
    fake.queue(Reply("A2"))
    each_db_visitor.send("Q2 only when cold", cid)
    return each_db_visitor, cid


def ids_of(app, cid: str) -> dict[str, int]:
    from models import Message, db

    with app.app_context():
        rows = db.session.scalars(db.select(Message).where(Message.conversation_id == cid))
        return {m.content: m.id for m in rows}


def page_of(visitor: Visitor, cid: str) -> str:
    return visitor.get(f"/c/{cid}").get_data(as_text=True)


def test_editing_a_question_starts_a_branch_and_keeps_the_old_one(talk, fake, each_db_app):
    visitor, cid = talk
    ids = ids_of(each_db_app, cid)
    fake.queue(Reply("A1 edited"))
    response = visitor.post(
        f"/c/{cid}/m/{ids['Q1 my brakes squeal']}/edit", {"message": "Q1 my brakes grind"}
    )
    assert response.status_code == 303
    assert re.search(rf"/c/{cid}#m\d+$", response.headers["Location"])
    page = page_of(visitor, cid)
    assert shown(page) == ["Q1 my brakes grind", "A1 edited"]
    assert versions(page) == ["2 / 2"]
    # The edited question went up alone: the old branch is not its history.
    assert upstream_history(fake) == [("user", "Q1 my brakes grind")]

    # Back to version 1: the old question and everything after it return.
    visitor.post(f"/c/{cid}/versions", {"message_id": str(ids["Q1 my brakes squeal"])})
    page = page_of(visitor, cid)
    assert shown(page) == ["Q1 my brakes squeal", "A1", "Q2 only when cold", "A2"]
    assert versions(page) == ["1 / 2"]


def test_the_next_message_follows_the_branch_on_screen(talk, fake, each_db_app):
    visitor, cid = talk
    ids = ids_of(each_db_app, cid)
    fake.queue(Reply("A2 again"))
    visitor.post(f"/c/{cid}/m/{ids['Q2 only when cold']}/edit", {"message": "Q2 only when hot"})
    fake.queue(Reply("A3"))
    visitor.send("Q3 what next", cid)
    assert upstream_history(fake) == [
        ("user", "Q1 my brakes squeal"),
        ("assistant", "A1"),
        ("user", "Q2 only when hot"),
        ("assistant", "A2 again"),
        ("user", "Q3 what next"),
    ]
    # Switching back to the first Q2 brings its answer, not the new branch's Q3.
    visitor.post(f"/c/{cid}/versions", {"message_id": str(ids["Q2 only when cold"])})
    fake.queue(Reply("A4"))
    visitor.send("Q4 and then", cid)
    assert upstream_history(fake)[-3:] == [
        ("user", "Q2 only when cold"),
        ("assistant", "A2"),
        ("user", "Q4 and then"),
    ]


def test_regenerate_keeps_every_answer_as_a_version(talk, fake, each_db_app):
    visitor, cid = talk
    ids = ids_of(each_db_app, cid)
    fake.queue(Reply("A2 second try"))
    response = visitor.post(f"/c/{cid}/m/{ids['A2']}/regenerate", {})
    assert response.status_code == 303
    # The regenerated answer was asked with the same history as the first.
    assert upstream_history(fake) == [
        ("user", "Q1 my brakes squeal"),
        ("assistant", "A1"),
        ("user", "Q2 only when cold"),
    ]
    fake.queue(Reply("A2 third try"))
    visitor.post(f"/c/{cid}/m/{ids_of(each_db_app, cid)['A2 second try']}/regenerate", {})
    page = page_of(visitor, cid)
    assert shown(page)[-1] == "A2 third try" and versions(page) == ["3 / 3"]
    # ‹ goes to 2 / 3; at the last version › is off, at the first ‹ is.
    assert re.search(r'aria-label="Next version of this answer" disabled', page)
    previous = re.search(r'name="message_id" value="(\d+)">\s*<button[^>]*Previous version', page)
    visitor.post(f"/c/{cid}/versions", {"message_id": previous.group(1)})
    page = page_of(visitor, cid)
    assert shown(page)[-1] == "A2 second try" and versions(page) == ["2 / 3"]
    assert "disabled" not in re.search(r'<div class="versions".*?</div>', page, re.S).group(0)
    visitor.post(f"/c/{cid}/versions", {"message_id": str(ids["A2"])})
    page = page_of(visitor, cid)
    assert versions(page) == ["1 / 3"]
    assert re.search(r'aria-label="Previous version of this answer" disabled', page)


def test_edit_and_regenerate_answer_json_and_streams(talk, fake, each_db_app):
    visitor, cid = talk
    ids = ids_of(each_db_app, cid)
    token = csrf_token(visitor.client)
    fake.queue(Reply("A1 by JSON"))
    response = visitor.client.post(
        f"/c/{cid}/m/{ids['Q1 my brakes squeal']}/edit",
        json={"message": "Q1 edited by JSON"},
        headers={"X-CSRFToken": token, "Accept": "application/json"},
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["reply"] == "A1 by JSON" and body["conversation_id"] == cid

    fake.queue(Reply("A1 streamed"))
    response = visitor.client.post(
        f"/c/{cid}/m/{body['reply_id']}/regenerate",
        data={"csrf_token": token},
        headers={"Accept": "text/event-stream"},
    )
    events = response.get_data(as_text=True)
    assert "event: conversation" in events and "event: done" in events
    done = json.loads(events.split("event: done\ndata: ")[1].split("\n")[0])
    assert '<span class="version-count">2 / 2</span>' in done["html"]
    assert shown(page_of(visitor, cid)) == ["Q1 edited by JSON", "A1 streamed"]


def test_a_refused_edit_keeps_the_text_and_changes_nothing(talk, each_db_app):
    visitor, cid = talk
    ids = ids_of(each_db_app, cid)
    before = page_of(visitor, cid)
    too_long = "x" * (each_db_app.config["MAX_MESSAGE_LENGTH"] + 1)
    response = visitor.post(f"/c/{cid}/m/{ids['Q2 only when cold']}/edit", {"message": too_long})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "the limit is" in page and too_long in page and '<details class="edit" open>' in page
    response = visitor.post(f"/c/{cid}/m/{ids['Q2 only when cold']}/edit", {"message": "   "})
    assert response.status_code == 400 and "Type a message" in response.get_data(as_text=True)
    assert shown(page_of(visitor, cid)) == shown(before)


@pytest.mark.parametrize(
    "path",
    ["/c/{cid}/m/{q}/edit", "/c/{cid}/m/{a}/regenerate", "/c/{cid}/versions"],
)
def test_another_visitor_gets_404(talk, each_db_app, path):
    visitor, cid = talk
    ids = ids_of(each_db_app, cid)
    stranger = Visitor(each_db_app.test_client())
    url = path.format(cid=cid, q=ids["Q1 my brakes squeal"], a=ids["A1"])
    response = stranger.post(url, {"message": "mine now", "message_id": str(ids["A1"])})
    assert response.status_code == 404
    assert shown(page_of(visitor, cid)) == ["Q1 my brakes squeal", "A1", "Q2 only when cold", "A2"]


def test_wrong_targets_are_404_not_500(talk, each_db_app):
    visitor, cid = talk
    ids = ids_of(each_db_app, cid)
    # An answer cannot be edited, a question not regenerated, a foreign id not shown.
    assert visitor.post(f"/c/{cid}/m/{ids['A1']}/edit", {"message": "x"}).status_code == 404
    assert visitor.post(f"/c/{cid}/m/{ids['Q1 my brakes squeal']}/regenerate").status_code == 404
    for bad in ("", "abc", "-1", "0", str(2**70), "99999999"):
        assert visitor.post(f"/c/{cid}/versions", {"message_id": bad}).status_code in (303, 404)
    assert visitor.post(f"/c/{cid}/m/99999999/edit", {"message": "x"}).status_code == 404


def test_edit_and_regenerate_need_the_form_token(talk, each_db_app):
    visitor, cid = talk
    ids = ids_of(each_db_app, cid)
    response = visitor.client.post(
        f"/c/{cid}/m/{ids['Q1 my brakes squeal']}/edit", data={"message": "forged"}
    )
    assert response.status_code == 400
    assert "forged" not in page_of(visitor, cid)
