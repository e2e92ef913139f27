"""The conversation page keeps each message's HTML between views and shows every change:
whatever writes a message, the next view shows it; what is per visitor (the CSRF token)
and per view (the edit forms' client_msg_id) is never kept."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.support import CANARY_KEY, CSRF_RE, Visitor, conversation_id_from, tiny_picture
from tests.support.fake_openrouter import Reply

# Columns whose change does not change the page: the stored HTML (the page's own copy of
# the text's rendering), the turn's lease (renewed while a reply streams) and the revision.
NOT_SHOWN = {
    "content_html",
    "reasoning_html",
    "html_version",
    "answering_until",
    "answered_by",
    "answer_so_far",
    "revision",
}
CLIENT_MSG_ID_RE = re.compile(r'name="client_msg_id" value="([^"]+)"')


@pytest.fixture
def keyed(each_db_visitor: Visitor) -> Visitor:
    """A visitor of each database whose replies come from the (fake) model."""
    assert each_db_visitor.save_key(CANARY_KEY).status_code == 303
    return each_db_visitor


def conversation(visitor: Visitor, *questions: str) -> str:
    cid = conversation_id_from(visitor.send(questions[0]))
    for question in questions[1:]:
        assert visitor.send(question, cid).status_code == 303
    return cid


def revision_of(app, message_id: int) -> int:
    from models import Message, db

    with app.app_context():
        return db.session.scalar(db.select(Message.revision).where(Message.id == message_id))


def message_ids(app, cid: str) -> list[int]:
    from models import Message, db

    with app.app_context():
        return list(
            db.session.scalars(
                db.select(Message.id).where(Message.conversation_id == cid).order_by(Message.id)
            )
        )


def execute(app, statement: str, **params) -> None:
    from models import db

    with app.app_context():
        db.session.execute(sa.text(statement), params)
        db.session.commit()


def test_every_column_the_page_shows_changes_the_revision(each_db_app, keyed):
    """The database, not the app, keeps the revision: a column added to message without
    recreating the triggers (migration 0014) fails here."""
    from models import Message

    cid = conversation(keyed, "My 2014 Civic shows P0420")
    question, reply = message_ids(each_db_app, cid)
    assert revision_of(each_db_app, question) != revision_of(each_db_app, reply)

    columns = [column.name for column in Message.__table__.columns]
    assert set(columns) >= NOT_SHOWN
    for name in columns:
        before = revision_of(each_db_app, reply)
        # Setting a column to itself is still an UPDATE of it, as any writer's would be.
        execute(each_db_app, f"UPDATE message SET {name} = {name} WHERE id = :id", id=reply)  # noqa: S608
        after = revision_of(each_db_app, reply)
        if name in NOT_SHOWN:
            assert after == before, name
        else:
            assert after != before, name


def page(visitor: Visitor, cid: str) -> str:
    response = visitor.get(f"/c/{cid}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("write", "shown"),
    [
        # Plain SQL, as a maintenance script or another tool would write.
        (
            "UPDATE message SET content = '## Rewritten *answer*' WHERE id = :reply",
            "<h2>Rewritten <em>answer</em></h2>",
        ),
        (
            "UPDATE message SET status = 'error', error_kind = 'rate_limited' WHERE id = :reply",
            "badge-error",
        ),
        ("UPDATE message SET model = 'other/model-9b' WHERE id = :reply", "other/model-9b"),
        (
            "UPDATE message SET content = 'Is P0171 related?' WHERE id = :question",
            "Is P0171 related?",
        ),
        ("UPDATE message SET finish_reason = 'length' WHERE id = :reply", "msg-cut-off"),
    ],
)
def test_a_change_by_any_writer_is_on_the_next_view(each_db_app, keyed, write, shown):
    cid = conversation(keyed, "My 2014 Civic shows P0420")
    question, reply = message_ids(each_db_app, cid)
    assert shown not in page(keyed, cid)
    assert shown not in page(keyed, cid)  # now kept
    execute(each_db_app, write, reply=reply, question=question)
    assert shown in page(keyed, cid)


def test_a_new_version_and_a_switch_back_show_on_the_kept_page(app, keyed_visitor, fake):
    fake.queue(Reply("Check the downstream oxygen sensor."))
    cid = conversation(keyed_visitor, "My Civic shows P0420")
    question, _reply = message_ids(app, cid)
    first = page(keyed_visitor, cid)
    assert "Check the downstream oxygen sensor." in first and "version-count" not in first

    fake.queue(Reply("Then check the catalyst."))
    edited = keyed_visitor.post(
        f"/c/{cid}/m/{question}/edit",
        {"message": "My Civic shows P0420 and P0171"},
        source=f"/c/{cid}",
    )
    assert edited.status_code == 303
    second = page(keyed_visitor, cid)
    assert "Then check the catalyst." in second and "P0420 and P0171" in second
    assert '<span class="version-count">2 / 2</span>' in second

    switched = keyed_visitor.post(
        f"/c/{cid}/versions", {"message_id": str(question)}, source=f"/c/{cid}"
    )
    assert switched.status_code == 303
    third = page(keyed_visitor, cid)
    assert "Check the downstream oxygen sensor." in third and "Then check" not in third
    assert '<span class="version-count">1 / 2</span>' in third


def test_a_picture_added_later_shows(each_db_app, keyed):
    from models import db

    cid = conversation(keyed, "What is this light?")
    question, _reply = message_ids(each_db_app, cid)
    assert "msg-pictures" not in page(keyed, cid)
    with each_db_app.app_context():
        db.session.add(tiny_picture(question, "dash.jpg"))
        db.session.commit()
    assert 'alt="dash.jpg"' in page(keyed, cid)


def test_each_session_gets_its_own_csrf_token_in_kept_html(app, client, visitor):
    cid = conversation(visitor, "Coolant light on", "And the fan runs on")
    mine = page(visitor, cid)
    # Another browser of the same owner (the owner cookie alone): a new session.
    other = app.test_client()
    owner = client.get_cookie(app.config["OWNER_COOKIE_NAME"])
    other.set_cookie(owner.key, owner.value)
    theirs = Visitor(other)
    their_page = page(theirs, cid)

    mine_tokens, their_tokens = set(CSRF_RE.findall(mine)), set(CSRF_RE.findall(their_page))
    assert len(mine_tokens) == 1 and len(their_tokens) == 1 and mine_tokens != their_tokens
    assert their_page.count('name="csrf_token"') == mine.count('name="csrf_token"') > 4

    # A message's own form (Regenerate) works from the page that got kept HTML.
    _question, reply = message_ids(app, cid)[-2:]
    token = their_tokens.pop()
    response = other.post(f"/c/{cid}/m/{reply}/regenerate", data={"csrf_token": token})
    assert response.status_code == 303


def test_edit_forms_carry_a_new_client_msg_id_on_every_view(app, visitor):
    from views import fragments

    cid = conversation(visitor, "Coolant light on", "And the fan runs on")
    first, second = page(visitor, cid), page(visitor, cid)
    ids_first, ids_second = CLIENT_MSG_ID_RE.findall(first), CLIENT_MSG_ID_RE.findall(second)
    # The composer and each question's edit form.
    assert len(ids_first) == len(ids_second) == 3
    assert len(set(ids_first) | set(ids_second)) == 6
    for html in (first, second):
        assert fragments._CSRF not in html and fragments._CLIENT_MSG_ID not in html


def test_every_page_with_kept_pieces_is_spliced_whole(app, visitor):
    """Kept HTML reaches a page through slot marks (``fragments.slot``): every page and
    fragment that shows messages or sidebar entries has them all and no mark left."""
    import json

    from views import fragments

    cids = [conversation(visitor, f"Question {n} about P0420") for n in range(3)]
    first_question = re.search(r'id="m(\d+)"', page(visitor, cids[0])).group(1)
    views = {
        "chat page": visitor.get("/").get_data(as_text=True),
        "conversation page": page(visitor, cids[0]),
        "all conversations": visitor.get("/conversations").get_data(as_text=True),
        "older conversations (JSON)": json.loads(
            visitor.client.get("/conversations", headers={"Accept": "application/json"}).data
        )["html"],
        "earlier messages (JSON)": json.loads(
            visitor.client.get(f"/c/{cids[0]}/earlier?before={int(first_question) + 1}").data
        )["html"],
    }
    for name, html in views.items():
        assert fragments._SLOT_MARK not in html and "<!--slot-" not in html, name
        assert fragments._CSRF not in html and fragments._CLIENT_MSG_ID not in html, name
    for name in (
        "chat page",
        "conversation page",
        "all conversations",
        "older conversations (JSON)",
    ):
        assert all(f'id="conv-{cid}"' in views[name] for cid in cids), name
    assert "Question 0 about P0420" in views["conversation page"]
    assert f'id="m{first_question}"' in views["earlier messages (JSON)"]


def test_a_refused_edit_is_shown_open_with_its_text_and_not_kept(app, visitor):
    cid = conversation(visitor, "Coolant light on")
    question, _reply = message_ids(app, cid)
    page(visitor, cid)
    too_long = "x" * (app.config["MAX_MESSAGE_LENGTH"] + 1)
    refused = visitor.post(
        f"/c/{cid}/m/{question}/edit", {"message": too_long}, source=f"/c/{cid}"
    ).get_data(as_text=True)
    assert '<details class="edit" open>' in refused and too_long in refused
    later = page(visitor, cid)
    assert '<details class="edit" open>' not in later and too_long not in later


def test_without_a_cache_the_page_is_the_same(make_app):
    app = make_app(PAGE_CACHE_MB="0")
    visitor = Visitor(app.test_client())
    cid = conversation(visitor, "My 2014 Civic shows P0420")
    first, second = page(visitor, cid), page(visitor, cid)
    assert len(app.extensions["fragments"]) == 0

    def messages(html: str) -> str:
        listed = re.search(r'<ol class="messages".*?</ol>', html, re.S)
        assert listed
        # A CSRF token carries the second it was signed in: two views can differ there.
        return CSRF_RE.sub("", CLIENT_MSG_ID_RE.sub("", listed.group(0)))

    assert messages(first) == messages(second)
    assert "My 2014 Civic shows P0420" in messages(first)


def sidebar_entry(html: str, cid: str) -> str:
    entry = re.search(rf'<li class="conv-item" id="conv-{cid}".*?</li>', html, re.S)
    assert entry, cid
    return entry.group(0)


def test_a_sidebar_entry_shows_every_change_by_any_writer(each_db_app, keyed):
    """Sidebar entries are kept too: a rename, a pin and new activity, through the app or
    by plain SQL (another worker), show on the next view; so does which one is open."""
    first = conversation(keyed, "Coolant light on")
    second = conversation(keyed, "Brake pedal feels soft")
    entry = sidebar_entry(page(keyed, second), first)
    assert "aria-current" not in entry and "Pin to the top" in entry

    assert keyed.post(f"/c/{first}/rename", {"title": "Coolant <b>leak</b>"}).status_code == 303
    html = page(keyed, second)
    assert "Coolant &lt;b&gt;leak&lt;/b&gt;" in sidebar_entry(html, first)
    assert keyed.post(f"/c/{first}/pin", {"pinned": "1"}).status_code == 303
    assert "Unpin" in sidebar_entry(page(keyed, second), first)

    execute(
        each_db_app, "UPDATE conversation SET title = 'Renamed elsewhere' WHERE id = :id", id=first
    )
    execute(
        each_db_app,
        "UPDATE conversation SET updated_at = :when WHERE id = :id",
        when="2026-01-02 03:04:05+00:00",
        id=first,
    )
    entry = sidebar_entry(page(keyed, second), first)
    assert "Renamed elsewhere" in entry and "2026-01-02 03:04 UTC" in entry

    # The open conversation is marked, in its own entry only, and its Actions menu (kept
    # too) shows what the entry shows.
    html = page(keyed, first)
    actions = re.search(r'<details class="conv-actions".*?</details>', html, re.S)
    assert actions and 'value="Renamed elsewhere"' in actions.group(0)
    assert "Unpin" in actions.group(0)
    assert keyed.post(f"/c/{first}/pin", {"pinned": "0"}).status_code == 303
    assert "Pin to the top" in page(keyed, first).split('class="conv-actions"')[1]
    assert "aria-current" in sidebar_entry(html, first)
    assert "aria-current" not in sidebar_entry(html, second)
    assert "aria-current" not in sidebar_entry(page(keyed, second), first)


def test_the_cache_holds_at_most_its_size_and_drops_the_least_recently_shown():
    import sys

    from views.fragments import FragmentCache

    # Kept as UTF-8, as message_items cuts them.
    ascii_html, wide_html = (
        (b"<p>" + b"x" * 1000 + b"</p>",),
        (("<p>" + "輪" * 800 + "</p>").encode(),),
    )
    cache = FragmentCache(2 * sys.getsizeof(ascii_html[0]) + 10)
    cache.put("a", ascii_html)
    cache.put("b", ascii_html)
    assert cache.get("a") == ascii_html  # "a" is now the most recently shown
    cache.put("c", ascii_html)
    assert cache.get("b") is None and cache.get("a") and cache.get("c")
    # Sizes are bytes, not characters: fewer characters than one ASCII item, but CJK
    # text takes three bytes each in UTF-8, more than the whole cache holds.
    assert len(wide_html[0].decode()) < len(ascii_html[0].decode())
    assert 2 * len(ascii_html[0]) < sys.getsizeof(wide_html[0])
    cache.put("wide", wide_html)
    assert cache.get("wide") is None and len(cache) == 2
