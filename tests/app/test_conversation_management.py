"""Rename, pin, delete with Undo, delete all, and a sidebar that pages: on the run's
database and on embedded SQLite."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.support import CANARY_KEY, Visitor, conversation_id_from, csrf_token
from tests.support.fake_openrouter import Reply


@pytest.fixture
def owner(each_db_visitor: Visitor, fake) -> Visitor:
    assert each_db_visitor.save_key(CANARY_KEY).status_code == 303
    return each_db_visitor


def start(visitor: Visitor, fake, text: str) -> str:
    fake.queue(Reply(f"About {text}"))
    return conversation_id_from(visitor.send(text))


def sidebar_titles(page: str) -> list[str]:
    return re.findall(r'<span class="conv-title" dir="auto">(.*?)</span>', page)


def groups(page: str) -> list[str]:
    return re.findall(r'<h3 class="conv-group-label">(.*?)</h3>', page)


def rows(app, table: str, **where) -> int:
    from models import Conversation, Message, db

    model = {"conversation": Conversation, "message": Message}[table]
    with app.app_context():
        query = db.select(db.func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return db.session.scalar(query)


# ---------------------------------------------------------------- rename


def test_rename_in_place_and_by_json(owner, fake):
    cid = start(owner, fake, "Brake squeal")
    response = owner.post(f"/c/{cid}/rename", {"title": "  Front   brakes \t squeal "})
    assert response.status_code == 303 and response.headers["Location"] == f"/c/{cid}"
    page = owner.get(f"/c/{cid}").get_data(as_text=True)
    assert "<h1>Front brakes squeal</h1>" in page and "Front brakes squeal" in sidebar_titles(page)
    response = owner.client.post(
        f"/c/{cid}/rename",
        json={"title": "Ölwechsel 🚗"},
        headers={"X-CSRFToken": csrf_token(owner.client), "Accept": "application/json"},
    )
    assert response.get_json() == {"id": cid, "title": "Ölwechsel 🚗"}


@pytest.mark.parametrize(
    ("title", "phrase"),
    [
        ("", "needs a name"),
        (" \t\n ", "needs a name"),
        ("\x00", "needs a name"),
        ("\u200b\u200b", "needs a name"),  # zero-width spaces: nothing to see
        ("\u202e\u2066", "needs a name"),  # direction controls alone
        ("x" * 121, "limit is 120"),
    ],
)
def test_a_bad_name_is_refused_and_the_old_one_kept(owner, fake, title, phrase):
    cid = start(owner, fake, "Brake squeal")
    response = owner.post(f"/c/{cid}/rename", {"title": title}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert phrase in page and "<h1>Brake squeal</h1>" in page
    response = owner.client.post(
        f"/c/{cid}/rename",
        json={"title": title},
        headers={"X-CSRFToken": csrf_token(owner.client), "Accept": "application/json"},
    )
    assert response.status_code == 400 and response.get_json()["error"]["kind"] == "bad_title"


# ---------------------------------------------------------------- pin and the sidebar


def test_pinned_conversations_head_the_sidebar(owner, fake):
    first = start(owner, fake, "Oil change interval")
    start(owner, fake, "Tire pressure")
    page = owner.get("/").get_data(as_text=True)
    assert sidebar_titles(page) == ["Tire pressure", "Oil change interval"]
    owner.post(f"/c/{first}/pin", {"pinned": "1", "next": "/"})
    page = owner.get("/").get_data(as_text=True)
    assert sidebar_titles(page) == ["Oil change interval", "Tire pressure"]
    assert groups(page) == ["Pinned", "Today"] and "Unpin" in page
    owner.post(f"/c/{first}/pin", {"pinned": "0"})
    assert groups(owner.get("/").get_data(as_text=True)) == ["Today"]


def test_the_sidebar_groups_by_the_visitors_local_day(owner, fake, each_db_app):
    from models import Conversation, db

    cids = [start(owner, fake, name) for name in ("Old", "Last week", "Yesterday", "Now")]
    now = datetime.now(UTC)
    with each_db_app.app_context():
        for cid, age in zip(cids, (40, 4, 1, 0), strict=True):
            db.session.get(Conversation, cid).updated_at = now - timedelta(days=age)
        db.session.commit()
    page = owner.get("/").get_data(as_text=True)
    assert groups(page) == ["Today", "Yesterday", "Last 7 days", "Older"]
    # A visitor 14 hours ahead may already be in tomorrow: the zone decides the day.
    owner.client.set_cookie("tz", "Pacific/Kiritimati")
    page = owner.get("/").get_data(as_text=True)
    local_hour = (now + timedelta(hours=14)).hour
    assert groups(page)[0] == "Today"
    assert len(groups(page)) == 4 or local_hour < 24
    owner.client.set_cookie("tz", "../../etc/passwd")
    assert owner.get("/").status_code == 200


@pytest.mark.parametrize(
    "zone_name, now",
    [
        # Clocks forward at midnight: 00:00-01:00 never happens that day.
        ("America/Santiago", datetime(2024, 9, 8, 15, tzinfo=UTC)),
        ("America/Asuncion", datetime(2023, 10, 1, 15, tzinfo=UTC)),
        # Clocks back at midnight: 00:00-01:00 happens twice.
        ("America/Santiago", datetime(2024, 4, 7, 15, tzinfo=UTC)),
        # Clocks forward and back in the small hours, and a half-hour zone.
        ("Europe/Berlin", datetime(2024, 3, 31, 12, tzinfo=UTC)),
        ("Europe/Berlin", datetime(2024, 10, 27, 12, tzinfo=UTC)),
        ("Australia/Lord_Howe", datetime(2024, 10, 6, 12, tzinfo=UTC)),
        # A whole day skipped (Samoa crossed the date line).
        ("Pacific/Apia", datetime(2011, 12, 31, 12, tzinfo=UTC)),
    ],
)
def test_sidebar_days_follow_the_local_calendar_across_clock_changes(zone_name, now):
    """Every ten minutes over nine days around a clock change, a row is grouped by its
    local calendar date against today's."""
    from zoneinfo import ZoneInfo

    from views.conversations import group_by_day

    zone = ZoneInfo(zone_name)

    class Row:
        pinned_at = None

        def __init__(self, updated_at: datetime) -> None:
            self.updated_at = updated_at

    rows = [Row(now - timedelta(minutes=10 * n)) for n in range(-6 * 24, 6 * 24 * 8)]
    today = now.astimezone(zone).date()
    expected: dict[str, list[Row]] = {}
    for row in rows:
        age = (today - row.updated_at.astimezone(zone).date()).days
        label = "Today" if age <= 0 else "Yesterday" if age == 1 else "Last 7 days"
        expected.setdefault("Older" if age >= 7 else label, []).append(row)
    got = dict(group_by_day(rows, now, zone))
    assert got == expected
    assert list(got) == ["Today", "Yesterday", "Last 7 days", "Older"]


def test_the_sidebar_pages_through_hundreds_of_conversations(owner, fake, each_db_app):
    from models import Conversation, db

    cid = start(owner, fake, "Chat 000")
    with each_db_app.app_context():
        owner_id = db.session.get(Conversation, cid).owner_id
    base = datetime.now(UTC) - timedelta(days=30)
    with each_db_app.app_context():
        db.session.get(Conversation, cid).updated_at = base
        for n in range(1, 130):
            db.session.add(
                Conversation(
                    owner_id=owner_id, title=f"Chat {n:03}", updated_at=base + timedelta(minutes=n)
                )
            )
        db.session.commit()
    page = owner.get("/").get_data(as_text=True)
    titles = sidebar_titles(page)
    assert titles[:2] == ["Chat 129", "Chat 128"] and len(titles) == 50
    link = re.search(r'href="(/conversations\?after=[^"]+)"', page).group(1).replace("&amp;", "&")
    seen = list(titles)
    while link:
        response = owner.get(link, headers={"Accept": "application/json"})
        body = response.get_json()
        seen += sidebar_titles(body["html"])
        link = body["next_url"]
    assert seen == [f"Chat {n:03}" for n in range(129, -1, -1)]
    # Without JavaScript the same pages are a plain page.
    plain = owner.get("/conversations").get_data(as_text=True)
    assert "All conversations" in plain and "Show older conversations" in plain
    for bad in ("nonsense", "1-zz", "x" * 200, "9" * 40 + "-" + "a" * 32, "-1-" + "a" * 32):
        assert owner.get(f"/conversations?after={bad}").status_code == 400


# ---------------------------------------------------------------- delete and undo


def test_delete_confirms_hides_at_once_and_undo_brings_it_back(owner, fake, each_db_app):
    cid = start(owner, fake, "Coolant leak at 1HGCM82633A004352")
    confirm = owner.get(f"/c/{cid}/delete").get_data(as_text=True)
    assert "Delete this conversation?" in confirm and "2 messages" in confirm
    response = owner.post(f"/c/{cid}/delete", {}, source=f"/c/{cid}")
    assert response.status_code == 303 and response.headers["Location"] == f"/?deleted={cid}"
    page = owner.get(response.headers["Location"]).get_data(as_text=True)
    assert "Coolant leak" not in "".join(sidebar_titles(page))
    assert "Undo" in page and owner.get(f"/c/{cid}").status_code == 404
    response = owner.post(f"/c/{cid}/restore", {})
    assert response.status_code == 303
    page = owner.get(f"/c/{cid}").get_data(as_text=True)
    assert "Coolant leak at 1HGCM82633A004352" in page


def test_after_undo_the_conversation_is_gone_from_the_database(owner, fake, each_db_app):
    from models import Conversation, db

    cid = start(owner, fake, "Coolant leak")
    keep = start(owner, fake, "Keep this one")
    owner.post(f"/c/{cid}/delete", {})
    with each_db_app.app_context():
        db.session.get(Conversation, cid).deleted_at = datetime.now(UTC) - timedelta(minutes=1)
        db.session.commit()
    result = each_db_app.test_cli_runner().invoke(args=["conversations", "purge-deleted"])
    assert "purged 1 " in result.output
    assert rows(each_db_app, "conversation", id=cid) == 0
    assert rows(each_db_app, "message", conversation_id=cid) == 0
    assert rows(each_db_app, "message", conversation_id=keep) == 2
    response = owner.post(f"/c/{cid}/restore", {}, headers={"Accept": "application/json"})
    assert response.status_code == 410 and "Too late" in response.get_json()["error"]["message"]


def test_requests_purge_expired_deletions_without_a_timer(owner, fake, each_db_app):
    from models import Conversation, db

    each_db_app.config["DELETE_PURGE_INTERVAL"] = 0
    cid = start(owner, fake, "Coolant leak")
    owner.post(f"/c/{cid}/delete", {})
    with each_db_app.app_context():
        db.session.get(Conversation, cid).deleted_at = datetime.now(UTC) - timedelta(minutes=1)
        db.session.commit()
    owner.get("/health")  # probes do no database work of ours
    assert rows(each_db_app, "conversation", id=cid) == 1
    owner.get("/settings")
    assert rows(each_db_app, "conversation", id=cid) == 0


def test_delete_all_needs_confirmation_and_removes_everything(owner, fake, each_db_app):
    cids = [start(owner, fake, name) for name in ("One", "Two", "Three")]
    other = Visitor(each_db_app.test_client())
    fake.queue(Reply("theirs"))
    theirs = conversation_id_from(other.send("Someone else's"))
    response = owner.post(
        "/conversations/delete-all", {}, source="/settings", follow_redirects=True
    )
    assert "Tick the box" in response.get_data(as_text=True)
    assert all(owner.get(f"/c/{cid}").status_code == 200 for cid in cids)
    response = owner.post(
        "/conversations/delete-all", {"confirm": "yes"}, source="/settings", follow_redirects=True
    )
    assert "Deleted 3 conversations" in response.get_data(as_text=True)
    assert all(rows(each_db_app, "conversation", id=cid) == 0 for cid in cids)
    assert other.get(f"/c/{theirs}").status_code == 200


# ---------------------------------------------------------------- ownership and forms


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/c/{cid}/rename"),
        ("post", "/c/{cid}/pin"),
        ("get", "/c/{cid}/delete"),
        ("post", "/c/{cid}/delete"),
        ("post", "/c/{cid}/restore"),
    ],
)
def test_another_visitor_gets_404_and_changes_nothing(owner, fake, each_db_app, method, path):
    cid = start(owner, fake, "Mine")
    stranger = Visitor(each_db_app.test_client())
    url = path.format(cid=cid)
    response = stranger.get(url) if method == "get" else stranger.post(url, {"title": "Stolen"})
    assert response.status_code in (404, 410)
    page = owner.get(f"/c/{cid}").get_data(as_text=True)
    assert "<h1>Mine</h1>" in page


def test_forms_without_the_token_are_refused(owner, fake):
    cid = start(owner, fake, "Mine")
    for path in (f"/c/{cid}/rename", f"/c/{cid}/delete", "/conversations/delete-all"):
        response = owner.client.post(path, data={"title": "x", "confirm": "yes"})
        assert response.status_code == 400
    assert owner.get(f"/c/{cid}").status_code == 200


def test_a_conversation_deleted_for_good_while_answering_costs_no_error(owner, fake, each_db_app):
    from models import Conversation, db

    cid = start(owner, fake, "Coolant leak")

    def purge_meanwhile(_request) -> None:
        with each_db_app.app_context():
            db.session.execute(db.delete(Conversation).where(Conversation.id == cid))
            db.session.commit()

    fake.state.on_chat = purge_meanwhile
    fake.queue(Reply("Check the hoses."))
    response = owner.client.post(
        "/chat",
        json={"message": "And the smell?", "conversation_id": cid},
        headers={"X-CSRFToken": csrf_token(owner.client), "Accept": "application/json"},
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["reply"] == "Check the hoses." and body["reply_id"] is None
    assert rows(each_db_app, "message", conversation_id=cid) == 0


def test_control_characters_leave_a_name(owner, fake):
    cid = start(owner, fake, "Brake squeal")
    owner.post(f"/c/{cid}/rename", {"title": "\x07Front\x1b brakes\u200b 👨\u200d🔧"})
    assert "<h1>Front brakes 👨\u200d🔧</h1>" in owner.get(f"/c/{cid}").get_data(as_text=True)


@pytest.mark.parametrize("value", ["", "2", "yes", "pin"])
def test_pin_takes_one_or_zero(owner, fake, value):
    cid = start(owner, fake, "Oil")
    response = owner.client.post(
        f"/c/{cid}/pin",
        json={"pinned": value},
        headers={"X-CSRFToken": csrf_token(owner.client), "Accept": "application/json"},
    )
    assert response.status_code == 400 and response.get_json()["error"]["kind"] == "bad_pinned"
    assert groups(owner.get("/").get_data(as_text=True)) == ["Today"]


def test_private_pages_are_not_kept_by_any_cache(owner, fake):
    cid = start(owner, fake, "Coolant leak")
    for path in ("/", f"/c/{cid}", "/settings", "/search?q=coolant", "/conversations"):
        assert owner.get(path).headers["Cache-Control"] == "no-store", path


@pytest.mark.parametrize(
    ("pinned", "unpinned"), [(0, 0), (3, 0), (0, 51), (3, 120), (50, 50), (51, 2), (120, 130)]
)
def test_a_sidebar_page_is_the_pinned_then_the_newest_whatever_the_mix(
    each_db_app, pinned, unpinned
):
    """The first page: every pinned conversation (at most a page of them, newest pin
    first), then a page of the others newest first, and a cursor when more remain; the
    next page continues exactly after it."""
    from models import Conversation, db

    start = datetime(2026, 11, 1, tzinfo=UTC)
    with each_db_app.app_context():
        for n in range(pinned + unpinned):
            db.session.add(
                Conversation(
                    owner_id="mix-owner",
                    title=f"c{n}",
                    updated_at=start + timedelta(minutes=n),
                    pinned_at=start + timedelta(hours=n) if n < pinned else None,
                )
            )
        db.session.add(Conversation(owner_id="someone-else", title="not theirs"))
        db.session.commit()

        page, cursor = Conversation.page_for_owner("mix-owner", 50)
        titles = [c.title for c in page]
        newest_pins = [f"c{n}" for n in reversed(range(pinned))][:50]
        others = [f"c{n}" for n in reversed(range(pinned, pinned + unpinned))]
        assert titles == newest_pins + others[:50]
        assert (cursor is not None) == (unpinned > 50)
        if cursor:
            more, _ = Conversation.page_for_owner("mix-owner", 50, cursor)
            assert [c.title for c in more] == others[50:100]
