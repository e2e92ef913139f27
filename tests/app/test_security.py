"""Security properties, each proven by an attack that would succeed without it."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest

from tests.support import (
    CANARY_KEY,
    ROOT,
    Visitor,
    conversation_id_from,
)

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


# ---------------------------------------------------------------- CSRF


def test_every_state_changing_route_requires_a_csrf_token(app, client):
    routes = [r for r in app.url_map.iter_rules() if r.methods & STATE_CHANGING]
    assert len(routes) >= 5  # chat, retry, settings, test-key, forget-key
    for rule in routes:
        # Every argument, whatever its converter (<id>, <int:id>), gets a plausible value.
        path = re.sub(r"<int:\w+>", "1", rule.rule)
        path = re.sub(r"<(?:\w+:)?\w+>", "0" * 32, path)
        for method in sorted(rule.methods & STATE_CHANGING):
            response = client.open(
                path, method=method, data={"message": "x"}, headers={"Accept": "application/json"}
            )
            assert response.status_code == 400, f"{method} {rule.rule} took no CSRF token"
            assert response.get_json()["error"]["kind"] == "csrf_failed", rule.rule


def test_a_token_from_an_expired_session_keeps_the_draft(keyed_visitor, app, fake):
    stale = re.search(r'name="csrf_token" value="([^"]+)"', keyed_visitor.get("/").text).group(1)
    keyed_visitor.client.delete_cookie("session")  # the session idled out
    response = keyed_visitor.client.post(
        "/chat", data={"csrf_token": stale, "message": "Long careful question"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert ">Long careful question</textarea>" in page
    assert "session expired" in page
    assert fake.chat_requests == []


def test_fetch_requests_send_the_token_from_the_meta_tag(keyed_visitor, fake):
    page = keyed_visitor.get("/").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)">', page).group(1)
    response = keyed_visitor.client.post(
        "/chat", json={"message": "Via fetch"}, headers={"X-CSRFToken": token}
    )
    assert response.status_code == 200
    assert "X-CSRFToken" in (ROOT / "static" / "js" / "chat.js").read_text()


# ---------------------------------------------------------------- headers


def html_pages(visitor: Visitor, cid: str) -> dict[str, object]:
    return {
        "/": visitor.get("/"),
        f"/c/{cid}": visitor.get(f"/c/{cid}"),
        "/settings": visitor.get("/settings"),
        "404": visitor.get("/no/such/page"),
        "too long": visitor.send("x" * 9000),
    }


def test_every_html_response_carries_the_security_headers(keyed_visitor, fake):
    cid = conversation_id_from(keyed_visitor.send("Headers please"))
    nonces = set()
    for name, response in html_pages(keyed_visitor, cid).items():
        assert response.mimetype == "text/html", name
        csp = response.headers["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
        script_src = directives["script-src"]
        assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
        nonce = re.search(r"'nonce-([^']+)'", script_src).group(1)
        nonces.add(nonce)
        assert directives["object-src"] == "'none'"
        assert directives["base-uri"] == "'none'"
        assert directives["frame-ancestors"] == "'none'"
        assert directives["form-action"] == "'self'"
        assert directives["img-src"] == "'self' data:"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
        assert "Strict-Transport-Security" not in response.headers  # development
        body = response.get_data(as_text=True)
        for tag in re.findall(r"<script[^>]*>", body):
            assert f'nonce="{nonce}"' in tag and "src=" in tag, (name, tag)
    assert len(nonces) == 5  # a fresh nonce per response


def test_templates_have_no_inline_script_style_or_handlers():
    for path in Path(ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), path
        assert not re.search(r"\sstyle\s*=", text), path
        assert not re.search(r"\son[a-z]+\s*=", text), path
        assert "|safe" not in text, path


def test_production_adds_hsts_and_host_prefixed_secure_cookies(make_app, fake, migrated):
    app = make_app(FLASK_ENV="production", SESSION_SECRET="p" * 40)
    client = app.test_client()
    response = client.get("/", base_url="https://chat.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    cookies = response.headers.getlist("Set-Cookie")
    names = {c.split("=", 1)[0] for c in cookies}
    assert names == {"__Host-session", "__Host-owner"}
    for cookie in cookies:
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert "Path=/" in cookie and "Domain=" not in cookie


def test_development_cookies_are_httponly_and_lax(visitor):
    cookies = visitor.get("/").headers.getlist("Set-Cookie")
    assert {c.split("=", 1)[0] for c in cookies} == {"session", "owner"}
    for cookie in cookies:
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


# ---------------------------------------------------------------- rate limits


def limited_app(make_app, **limits):
    return make_app(
        RATE_LIMIT_CHAT=limits.get("chat", "1000 per minute"),
        RATE_LIMIT_CHAT_IP=limits.get("chat_ip", "1000 per minute"),
        RATE_LIMIT_KEY_TEST=limits.get("key", "1000 per minute"),
        RATE_LIMIT_KEY_TEST_IP=limits.get("key_ip", "1000 per minute"),
    )


def test_sending_is_limited_per_session_keeping_the_draft(make_app, fake):
    app = limited_app(make_app, chat="3 per minute")
    visitor = Visitor(app.test_client())
    for n in range(3):
        assert visitor.send(f"Question {n}").status_code == 303
    response = visitor.send("One too many")
    page = response.get_data(as_text=True)
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 61
    assert ">One too many</textarea>" in page
    assert "Too many requests" in page
    json_response = visitor.send_json("And as JSON")
    assert json_response.status_code == 429
    assert json_response.get_json()["error"]["kind"] == "rate_limited"
    # Another visitor is not affected.
    assert Visitor(app.test_client()).send("Different session").status_code == 303


def test_sending_is_limited_per_ip_across_sessions(make_app, fake):
    app = limited_app(make_app, chat_ip="4 per minute")
    codes = [Visitor(app.test_client()).send("New session each time").status_code for _ in range(6)]
    assert codes == [303] * 4 + [429] * 2


def test_key_tests_are_limited(make_app, fake):
    app = limited_app(make_app, key="2 per minute")
    visitor = Visitor(app.test_client())
    visitor.save_key(CANARY_KEY)
    codes = [visitor.post("/settings/test-key", source="/settings").status_code for _ in range(3)]
    assert codes == [303, 303, 429]
    assert len([r for r in fake.requests if r.path == "/api/v1/key"]) == 2


def test_the_limit_holds_under_concurrent_requests(make_app, fake):
    app = limited_app(make_app, chat="5 per minute")
    visitor = Visitor(app.test_client())
    token = re.search(r'name="csrf_token" value="([^"]+)"', visitor.get("/").text).group(1)
    cookie = visitor.client.get_cookie("session").value
    codes: list[int] = []

    def send() -> None:
        client = app.test_client()
        client.set_cookie("session", cookie)
        response = client.post(
            "/chat",
            data={"csrf_token": token, "message": "burst"},
            headers={"Accept": "application/json"},
        )
        codes.append(response.status_code)

    threads = [threading.Thread(target=send) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes) == [200] * 5 + [429] * 7


def test_forged_forwarded_for_does_not_dodge_the_ip_limit(make_app, fake):
    app = limited_app(make_app, chat_ip="2 per minute")  # PROXY_COUNT=0: reached directly
    codes = [
        Visitor(app.test_client()).send("spoof", headers={"X-Forwarded-For": f"198.51.100.{n}"})
        for n in range(3)
    ]
    assert [c.status_code for c in codes] == [303, 303, 429]


# ---------------------------------------------------------------- proxies and metrics


def test_behind_one_proxy_the_client_ip_and_https_come_from_it(make_app):
    from flask import request

    app = make_app(PROXY_COUNT="1", METRICS_ALLOW="203.0.113.7")
    app.add_url_rule("/_seen", "seen", lambda: f"{request.scheme} {request.remote_addr}")
    client = app.test_client()
    seen = client.get(
        "/_seen", headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    )
    assert seen.get_data(as_text=True) == "https 203.0.113.7"
    direct = make_app().test_client()
    direct.application.add_url_rule(
        "/_seen", "seen", lambda: f"{request.scheme} {request.remote_addr}"
    )
    spoof = direct.get(
        "/_seen", headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    )
    assert spoof.get_data(as_text=True) == "http 127.0.0.1"  # reached directly: ignored
    forwarded = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    assert client.get("/metrics", headers=forwarded).status_code == 200
    assert client.get("/metrics", headers={"X-Forwarded-For": "198.51.100.1"}).status_code == 404
    # Only the last hop counts: a client cannot prepend its own.
    spoofed = {"X-Forwarded-For": "203.0.113.7, 198.51.100.1"}
    assert client.get("/metrics", headers=spoofed).status_code == 404


def test_metrics_need_the_token_in_production_by_default(make_app):
    app = make_app(FLASK_ENV="production", SESSION_SECRET="p" * 40, METRICS_TOKEN="t" * 32)
    client = app.test_client()
    assert client.get("/metrics").status_code == 404  # even from loopback (a local proxy)
    ok = client.get("/metrics", headers={"Authorization": "Bearer " + "t" * 32})
    assert ok.status_code == 200


def test_metrics_are_private(make_app):
    app = make_app(METRICS_TOKEN="m" * 32)
    client = app.test_client()
    outside = {"REMOTE_ADDR": "198.51.100.9"}
    assert client.get("/metrics", environ_base=outside).status_code == 404
    wrong = {"Authorization": "Bearer nope"}
    assert client.get("/metrics", environ_base=outside, headers=wrong).status_code == 404
    right = {"Authorization": "Bearer " + "m" * 32}
    assert client.get("/metrics", environ_base=outside, headers=right).status_code == 200
    assert client.get("/metrics").status_code == 200  # loopback is allowed by default


def test_metrics_use_route_templates_and_hold_no_key(keyed_visitor, fake, app):
    cid = conversation_id_from(keyed_visitor.send("Metrics check"))
    keyed_visitor.get(f"/c/{cid}")
    text = keyed_visitor.client.get("/metrics").get_data(as_text=True)
    assert 'endpoint="/c/<conversation_id>"' in text
    assert cid not in text
    assert CANARY_KEY[-12:] not in text
    assert re.search(r"chat_messages_total\{status=\"ok\"\} [1-9]", text)


def test_made_up_methods_cannot_create_metric_series(app):
    client = app.test_client()
    for method in ("FOOBARA", "FOOBARB", "ZZZQQQ"):
        assert client.open("/", method=method).status_code == 405
    text = client.get("/metrics").get_data(as_text=True)
    assert "FOOBAR" not in text and "ZZZQQQ" not in text
    assert re.search(
        r'http_requests_total\{endpoint="unmatched",method="OTHER",status="405"\} [3-9]', text
    )


def test_debug_routes_do_not_exist(app):
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    assert not any("debug" in rule or "console" in rule for rule in rules)
    assert app.debug is False


def test_conversation_titles_are_bounded(keyed_visitor, fake):
    cid = conversation_id_from(keyed_visitor.send("Very long first line " * 50))
    title = re.search(r"<h1>([^<]*)</h1>", keyed_visitor.get(f"/c/{cid}").text).group(1)
    assert len(title) <= 80 and title.endswith("…")


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        (
            "[site](https://ok.example)",
            '<a href="https://ok.example" rel="noopener noreferrer nofollow">site</a>',
        ),
        (
            "[mail](mailto:a@b.example)",
            '<a href="mailto:a@b.example" rel="noopener noreferrer nofollow">mail</a>',
        ),
        ("[page](/settings)", '<a href="/settings" rel="noopener noreferrer nofollow">page</a>'),
        ("![pic](https://evil.example/x?s=1)", "[image: pic — https://evil.example/x?s=1]"),
        ("<b>raw</b>", "&lt;b&gt;raw&lt;/b&gt;"),
        ("[x](javascript:alert(1))", "[x](javascript:alert(1))"),
    ],
)
def test_markdown_links_and_images(markdown, expected):
    from rendering import render_markdown

    html = str(render_markdown(markdown))
    assert expected in html
    assert "<img" not in html
