"""Open on another device: a one-time pairing link attaches a second browser to the same
owner (same conversations and vehicle); the owner lists paired browsers and signs them out.
Two browsers are two test clients of the same app; on PostgreSQL and on embedded SQLite."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from itsdangerous import URLSafeSerializer

from tests.support import Visitor, conversation_id_from
from tests.support.fake_openrouter import Reply

PAIR_LINK = re.compile(r'value="http://localhost(/pair/[A-Za-z0-9_-]{22})"')
ANDROID_CHROME = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)


def pairing_link(visitor: Visitor) -> str:
    """Make a pairing link in Settings, as the owner would; return its path."""
    response = visitor.post("/devices/pair", source="/settings")
    assert response.status_code == 303
    assert response.headers["Location"] == "/settings#devices"
    page = visitor.get("/settings").get_data(as_text=True)
    assert '<img class="pairing-qr" src="data:image/svg+xml' in page
    match = PAIR_LINK.search(page)
    assert match, "Settings shows the new link"
    return match.group(1)


def attach(visitor: Visitor, path: str, **kwargs):
    """Open the link and confirm, as the other browser would."""
    confirm = visitor.get(path, **kwargs)
    assert confirm.status_code == 200, confirm.get_data(as_text=True)
    assert "Attach this browser?" in confirm.get_data(as_text=True)
    return visitor.post(path, source=path, **kwargs)


def cookie_payload(app, visitor: Visitor):
    raw = visitor.client.get_cookie(app.config["OWNER_COOKIE_NAME"]).value
    return URLSafeSerializer(app.config["SECRET_KEY"], salt="owner-id").loads(raw)


@pytest.fixture
def first(each_db_app, fake) -> tuple[Visitor, str]:
    """Browser A, with a conversation and a saved vehicle."""
    from models import Vehicle, db

    visitor = Visitor(each_db_app.test_client())
    fake.queue(Reply("Use 0W-20."))
    cid = conversation_id_from(visitor.send("Which oil for my Civic?"))
    with each_db_app.app_context():
        owner = cookie_payload(each_db_app, visitor)
        db.session.add(Vehicle(owner_id=owner, year=2018, make="Honda", model="Civic"))
        db.session.commit()
    return visitor, cid


def test_the_second_browser_sees_the_same_conversations_and_vehicle(each_db_app, first, fake):
    a, cid = first
    b = Visitor(each_db_app.test_client())
    b.get("/")  # a visitor already, with an owner of its own
    path = pairing_link(a)
    confirm = b.get(path).get_data(as_text=True)
    assert "same conversations and vehicle" in confirm

    done = b.post(path, source=path, headers={"User-Agent": ANDROID_CHROME})
    assert done.status_code == 303 and done.headers["Location"] == "/"
    home = b.get("/").get_data(as_text=True)
    assert "now shows the same conversations" in home
    assert "Which oil for my Civic?" in home and f"/c/{cid}" in home
    assert "Honda Civic" in home
    assert b.get(f"/c/{cid}").status_code == 200
    payload = cookie_payload(each_db_app, b)
    assert payload["o"] == cookie_payload(each_db_app, a)

    # B's messages are A's too.
    fake.queue(Reply("About 4.4 litres."))
    b.send("How much oil?", cid)
    assert "How much oil?" in a.get(f"/c/{cid}").get_data(as_text=True)

    settings = a.get("/settings").get_data(as_text=True)
    devices = settings[settings.index('id="devices"') :]
    assert "Chrome on Android" in devices and "(this browser)" not in devices
    assert PAIR_LINK.search(settings) is None  # the used link is no longer shown
    assert "(this browser)" in b.get("/settings").get_data(as_text=True)


def test_a_link_works_once(each_db_app, first):
    a, cid = first
    path = pairing_link(a)
    b, c = Visitor(each_db_app.test_client()), Visitor(each_db_app.test_client())
    assert attach(b, path).status_code == 303

    again = c.get(path)
    assert again.status_code == 410
    text = again.get_data(as_text=True)
    assert "already used" in text and "make a new link" in text
    refused = c.post(path, source="/")
    assert refused.status_code == 410
    assert c.get(f"/c/{cid}").status_code == 404
    assert "Which oil" not in c.get("/").get_data(as_text=True)


def test_an_expired_link_is_refused_and_says_what_to_do(each_db_app, first):
    from models import PairingCode, db, utcnow

    a, cid = first
    path = pairing_link(a)
    with each_db_app.app_context():
        db.session.execute(
            db.update(PairingCode).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
    b = Visitor(each_db_app.test_client())
    page = b.get(path)
    assert page.status_code == 410
    assert "expired" in page.get_data(as_text=True)
    assert "10 minutes" in page.get_data(as_text=True)
    assert b.post(path, source="/").status_code == 410
    assert b.get(f"/c/{cid}").status_code == 404
    # Settings no longer offers it either.
    assert PAIR_LINK.search(a.get("/settings").get_data(as_text=True)) is None


def test_unknown_codes_and_json_answers(each_db_app, first):
    a, _ = first
    b = Visitor(each_db_app.test_client())
    page = b.get("/pair/not-a-real-code")
    assert page.status_code == 404 and "does not exist" in page.get_data(as_text=True)
    answer = b.client.get("/pair/nope", headers={"Accept": "application/json"})
    assert answer.status_code == 404
    assert answer.get_json()["error"]["kind"] == "pairing_link_gone"

    token = re.search(
        r'<meta name="csrf-token" content="([^"]+)">', a.get("/settings").get_data(as_text=True)
    ).group(1)
    made = a.client.post(
        "/devices/pair", headers={"Accept": "application/json", "X-CSRFToken": token}
    )
    assert made.status_code == 201
    body = made.get_json()
    assert body["url"].startswith("http://localhost/pair/")
    assert body["qr"].startswith("data:image/svg+xml")


def test_opening_your_own_link_changes_nothing(each_db_app, first):
    a, _ = first
    path = pairing_link(a)
    assert "already shows these conversations" in a.get(path).get_data(as_text=True)
    assert a.post(path, source="/settings").status_code == 303
    # The link still works for the other browser.
    assert attach(Visitor(each_db_app.test_client()), path).status_code == 303


def test_signing_out_makes_the_browser_a_fresh_visitor(each_db_app, first):
    from models import PairedBrowser, db

    a, cid = first
    b = Visitor(each_db_app.test_client())
    attach(b, pairing_link(a))
    with each_db_app.app_context():
        browser_id = db.session.scalar(db.select(PairedBrowser.id))

    # Another owner cannot sign it out: 404, and B stays paired.
    stranger = Visitor(each_db_app.test_client())
    assert stranger.post(f"/devices/{browser_id}/signout").status_code == 404
    assert b.get(f"/c/{cid}").status_code == 200

    done = a.post(f"/devices/{browser_id}/signout", source="/settings")
    assert done.status_code == 303 and done.headers["Location"] == "/settings#devices"
    assert "is signed out" in a.get("/settings").get_data(as_text=True)

    home = b.get("/")
    assert home.status_code == 200  # a fresh start, not an error page
    page = home.get_data(as_text=True)
    assert "Which oil" not in page and "Honda Civic" not in page
    fresh = cookie_payload(each_db_app, b)
    assert isinstance(fresh, str) and fresh != cookie_payload(each_db_app, a)
    assert b.get(f"/c/{cid}").status_code == 404
    assert b.get("/settings").status_code == 200
    assert a.post(f"/devices/{browser_id}/signout", source="/settings").status_code == 404


def test_the_browsers_own_conversations_move_along(each_db_app, first, fake):
    a, _ = first
    b = Visitor(each_db_app.test_client())
    fake.queue(Reply("Rotate them every 8,000 km."))
    own = conversation_id_from(b.send("When to rotate tyres?"))
    path = pairing_link(a)
    assert "The conversations this browser has now (1) move along" in b.get(path).get_data(
        as_text=True
    )
    attach(b, path)
    assert "its own 1 conversation moved along" in b.get("/").get_data(as_text=True).lower()
    assert a.get(f"/c/{own}").status_code == 200
    assert b.get(f"/c/{own}").status_code == 200


def test_a_paired_browser_may_pair_another_and_leaves_its_old_owner(each_db_app, first, fake):
    from models import PairedBrowser, db

    a, cid = first
    b, c = Visitor(each_db_app.test_client()), Visitor(each_db_app.test_client())
    attach(b, pairing_link(a))
    attach(c, pairing_link(b))  # made on B: the same owner
    assert c.get(f"/c/{cid}").status_code == 200

    # D, a browser of its own with a conversation, makes a link that B takes: B leaves A.
    d = Visitor(each_db_app.test_client())
    fake.queue(Reply("Brake fluid every two years."))
    d_cid = conversation_id_from(d.send("Brake fluid interval?"))
    confirm = b.get(pairing_link(d)).get_data(as_text=True)
    assert "stay where" in confirm  # B's conversations are A's: they stay with A
    assert (
        b.post(re.search(r'action="(/pair/[^"]+)"', confirm).group(1), source="/").status_code
        == 303
    )
    assert b.get(f"/c/{d_cid}").status_code == 200
    assert b.get(f"/c/{cid}").status_code == 404
    assert a.get(f"/c/{cid}").status_code == 200  # A keeps its own
    with each_db_app.app_context():
        owners = db.session.scalars(db.select(PairedBrowser.owner_id)).all()
    a_owner, d_owner = cookie_payload(each_db_app, a), cookie_payload(each_db_app, d)
    assert sorted(owners) == sorted([a_owner, d_owner])  # C stays with A, B moved to D


def test_last_seen_is_written_at_most_once_an_hour(each_db_app, first):
    from models import PairedBrowser, as_utc, db, utcnow

    a, _ = first
    b = Visitor(each_db_app.test_client())
    attach(b, pairing_link(a))
    long_ago = utcnow() - timedelta(hours=3)
    recently = utcnow() - timedelta(minutes=10)

    def last_seen():
        with each_db_app.app_context():
            return as_utc(db.session.scalar(db.select(PairedBrowser.last_seen_at)))

    def set_last_seen(moment):
        with each_db_app.app_context():
            db.session.execute(db.update(PairedBrowser).values(last_seen_at=moment))
            db.session.commit()

    set_last_seen(recently)
    b.get("/")
    assert abs((last_seen() - recently).total_seconds()) < 1  # not rewritten
    set_last_seen(long_ago)
    b.get("/")
    assert (utcnow() - last_seen()).total_seconds() < 60


def test_pairing_needs_the_form_token(each_db_app, first):
    a, cid = first
    path = pairing_link(a)
    b = Visitor(each_db_app.test_client())
    assert b.client.post(path).status_code == 400
    assert each_db_app.test_client().post("/devices/pair").status_code == 400
    assert a.client.post(f"/devices/{'0' * 32}/signout").status_code == 400
    # The refused attempt did not spend the link.
    assert attach(b, path).status_code == 303
    assert b.get(f"/c/{cid}").status_code == 200


def test_pairing_attempts_are_rate_limited_per_address(make_app):
    app = make_app(RATE_LIMIT_PAIR="3 per minute")
    guesser = Visitor(app.test_client())
    statuses = [guesser.get(f"/pair/guess{n}").status_code for n in range(4)]
    assert statuses == [404, 404, 404, 429]
    limited = guesser.get("/pair/guess9")
    assert int(limited.headers["Retry-After"]) > 0
    assert "Too many requests" in limited.get_data(as_text=True)
    # Browsers from the same address share the count.
    other = Visitor(app.test_client())
    assert other.get("/pair/guess10").status_code == 429
