"""The chat path end to end: pages, sending, memory, storage order, bad input."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from automotive.prompts import SYSTEM_PROMPT
from tests.support import CANARY_KEY, Visitor, conversation_id_from
from tests.support.fake_openrouter import Reply


def test_chat_page_works_without_javascript(visitor):
    response = visitor.get("/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<form class="composer" method="post" action="/chat"' in page
    assert '<textarea id="message" name="message"' in page
    assert 'name="csrf_token"' in page
    assert "New conversation" in page
    assert '<meta name="csrf-token"' in page


def test_sending_a_message_redirects_to_the_conversation_and_shows_the_reply(keyed_visitor, fake):
    fake.queue(Reply("Your **catalytic converter** is likely below threshold."))
    response = keyed_visitor.send("What does P0420 mean on a 2012 Civic?")
    assert response.status_code == 303
    cid = conversation_id_from(response)

    page = keyed_visitor.get(f"/c/{cid}").get_data(as_text=True)
    assert "What does P0420 mean on a 2012 Civic?" in page
    assert "<strong>catalytic converter</strong>" in page
    # The sidebar lists it, titled after the first message.
    assert f'href="/c/{cid}#end"' in page


def test_second_request_carries_the_first_exchange_and_the_system_prompt(keyed_visitor, fake):
    fake.queue(Reply("Check the downstream O2 sensor first."), Reply("About $900 to $2,500."))
    cid = conversation_id_from(keyed_visitor.send("P0420 on my Camry?"))
    keyed_visitor.send("How much does a converter cost?", cid)

    first, second = fake.chat_requests
    assert first.messages[0]["content"].startswith(SYSTEM_PROMPT)
    # The facts decoded for the message being answered ride in the system message.
    assert "P0420" in first.messages[0]["content"]
    assert second.messages == [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": "P0420 on my Camry?"},
        {"role": "assistant", "content": "Check the downstream O2 sensor first."},
        {"role": "user", "content": "How much does a converter cost?"},
    ]
    assert second.body["model"] == "deepseek/deepseek-chat-v3-0324:free"


def test_upstream_requests_identify_the_app(keyed_visitor, fake):
    keyed_visitor.send("Tire pressure light on after cold night")
    request = fake.chat_requests[0]
    assert request.headers["Authorization"] == f"Bearer {CANARY_KEY}"
    assert request.headers["HTTP-Referer"]
    assert request.headers["X-Title"] == "Automotive Chat Assistant"


def test_conversations_are_listed_newest_first(keyed_visitor, fake):
    ids = [conversation_id_from(keyed_visitor.send(f"Question number {n}")) for n in range(3)]
    page = keyed_visitor.get("/").get_data(as_text=True)
    listed = re.findall(r'href="/c/([0-9a-f]{32})#end"', page)
    assert listed == list(reversed(ids))
    # Writing in the oldest one brings it back to the top.
    keyed_visitor.send("A follow-up", ids[0])
    listed = re.findall(
        r'href="/c/([0-9a-f]{32})#end"', keyed_visitor.get("/").get_data(as_text=True)
    )
    assert listed[0] == ids[0]


def test_user_message_is_committed_before_the_upstream_call(keyed_visitor, fake, migrated):
    seen = {}

    def look_in_database(record):
        engine = sa.create_engine(migrated)
        with engine.connect() as connection:
            seen["rows"] = connection.execute(
                sa.text("SELECT role, content FROM message ORDER BY id")
            ).all()
        engine.dispose()

    fake.state.on_chat = look_in_database
    keyed_visitor.send("Brake pedal feels soft")
    assert [tuple(row) for row in seen["rows"]] == [("user", "Brake pedal feels soft")]


def test_json_callers_get_the_reply(keyed_visitor, fake):
    fake.queue(Reply("Replace the battery if it reads under 12.4 V at rest."))
    response = keyed_visitor.send_json("Car cranks slowly in the morning")
    assert response.status_code == 200
    body = response.get_json()
    assert body["reply"] == "Replace the battery if it reads under 12.4 V at rest."
    assert body["status"] == "ok"
    assert re.fullmatch(r"[0-9a-f]{32}", body["conversation_id"])
    assert isinstance(body["message_id"], int)

    follow = keyed_visitor.send_json("And the alternator?", body["conversation_id"])
    assert follow.get_json()["conversation_id"] == body["conversation_id"]


def test_replies_render_as_sanitized_markdown(keyed_visitor, fake):
    fake.queue(
        Reply(
            "# Steps\n\n1. Check *fuses*\n2. `OBD` scan\n\n"
            "<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>"
        )
    )
    cid = conversation_id_from(keyed_visitor.send("Radio dead"))
    page = keyed_visitor.get(f"/c/{cid}").get_data(as_text=True)
    assert "<h1>Steps</h1>" in page
    assert "<em>fuses</em>" in page
    assert "<code>OBD</code>" in page
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page
    assert 'href="javascript:' not in page
    assert "<img" not in page


def test_user_text_is_shown_as_text_not_html(keyed_visitor, fake):
    cid = conversation_id_from(keyed_visitor.send("<b>bold?</b> **no markdown for me**"))
    page = keyed_visitor.get(f"/c/{cid}").get_data(as_text=True)
    assert "&lt;b&gt;bold?&lt;/b&gt; **no markdown for me**" in page


def test_repeated_client_msg_id_does_not_duplicate_the_message(keyed_visitor, fake, app):
    first = keyed_visitor.send("Coolant smell in cabin", client_msg_id="abc-123")
    again = keyed_visitor.send("Coolant smell in cabin", client_msg_id="abc-123")
    assert conversation_id_from(first) == conversation_id_from(again)
    assert len(fake.chat_requests) == 1
    from models import Message, db

    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 2

    body = keyed_visitor.send_json("Coolant smell in cabin", client_msg_id="abc-123").get_json()
    assert body["duplicate"] is True
    assert body["reply"].startswith("Fake mechanic answer")


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("message", ["", "   ", "\n\t\n"])
def test_empty_message_is_refused_without_calling_upstream(keyed_visitor, fake, message):
    response = keyed_visitor.send(message)
    assert response.status_code == 400
    assert "Type a message before sending." in response.get_data(as_text=True)
    assert fake.chat_requests == []


def test_too_long_message_is_refused_and_kept_in_the_box(keyed_visitor, fake, app):
    text = "My engine knocks. " * 500  # 9,000 characters, over the 8,000 default
    response = keyed_visitor.send(text)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "the limit is 8,000" in page
    assert f">{text}</textarea>" in page
    assert fake.chat_requests == []
    from models import Message, db

    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 0


def test_message_limit_is_configurable(make_app, fake):
    app = make_app(MAX_MESSAGE_LENGTH="20")
    visitor = Visitor(app.test_client())
    response = visitor.send("x" * 21)
    assert response.status_code == 400
    assert "the limit is 20" in response.get_data(as_text=True)


def test_too_long_message_as_json(keyed_visitor, fake):
    response = keyed_visitor.send_json("y" * 8001)
    assert response.status_code == 400
    assert response.get_json()["error"]["kind"] == "message_too_long"


def test_malformed_json_is_a_400_json_error(keyed_visitor, fake):
    token = re.search(r'name="csrf_token" value="([^"]+)"', keyed_visitor.get("/").text).group(1)
    response = keyed_visitor.client.post(
        "/chat",
        data='{"message": "oops",',
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 400
    assert response.get_json() == {
        "error": {"kind": "bad_json", "message": "The request body is not valid JSON."}
    }
    array = keyed_visitor.client.post(
        "/chat", json=["not", "an", "object"], headers={"X-CSRFToken": token}
    )
    assert array.status_code == 400
    assert array.get_json()["error"]["kind"] == "bad_json"
    assert fake.chat_requests == []


def test_body_over_max_content_length_is_413(keyed_visitor, fake):
    token = re.search(r'name="csrf_token" value="([^"]+)"', keyed_visitor.get("/").text).group(1)
    response = keyed_visitor.client.post(
        "/chat", data={"csrf_token": token, "message": "z" * (300 * 1024)}
    )
    assert response.status_code == 413
    assert "Request too large" in response.get_data(as_text=True)
    json_response = keyed_visitor.client.post(
        "/chat",
        data="z" * (300 * 1024),
        content_type="application/json",
        headers={"X-CSRFToken": token, "Accept": "application/json"},
    )
    assert json_response.status_code == 413
    assert json_response.get_json()["error"]["kind"] == "too_large"


@pytest.mark.parametrize(
    "path", ["/c/0123456789abcdef0123456789abcdef", "/c/not-an-id", "/c/" + "f" * 40]
)
def test_unknown_conversation_is_a_404_page(visitor, path):
    response = visitor.get(path)
    assert response.status_code == 404
    assert "Not found" in response.get_data(as_text=True)


def test_another_owners_conversation_is_404_everywhere(make_app, fake):
    app = make_app()
    alice, mallory = Visitor(app.test_client()), Visitor(app.test_client())
    alice.save_key(CANARY_KEY)
    cid = conversation_id_from(alice.send("Private question about my Miata"))

    assert mallory.get(f"/c/{cid}").status_code == 404
    assert mallory.send("Injected", cid).status_code == 404
    assert mallory.send_json("Injected", cid).status_code == 404
    assert mallory.post(f"/c/{cid}/retry").status_code == 404
    assert "Private question" not in mallory.get("/").get_data(as_text=True)
    assert len(fake.chat_requests) == 1


def test_missing_csrf_token_keeps_the_draft(keyed_visitor, fake):
    response = keyed_visitor.client.post("/chat", data={"message": "Keep me please"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "nothing was sent" in page
    assert ">Keep me please</textarea>" in page
    assert fake.chat_requests == []


def test_no_route_answers_500_to_odd_requests(visitor):
    assert visitor.client.put("/chat").status_code == 405
    assert visitor.client.get("/chat").status_code == 405
    assert visitor.client.get("/nope").status_code == 404
    assert visitor.client.post("/c/xyz/retry").status_code in (400, 404)


# ---------------------------------------------------------------- the page (issue 13)


def test_code_is_highlighted_with_classes_only_and_the_stylesheet_is_current():
    from pathlib import Path

    from rendering import HIGHLIGHT_CSS, TOKEN_CLASSES, highlight_css, render_markdown

    html = str(render_markdown("```python\ndef f(x):\n    return x  # same\n```"))
    assert html.startswith('<pre class="code" tabindex="0" data-lang="Python"><code>')
    assert '<span class="k">def</span>' in html and '<span class="c1"># same</span>' in html
    assert "style=" not in html  # the CSP allows no inline styles
    classes = set(re.findall(r'<span class="([^"]+)"', html))
    assert classes and classes <= TOKEN_CLASSES
    # An unknown language is plain, escaped text; the info string never reaches the page.
    odd = str(render_markdown('```nosuch" onclick="x\n<b>x</b>\n```'))
    assert odd == '<pre class="code" tabindex="0"><code>&lt;b&gt;x&lt;/b&gt;\n</code></pre>\n'
    # static/css/highlight.css is what rendering.py generates (make highlight-css).
    root = Path(__file__).resolve().parent.parent.parent
    assert (root / HIGHLIGHT_CSS).read_text() == highlight_css()


def test_every_code_colour_passes_aa_in_both_themes():
    from pygments.styles import get_style_by_name
    from pygments.token import STANDARD_TYPES

    from rendering import CODE_THEMES, contrast, readable

    for style_name, background in CODE_THEMES.values():
        style = get_style_by_name(style_name)
        for token in STANDARD_TYPES:
            color = style.style_for_token(token)["color"]
            if color:
                assert contrast(readable("#" + color, background), background) >= 4.5


def test_markdown_tables_scroll_and_honour_br_in_cells_only():
    from rendering import render_markdown

    html = str(render_markdown("| a | b |\n|---|---|\n| one<br>two<BR/>three | `<br>` |\n\nx<br>y"))
    assert html.startswith('<div class="table-wrap" tabindex="0"><table>')
    assert "<td>one<br>\ntwo<br>\nthree</td>" in html
    assert "<td><code>&lt;br&gt;</code></td>" in html  # code stays code
    assert "<p>x&lt;br&gt;y</p>" in html  # outside a table, still text
    for payload in ("<br onclick=alert(1)>", "<br/ onmouseover=x>", "<br><script>x</script>"):
        cell = str(render_markdown(f"| a |\n|---|\n| {payload} |"))
        assert set(re.findall(r"<br[^>]*>", cell)) <= {"<br>"}, cell
        assert not re.search(r"<[^>]+\son\w+=", cell) and "<script" not in cell, cell


def test_bare_urls_become_safe_links_and_notes_get_their_kind():
    from rendering import render_markdown

    html = str(render_markdown("See https://www.nhtsa.gov/recalls or mail help@example.com"))
    assert '<a href="https://www.nhtsa.gov/recalls" rel="noopener noreferrer nofollow">' in html
    assert '<a href="mailto:help@example.com"' in html
    assert "<a" not in str(render_markdown("main.py and javascript:alert(1) stay text"))
    note = str(render_markdown("> [!CAUTION] Stop driving\n> The oil pressure is gone."))
    assert note.startswith(
        '<blockquote class="note note-caution">\n<p><strong>Stop driving</strong>'
    )
    assert '<blockquote class="note">' in str(render_markdown("> a plain quote"))
    assert "note-evil" not in str(render_markdown("> [!EVIL] x"))


def test_the_offline_answer_summarises_most_severe_first_and_links_the_cards(visitor, fake):
    text = "P0420 and P0524 on 1HGCM82633A004352"
    reply = visitor.send_json(text).get_json()["reply"]
    caution, *rest = reply.split("\n> [!CAUTION] Stop driving\n")[1:]
    assert not rest and caution.startswith("> ### P0524: Engine Oil Pressure Too Low")
    order = [
        reply.index(part) for part in ("### P0524:", "### P0420:", "### VIN 1HGCM82633A004352")
    ]
    assert order == sorted(order)
    assert "Most likely causes" not in reply and "Check first" not in reply  # on the cards
    assert {"#fact-1", "#fact-2", "#fact-3"} == set(re.findall(r"\((#fact-\d)\)", reply))

    cid = visitor.get("/").get_data(as_text=True).split('href="/c/')[1].split('#end"')[0]
    page = visitor.get(f"/c/{cid}").get_data(as_text=True)
    user_id = re.search(r'<li class="msg msg-user[^"]*" id="m(\d+)"', page).group(1)
    for n in (1, 2, 3):
        assert f'id="m{user_id}-fact-{n}"' in page and f'href="#m{user_id}-fact-{n}"' in page
    # No key: a Retry form would only give the same answer again.
    assert f'action="/c/{cid}/retry"' not in page
    visitor.save_key(CANARY_KEY)
    assert f'action="/c/{cid}/retry"' in visitor.get(f"/c/{cid}").get_data(as_text=True)


def test_every_failure_kind_has_words_on_its_badge(app):
    from states import FailureKind

    macros = app.jinja_env.get_template("_macros.html").module
    labels = macros.FAILURE_LABELS
    assert set(labels) == {kind.value for kind in FailureKind}
    assert all(label and "_" not in label for label in labels.values())
    assert str(macros.failure_label("rate_limited")) == "Rate limited"
    assert str(macros.failure_label("something_new")) == "Failed"


def test_times_are_sent_in_utc_with_the_label_and_the_examples_work_without_js(visitor):
    page = visitor.get("/").get_data(as_text=True)
    assert page.count('<form method="post" action="/chat" class="example">') == 4
    assert 'value="Decode this VIN: 1HGCM82633A004352"' in page
    cid = conversation_id_from(visitor.send("Decode this VIN: 1HGCM82633A004352"))
    page = visitor.get(f"/c/{cid}").get_data(as_text=True)
    stamps = re.findall(r'<time class="local-time" datetime="([^"]+)">([^<]+)</time>', page)
    assert stamps
    for moment, text in stamps:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", moment)
        assert text == moment[:10] + " " + moment[11:16] + " UTC"


def test_the_vehicle_form_attributes_are_real_attributes(visitor):
    page = visitor.get("/vehicle").get_data(as_text=True)
    assert 'placeholder="Mazda"' in page and "&#34;" not in page
    year = re.search(r'<input type="text" id="year"[^>]*>', page).group(0)
    assert 'inputmode="numeric"' in year and 'maxlength="4"' in year
    mileage = re.search(r'<input type="text" id="mileage"[^>]*>', page).group(0)
    assert 'inputmode="numeric"' in mileage
