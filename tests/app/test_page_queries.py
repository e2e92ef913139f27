"""A conversation page costs the same statements however long the conversation is, and
shows each reply's stored HTML instead of rendering its Markdown on every view."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from itsdangerous import URLSafeSerializer

from tests.support import Visitor, csrf_token, tiny_picture

REPLY = """### P0420 on bank 1

1. Check for exhaust leaks.
2. Compare the oxygen sensors.

| Check | Tool |
|---|---|
| Leak | smoke machine |

```python
def trim(short, long):
    return short + long
```

> [!NOTE]
> Safe to drive for now. Reply {n}."""
QUESTION = "My Civic (VIN 2HGFB2F59EH512345) shows P0420. Safe to drive?"
WRITES = ("INSERT", "UPDATE", "DELETE")


@contextmanager
def statements(app, note=lambda connection, statement: statement) -> Iterator[list]:
    """Collect every SQL statement the app's engine sends inside the block, as
    ``note(connection, statement)`` gives it (the statement itself by default)."""
    from models import db

    seen: list = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(note(conn, statement))

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def owner_of(visitor: Visitor, app) -> str:
    visitor.get("/")
    cookie = visitor.client.get_cookie(app.config["OWNER_COOKIE_NAME"])
    return URLSafeSerializer(app.config["SECRET_KEY"], salt="owner-id").loads(cookie.value)


def build(app, owner: str, count: int) -> str:
    """A conversation of ``count`` messages with everything a message can show: fact cards
    and a picture on questions, a second version of every fifth question, reasoning and
    tool calls on replies."""
    from automotive.facts import facts_for
    from models import Conversation, Message, db

    facts = [fact.to_dict() for fact in facts_for(QUESTION)]
    with app.app_context():
        conversation = Conversation(owner_id=owner, title=f"{count} messages")
        db.session.add(conversation)
        db.session.flush()
        tip = None
        for n in range(count // 2):
            if n % 5 == 0:
                # An earlier version of this question, off the branch on screen.
                db.session.add(
                    Message(
                        conversation_id=conversation.id,
                        role="user",
                        content=f"Earlier wording {n}",
                        parent_id=tip,
                        chosen=False,
                        on_path=False,
                    )
                )
            question = Message(
                conversation_id=conversation.id,
                role="user",
                content=QUESTION,
                facts=facts,
                parent_id=tip,
            )
            db.session.add(question)
            db.session.flush()
            if n % 3 == 0:
                db.session.add(tiny_picture(question.id, f"dash-{n}.jpg"))
            answer = Message(
                conversation_id=conversation.id,
                role="assistant",
                content=REPLY.format(n=n),
                reasoning=f"The **lean** code comes first ({n})." if n % 4 == 0 else None,
                tool_calls=[{"name": "lookup_dtc", "arguments": "{}", "result": {"code": "P0420"}}]
                if n % 4 == 1
                else None,
                model="fake/model",
                reply_to_id=question.id,
                parent_id=question.id,
                prompt_tokens=100,
                completion_tokens=50,
                cost=0.0001,
            )
            db.session.add(answer)
            db.session.flush()
            tip = answer.id
        db.session.commit()
        return conversation.id


@pytest.fixture
def visitor(each_db_app, monkeypatch) -> Visitor:
    from views import conversations

    # The purge of deleted conversations runs every few seconds on whichever request
    # comes: not part of a page view, and it would land in a count now and then.
    monkeypatch.setattr(conversations, "_last_purge", float("inf"))
    return Visitor(each_db_app.test_client())


def view(visitor: Visitor, app, path: str) -> tuple[str, list[str]]:
    with statements(app) as seen:
        response = visitor.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True), seen


def writes(seen: list[str]) -> list[str]:
    return [s for s in seen if s.lstrip().upper().startswith(WRITES)]


def test_a_page_view_issues_the_same_statements_whatever_the_length(each_db_app, visitor):
    owner = owner_of(visitor, each_db_app)
    first, steady = {}, {}
    for count in (5, 40, 300):
        path = f"/c/{build(each_db_app, owner, count)}"
        page, seen = view(visitor, each_db_app, path)
        assert "P0420 on bank 1</h3>" in page and 'class="fact' in page
        first[count] = seen
        _page, steady[count] = view(visitor, each_db_app, path)

    counts = {count: len(seen) for count, seen in steady.items()}
    assert len(set(counts.values())) == 1, counts
    # The first view reads the messages whole (one statement), renders the replies once
    # and writes their HTML back in one more.
    for count, seen in first.items():
        assert [s.split()[0].upper() for s in writes(seen)] == ["UPDATE"], count
        assert len(seen) == counts[count] + 2
    # Later views only read.
    for count, seen in steady.items():
        assert writes(seen) == [], count


def test_the_earlier_page_issues_the_same_statements_whatever_the_length(each_db_app, visitor):
    from models import Message, db

    owner = owner_of(visitor, each_db_app)
    counts = []
    for count in (100, 300):
        cid = build(each_db_app, owner, count)
        with each_db_app.app_context():
            newest = db.session.scalar(
                db.select(db.func.max(Message.id)).where(Message.conversation_id == cid)
            )
        path = f"/c/{cid}/earlier?before={newest - 40}"
        _body, seen = view(visitor, each_db_app, path)
        assert len(writes(seen)) == 1
        _body, seen = view(visitor, each_db_app, path)
        assert writes(seen) == []
        counts.append(len(seen))
    assert counts[0] == counts[1]


def reply_of(app, cid: str):
    from models import Message, db

    with app.app_context():
        return db.session.scalars(
            db.select(Message)
            .options(sa.orm.undefer_group("html"))
            .where(Message.conversation_id == cid, Message.role == "assistant")
            .order_by(Message.id.desc())
            .limit(1)
        ).one()


def set_reply(app, reply_id: int, **values) -> None:
    from models import Message, db

    with app.app_context():
        db.session.execute(db.update(Message).where(Message.id == reply_id).values(**values))
        db.session.commit()


def new_worker(app) -> None:
    """Forget the HTML this app's worker kept, as a newly started worker would have none."""
    from views.fragments import FragmentCache

    app.extensions["fragments"] = FragmentCache(app.config["PAGE_CACHE_MB"] * 1024 * 1024)


def test_the_stored_html_is_what_the_page_shows(each_db_app, visitor):
    import rendering

    cid = build(each_db_app, owner_of(visitor, each_db_app), 2)
    visitor.get(f"/c/{cid}")
    reply = reply_of(each_db_app, cid)
    assert reply.html_version == rendering.html_version(reply.content, reply.reasoning)
    assert reply.content_html == str(rendering.render_markdown(reply.content))
    assert '<pre class="code"' in reply.content_html

    set_reply(each_db_app, reply.id, content_html="<p>Served from the row.</p>")
    new_worker(each_db_app)
    page = visitor.get(f"/c/{cid}").get_data(as_text=True)
    assert "<p>Served from the row.</p>" in page and "P0420 on bank 1" not in page


def test_html_of_another_renderer_is_rendered_again_and_replaced(each_db_app, visitor, monkeypatch):
    import rendering

    cid = build(each_db_app, owner_of(visitor, each_db_app), 2)
    visitor.get(f"/c/{cid}")
    reply = reply_of(each_db_app, cid)
    set_reply(each_db_app, reply.id, content_html="<p>Old renderer.</p>", html_version=12345)
    new_worker(each_db_app)
    page = visitor.get(f"/c/{cid}").get_data(as_text=True)
    assert "Old renderer." not in page and "P0420 on bank 1</h3>" in page
    assert reply_of(each_db_app, cid).html_version == reply.html_version

    # A new renderer (its source or a library changed) gives every reply a new version.
    monkeypatch.setattr(rendering, "RENDERER_VERSION", rendering.RENDERER_VERSION ^ 1)
    set_reply(each_db_app, reply.id, content_html="<p>Made by the last renderer.</p>")
    new_worker(each_db_app)
    page = visitor.get(f"/c/{cid}").get_data(as_text=True)
    assert "Made by the last renderer." not in page and "P0420 on bank 1</h3>" in page
    stored = reply_of(each_db_app, cid)
    assert stored.html_version != reply.html_version
    assert stored.html_version == rendering.html_version(stored.content, stored.reasoning)


def test_a_changed_or_new_reply_is_rendered_from_its_text(each_db_app, visitor):
    from models import Message, db

    cid = build(each_db_app, owner_of(visitor, each_db_app), 2)
    visitor.get(f"/c/{cid}")
    reply = reply_of(each_db_app, cid)
    # Whatever writes the text (here plain SQL), the stored HTML no longer matches it.
    set_reply(each_db_app, reply.id, content="## Rewritten *answer*")
    page = visitor.get(f"/c/{cid}").get_data(as_text=True)
    assert "<h2>Rewritten <em>answer</em></h2>" in page and "P0420 on bank 1" not in page
    assert "<h2>Rewritten" in reply_of(each_db_app, cid).content_html

    with each_db_app.app_context():
        db.session.add(
            Message(
                conversation_id=cid,
                role="assistant",
                content="A **new** reply.",
                reasoning="Thinking *hard*.",
                parent_id=reply.id,
                reply_to_id=reply.reply_to_id,
            )
        )
        db.session.commit()
    page = visitor.get(f"/c/{cid}").get_data(as_text=True)
    assert "<p>A <strong>new</strong> reply.</p>" in page
    assert "<p>Thinking <em>hard</em>.</p>" in page
    newest = reply_of(each_db_app, cid)
    assert newest.content_html == "<p>A <strong>new</strong> reply.</p>\n"
    assert newest.reasoning_html == "<p>Thinking <em>hard</em>.</p>\n"


def test_stored_html_stays_sanitized(each_db_app, visitor):
    cid = build(each_db_app, owner_of(visitor, each_db_app), 2)
    reply = reply_of(each_db_app, cid)
    set_reply(
        each_db_app,
        reply.id,
        content='<script>alert(1)</script>[x](javascript:alert(1)) <img src=x onerror="y">',
    )
    page = visitor.get(f"/c/{cid}").get_data(as_text=True)
    stored = reply_of(each_db_app, cid).content_html
    for html in (page, stored):
        assert "<script>alert" not in html and 'href="javascript:' not in html
        assert not re.search(r"<img[^>]*onerror", html)


def test_a_reply_read_without_its_html_is_rendered_without_a_query(each_db_app, visitor):
    """The turn shows its reply from a row read the usual way: no query per message."""
    import rendering
    from models import Message, db

    cid = build(each_db_app, owner_of(visitor, each_db_app), 2)
    visitor.get(f"/c/{cid}")  # the row now has stored HTML; this read leaves it unloaded
    reply_id = reply_of(each_db_app, cid).id
    with each_db_app.app_context():
        reply = db.session.get(Message, reply_id)
        with statements(each_db_app) as seen:
            html = reply.content_markup
            thinking = reply.reasoning_markup
        assert seen == []
        assert html == rendering.render_markdown(reply.content)
        assert thinking == rendering.render_markdown(reply.reasoning)


def test_the_html_columns_come_and_go_without_touching_the_rows(empty_database, tmp_path):
    from tests.app.test_migrations_branches import OLD_ROWS, fill_old_schema, migrate_to

    def triggers(connection) -> set[str]:
        if connection.dialect.name != "sqlite":
            return set()
        return set(
            connection.scalars(sa.text("SELECT name FROM sqlite_master WHERE type='trigger'"))
        )

    fill_old_schema(empty_database, tmp_path)
    migrate_to(empty_database, "0011", tmp_path)
    engine = sa.create_engine(empty_database)
    with engine.connect() as connection:
        before = triggers(connection)
    migrate_to(empty_database, "0012", tmp_path)
    with engine.begin() as connection:
        columns = {c["name"] for c in sa.inspect(connection).get_columns("message")}
        assert {"content_html", "reasoning_html", "html_version"} <= columns
        assert connection.scalar(sa.text("SELECT count(*) FROM message WHERE html_version IS NULL"))
        connection.execute(
            sa.text("UPDATE message SET content_html = '<p>x</p>', html_version = 7")
        )
    engine.dispose()

    migrate_to(empty_database, "0011", tmp_path, down=True)
    with engine.connect() as connection:
        columns = {c["name"] for c in sa.inspect(connection).get_columns("message")}
        links = dict(connection.execute(sa.text("SELECT content, reply_to_id FROM message")).all())
        after = triggers(connection)
    engine.dispose()
    assert not {"content_html", "reasoning_html", "html_version"} & columns
    # SQLite drops the columns in place: no table copy to lose links or search triggers.
    assert links == {name: reply_to for _id, _role, name, _status, reply_to in OLD_ROWS}
    assert after == before


def test_a_page_without_edits_or_pictures_reads_neither(each_db_app, visitor):
    """Versions and pictures are read only for a page that has some: two statements fewer
    than the same page with an edited question and a picture."""
    from models import Attachment, Message, db

    owner = owner_of(visitor, each_db_app)
    cid = build(each_db_app, owner, 40)
    with each_db_app.app_context():
        db.session.execute(db.delete(Attachment))
        db.session.execute(db.delete(Message).where(Message.on_path.is_(False)))
        db.session.commit()
    view(visitor, each_db_app, f"/c/{cid}")
    _page, plain = view(visitor, each_db_app, f"/c/{cid}")

    full = build(each_db_app, owner, 40)
    view(visitor, each_db_app, f"/c/{full}")
    page, rich = view(visitor, each_db_app, f"/c/{full}")
    assert 'class="version-count"' in page and 'class="msg-pictures"' in page
    assert len(plain) == len(rich) - 2
    assert not any("FROM attachment" in s and "EXISTS" not in s for s in plain)


def transaction_of_each_statement(app):
    """``statements`` as (its first word, whether it ran in a transaction): psycopg2
    sends BEGIN first unless the connection is in autocommit."""
    return statements(
        app,
        lambda connection, statement: (
            statement.lstrip().split()[0].upper(),
            not connection.connection.autocommit,
        ),
    )


def test_a_page_view_reads_outside_a_transaction_and_writes_inside_one(make_app, fake):
    """A GET sends no BEGIN and no ROLLBACK for its reads; what it writes (a reply's HTML,
    an interrupted turn's record) runs in a transaction; and the connection it used goes
    back to the pool as any other, so the next POST's writes are in a transaction too."""
    from models import Message, db, utcnow

    # One connection, so every request below gets the one the page view used.
    app = make_app(DB_POOL_SIZE="1", DB_MAX_OVERFLOW="0")
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL only: SQLite's driver sends no BEGIN before a read")
    visitor = Visitor(app.test_client())
    cid = build(app, owner_of(visitor, app), 6)
    page = f"/c/{cid}"

    with transaction_of_each_statement(app) as first:  # renders and stores the replies' HTML
        assert visitor.get(page).status_code == 200
    update = first.index(("UPDATE", True))
    assert first[:update] and not any(in_tx for _, in_tx in first[:update])

    with transaction_of_each_statement(app) as again:
        assert visitor.get(page).status_code == 200
    assert again and {kind for kind, _ in again} == {"SELECT"}  # versions and pictures too
    assert not any(in_tx for _, in_tx in again)

    token = csrf_token(visitor.client, page)  # a GET of its own, outside the count
    with transaction_of_each_statement(app) as rename:
        form = {"csrf_token": token, "title": "P0420 again"}
        assert visitor.client.post(f"/c/{cid}/rename", data=form).status_code == 303
    assert rename and all(in_tx for _, in_tx in rename)

    # A turn whose worker is gone: the next view records it interrupted, two writes that
    # commit together.
    with app.app_context():
        question = Message(
            conversation_id=cid,
            role="user",
            content="And now it idles rough",
            parent_id=Message.tip_id_query(cid),
            answering_until=utcnow(),
            answered_by="a-machine-elsewhere:4242",
            answer_so_far="Check the",
        )
        db.session.add(question)
        db.session.commit()
    with transaction_of_each_statement(app) as settled:
        body = visitor.get(page).get_data(as_text=True)
    assert "The answer was interrupted" in body
    written = [(kind, in_tx) for kind, in_tx in settled if kind in WRITES]
    assert {kind for kind, _ in written} >= {"INSERT", "UPDATE"}
    assert all(in_tx for _, in_tx in written)


def test_a_locking_read_is_never_sent_outside_a_transaction(app):
    from models import Conversation, db, read_outside_a_transaction

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL only")
        db.session.scalars(db.select(Conversation).limit(1))  # the pool's idle ping, if due
        db.session.rollback()
        with transaction_of_each_statement(app) as seen:
            read_outside_a_transaction()
            db.session.scalars(db.select(Conversation).limit(1))
            db.session.scalars(db.select(Conversation).limit(1).with_for_update())
            db.session.rollback()
    assert [in_tx for _, in_tx in seen] == [False, True]
