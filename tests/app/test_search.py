"""Search across the visitor's conversations, on PostgreSQL and on embedded SQLite.

Titles and message text; codes, VINs and other languages; highlighted, escaped snippets
that link to the message; other owners' conversations never found; hostile queries
answered, never a 500; paging, JSON, the rate limit; deleted conversations gone.
"""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest

from tests.support import Visitor, conversation_id_from

VIN = "1HGCM82633A004352"


def owner_of(app, visitor: Visitor) -> str:
    """Make the visitor an owner (one message sent), and return the owner id."""
    from models import Conversation, db

    cid = conversation_id_from(visitor.send("Hello from the search tests"))
    with app.app_context():
        return db.session.get(Conversation, cid).owner_id


def add_conversation(app, owner: str, title: str, *texts: str) -> tuple[str, list[int]]:
    """Store a conversation with alternating user/assistant messages; return ids."""
    from models import Conversation, Message, db, utcnow

    with app.app_context():
        conversation = Conversation(owner_id=owner, title=title)
        db.session.add(conversation)
        db.session.flush()
        ids = []
        start = utcnow() - timedelta(minutes=len(texts))
        for n, text in enumerate(texts):
            message = Message(
                conversation_id=conversation.id,
                role="user" if n % 2 == 0 else "assistant",
                content=text,
                created_at=start + timedelta(seconds=n),
            )
            db.session.add(message)
            db.session.flush()
            ids.append(message.id)
        db.session.commit()
        return conversation.id, ids


def search(visitor: Visitor, query: str, **params) -> dict:
    response = visitor.get(
        "/search", query_string={"q": query, **params}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_json()


def found_ids(body: dict) -> list[int | None]:
    return [hit["message_id"] for hit in body["results"]]


def marked(hit: dict) -> list[str]:
    return [part["text"] for part in hit["snippet"] if part["match"]]


@pytest.fixture
def owner(each_db_app, each_db_visitor) -> str:
    return owner_of(each_db_app, each_db_visitor)


def test_finds_message_text_codes_and_vins_with_the_match_highlighted(
    each_db_app, each_db_visitor, owner
):
    cid, ids = add_conversation(
        each_db_app,
        owner,
        "Catalyst trouble",
        "My check engine light is on with P0420 and my VIN is " + VIN + ".",
        "P0420 means the catalyst efficiency is below threshold on bank 1.",
        "Oil change every 10,000 km with 5W-30.",
    )
    body = search(each_db_visitor, "P0420")
    assert found_ids(body) == [ids[1], ids[0]]  # newest first
    first = body["results"][0]
    assert first["conversation_id"] == cid and first["title"] == "Catalyst trouble"
    assert first["role"] == "assistant" and marked(first) == ["P0420"]
    assert first["url"] == f"/c/{cid}#m{ids[1]}"
    assert first["created_at"].endswith("+00:00")
    # The VIN is one word, and a prefix finds it; lower case too.
    assert found_ids(search(each_db_visitor, VIN)) == [ids[0]]
    assert found_ids(search(each_db_visitor, VIN[:8].lower())) == [ids[0]]
    assert marked(search(each_db_visitor, VIN)["results"][0]) == [VIN]
    # A code prefix, a written-out "p04*", and a hyphenated oil grade.
    assert found_ids(search(each_db_visitor, "p04")) == [ids[1], ids[0]]
    assert found_ids(search(each_db_visitor, "p04*")) == [ids[1], ids[0]]
    assert found_ids(search(each_db_visitor, "5W-30")) == [ids[2]]
    # Every word must match.
    assert found_ids(search(each_db_visitor, "P0420 catalyst")) == [ids[1]]
    assert search(each_db_visitor, "P0420 rotor")["results"] == []


def test_finds_titles(each_db_app, each_db_visitor, owner):
    cid, _ids = add_conversation(each_db_app, owner, "Squealing brakes on my Corolla", "Hi")
    body = search(each_db_visitor, "corolla")
    assert len(body["results"]) == 1
    hit = body["results"][0]
    assert hit["conversation_id"] == cid and hit["message_id"] is None
    assert marked(hit) == ["Corolla"]
    assert hit["url"] == f"/c/{cid}#end"
    page = each_db_visitor.get("/search?q=corolla").get_data(as_text=True)
    assert "Squealing brakes on my <mark>Corolla</mark>" in page


def test_german_umlauts_and_japanese(each_db_app, each_db_visitor, owner):
    _cid, ids = add_conversation(
        each_db_app,
        owner,
        "Bremsen",
        "Die Bremsbeläge vorne quietschen beim Ölwechsel-Termin.",
        "エンジン 警告灯 が点灯しました",
    )
    assert found_ids(search(each_db_visitor, "bremsbeläge")) == [ids[0]]
    assert found_ids(search(each_db_visitor, "ÖLWECHSEL")) == [ids[0]]
    # Japanese is not cut into words by either tokenizer: a run between spaces is one word,
    # found by itself or by how it starts.
    assert found_ids(search(each_db_visitor, "警告灯")) == [ids[1]]
    assert found_ids(search(each_db_visitor, "エンジン")) == [ids[1]]
    assert found_ids(search(each_db_visitor, "が点")) == [ids[1]]


def test_snippets_are_escaped_text(each_db_app, each_db_visitor, owner):
    add_conversation(
        each_db_app,
        owner,
        "<b>bold</b> title",
        'Look <script>alert("x")</script> at the misfire & the <img src=x onerror=alert(1)> coil',
    )
    page = each_db_visitor.get("/search?q=misfire").get_data(as_text=True)
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert" in page and "<mark>misfire</mark>" in page
    page = each_db_visitor.get("/search?q=bold").get_data(as_text=True)
    assert "<b>bold</b>" not in page and "&lt;b&gt;<mark>bold</mark>&lt;/b&gt;" in page


def test_another_owners_conversations_never_appear(each_db_app, each_db_visitor, owner):
    stranger = Visitor(each_db_app.test_client())
    other = owner_of(each_db_app, stranger)
    mine, _ = add_conversation(each_db_app, owner, "Mine P0171", "P0171 lean bank 1")
    theirs, _ = add_conversation(each_db_app, other, "Theirs P0171", "P0171 on their car")
    for visitor, expected in ((each_db_visitor, mine), (stranger, theirs)):
        body = search(visitor, "P0171")
        assert {hit["conversation_id"] for hit in body["results"]} == {expected}
        assert len(body["results"]) == 2  # the title and the message


@pytest.mark.parametrize(
    "query",
    [
        '"',
        "'",
        '"P0420',
        "P0420 OR brake",
        "-brake",
        "NOT AND OR",
        "(engine) AND (",
        "engine*",
        "*",
        "^start",
        "col:value",
        "title : engine",
        "NEAR(engine light)",
        "\\",
        "'; DROP TABLE message; --",
        "a:* & b | !c <-> d",
        "🚗🔧",
        "engine 🚗",
        "%_%",
        "\u202eengine",
        "\ue000engine\ue001",
        "x" * 499,
        " ".join(["word"] * 100),  # more words than are searched for
        "\x00engine",
    ],
)
def test_hostile_queries_get_an_answer_not_a_500(each_db_app, each_db_visitor, owner, query):
    add_conversation(each_db_app, owner, "Engine light", "The engine light came on")
    response = each_db_visitor.get("/search", query_string={"q": query})
    assert response.status_code == 200
    body = search(each_db_visitor, query)
    assert isinstance(body["results"], list)


def test_quoted_and_operator_words_are_plain_words(each_db_app, each_db_visitor, owner):
    _cid, ids = add_conversation(
        each_db_app, owner, "Engine", "The engine light or the oil light", "Nothing here"
    )
    assert found_ids(search(each_db_visitor, '"engine light"')) == [ids[0]]
    assert found_ids(search(each_db_visitor, "engine OR light")) == [ids[0]]
    assert search(each_db_visitor, "engine OR missing")["results"] == []


def test_a_very_long_query_is_a_clear_400_with_the_text_kept(each_db_visitor, owner):
    text = "engine " * 800  # 5,600 characters
    response = each_db_visitor.get("/search", query_string={"q": text})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Search for at most 500 characters." in page
    assert text.strip() in html.unescape(page)  # still in the box
    response = each_db_visitor.get(
        "/search", query_string={"q": text}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["kind"] == "query_too_long"


def test_an_empty_query_shows_the_prompt_and_runs_nothing(each_db_app, each_db_visitor, owner):
    import sqlalchemy as sa

    from models import db

    statements: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with each_db_app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        for query in ("", "   "):
            page = each_db_visitor.get("/search", query_string={"q": query})
            assert page.status_code == 200
            assert "Type a word, a trouble code or a VIN" in page.get_data(as_text=True)
        assert search(each_db_visitor, "")["results"] == []
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    assert not [s for s in statements if "search_" in s or "to_tsquery" in s]
    page = each_db_visitor.get("/search?q=%22%22%21").get_data(as_text=True)
    assert "no words to search for" in page


def test_no_results_says_so(each_db_app, each_db_visitor, owner):
    add_conversation(each_db_app, owner, "Tyres", "Tyre pressure 2.4 bar")
    page = each_db_visitor.get("/search?q=transmission").get_data(as_text=True)
    assert "No conversation matches" in page and "transmission" in page


def test_results_come_in_pages(each_db_app, each_db_visitor, owner):
    texts = [f"Misfire note {n}" for n in range(45)]
    _cid, ids = add_conversation(each_db_app, owner, "Notes", *texts)
    first = search(each_db_visitor, "misfire")
    assert found_ids(first) == ids[::-1][:20]
    assert first["next"] == "/search?q=misfire&page=2"
    second = each_db_visitor.get(first["next"], headers={"Accept": "application/json"})
    assert found_ids(second.get_json()) == ids[::-1][20:40]
    third = search(each_db_visitor, "misfire", page=3)
    assert found_ids(third) == ids[::-1][40:] and third["next"] is None
    page = each_db_visitor.get("/search?q=misfire&page=2").get_data(as_text=True)
    assert 'href="/search?q=misfire&amp;page=3"' in page
    assert 'href="/search?q=misfire&amp;page=1"' in page
    for odd in ("0", "-3", "x", "99999999999999999999999"):
        assert each_db_visitor.get(f"/search?q=misfire&page={odd}").status_code == 200


def test_an_old_message_links_to_a_page_that_shows_it(each_db_app, each_db_visitor, owner):
    texts = ["The alternator whines at idle"] + [f"Filler message {n}" for n in range(99)]
    cid, ids = add_conversation(each_db_app, owner, "Long one", *texts)
    hit = search(each_db_visitor, "alternator")["results"][0]
    assert hit["url"] == f"/c/{cid}?show=100#m{ids[0]}"
    page = each_db_visitor.get(hit["url"].split("#")[0]).get_data(as_text=True)
    assert f'id="m{ids[0]}"' in page
    # A recent one needs no ?show.
    hit = search(each_db_visitor, "filler 98")
    assert hit["results"] == [] or hit["results"][0]["url"].startswith(f"/c/{cid}#m")
    recent = search(each_db_visitor, "98")["results"][0]
    assert recent["url"] == f"/c/{cid}#m{ids[-1]}"


def test_deleted_and_edited_rows_leave_the_index(each_db_app, each_db_visitor, owner):
    from models import Conversation, Message, db

    cid, ids = add_conversation(each_db_app, owner, "Gearbox P0700", "P0700 and a slipping gear")
    other, other_ids = add_conversation(each_db_app, owner, "Wipers", "Wipers stopped")
    assert len(search(each_db_visitor, "P0700")["results"]) == 2
    with each_db_app.app_context():
        message = db.session.get(Message, other_ids[0])
        message.content = "Wipers stopped after the P0700 repair"
        conversation = db.session.get(Conversation, other)
        conversation.title = "Wipers and washer"
        db.session.commit()
    # The title (its conversation active now), then the messages, newest first.
    assert found_ids(search(each_db_visitor, "P0700")) == [None, other_ids[0], ids[0]]
    assert search(each_db_visitor, "stopped repair")["results"][0]["message_id"] == other_ids[0]
    assert [h["conversation_id"] for h in search(each_db_visitor, "washer")["results"]] == [other]
    # Deleted (waiting for Undo): out of the results at once.
    with each_db_app.app_context():
        db.session.get(Conversation, cid).deleted_at = db.func.now()
        db.session.commit()
    assert found_ids(search(each_db_visitor, "P0700")) == [other_ids[0]]
    # Gone for good: the rows and their index entries.
    with each_db_app.app_context():
        db.session.execute(db.delete(Conversation).where(Conversation.id.in_([cid, other])))
        db.session.commit()
    assert search(each_db_visitor, "P0700")["results"] == []
    assert search(each_db_visitor, "wipers")["results"] == []


def test_messages_off_the_branch_on_screen_are_not_results(each_db_app, each_db_visitor, owner):
    from models import Message, db

    _cid, ids = add_conversation(each_db_app, owner, "Branches", "Coolant is pink", "Old answer")
    with each_db_app.app_context():
        db.session.get(Message, ids[1]).on_path = False
        db.session.commit()
    assert search(each_db_visitor, "old answer")["results"] == []
    assert found_ids(search(each_db_visitor, "coolant")) == [ids[0]]


def test_the_sidebar_has_a_search_form(each_db_visitor, owner):
    page = each_db_visitor.get("/").get_data(as_text=True)
    form = re.search(r'<form class="sidebar-search" method="get" action="/search"[^>]*>', page)
    assert form and 'role="search"' in form.group(0)
    assert '<label for="sidebar-search-q"' in page and 'name="q"' in page


def test_searching_is_rate_limited(make_app, fake):
    app = make_app(RATE_LIMIT_SEARCH="3 per minute")
    visitor = Visitor(app.test_client())
    for _ in range(3):
        assert visitor.get("/search?q=engine").status_code == 200
    limited = visitor.get("/search?q=engine")
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    body = visitor.get("/search?q=engine", headers={"Accept": "application/json"}).get_json()
    assert body["error"]["kind"] == "rate_limited"
    # Another visitor (another session, same address) has a count of their own.
    assert Visitor(app.test_client()).get("/search?q=engine").status_code == 200


def test_direction_controls_stay_inside_their_own_snippet_and_title(
    each_db_app, each_db_visitor, owner
):
    add_conversation(each_db_app, owner, "Title \u202eesrever", "Bearing \u202enoise here rumble")
    add_conversation(each_db_app, owner, "Other \u2067open", "Bearing plain \u2069\u202c text")
    page = each_db_visitor.get("/search?q=bearing").get_data(as_text=True)
    results = re.findall(r'<li class="result">.*?</li>', page, re.S)
    assert len(results) == 2
    for result in results:
        title = re.search(r'<span class="result-title" dir="auto">(.*?)</span>', result, re.S)
        snippet = re.search(r'<p class="result-snippet" dir="auto">(.*?)</p>', result, re.S)
        for part in (title.group(1), snippet.group(1)):
            assert part.startswith("<bdi>") and part.endswith("</bdi>"), part
            # Every segment closes what it opens; no stray closer reaches outside.
            for segment in re.split(r"</?(?:bdi|mark)>", part):
                assert segment.count("\u202e") == segment.count("\u202c")
                assert segment.count("\u2067") == segment.count("\u2069")
    assert "Bearing\u202c" not in page  # the highlighted word is not inside the override
    assert "\u202enoise here rumble\u202c" in page
    assert "Title \u202eesrever\u202c" in page and "Other \u2067open\u2069" in page
    # The tab's title isolates the query too.
    q = each_db_visitor.get("/search?q=%E2%80%AEbearing").get_data(as_text=True)
    assert "<title>\u2068\u202ebearing\u202c\u2069 · Search" in q
