"""deploy/nginx/automotive-chat.conf in front of the real app: real Nginx, real Gunicorn, TLS.

The shipped site file is rendered with loopback ports, a throw-away certificate and the
checkout's static folder (each substitution must hit exactly once), wrapped in a minimal
nginx.conf as Debian's would include it, and served by the system's Nginx.
"""

from __future__ import annotations

import re
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest
import requests

from tests.support import ROOT, SECRET, cluster, free_port
from tests.support.deploy import (
    DEPLOY,
    clean_env,
    require_tool,
    self_signed_certificate,
    start_app,
    stop,
)
from tests.support.fake_openrouter import Stream
from tests.support.streaming import SSE_HEADERS, read_events

pytestmark = pytest.mark.slow

SITE = DEPLOY / "nginx" / "automotive-chat.conf"
SERVER_KEY = "sk-or-v1-server-wide-key-for-the-nginx-test-0000000000000000000000"


def render_site(text: str, *, http: int, https: int, app: int, cert: Path, key: Path) -> str:
    """Point the shipped site at this test's ports, certificate and static folder."""
    return cluster.render_site(
        text,
        http=http,
        https=https,
        apps=[app],
        cert=cert,
        key=key,
        # The app's own "X-Accel-Buffering: no" is ignored here, so the streaming test
        # shows what the site's proxy_buffering setting does by itself.
        extra=[
            (
                r"^(\s*)proxy_buffering off;$",
                r"\1proxy_buffering off;\n\1proxy_ignore_headers X-Accel-Buffering;",
            )
        ],
    )


class Stack:
    def __init__(self, **kwargs) -> None:
        self.__dict__.update(kwargs)


@pytest.fixture(scope="module")
def stack(tmp_path_factory, fake_server):
    nginx = require_tool("nginx", "/usr/sbin/nginx")
    tmp = tmp_path_factory.mktemp("nginx")
    run = tmp / "run"
    run.mkdir()
    app_port, http_port, https_port = free_port(), free_port(), free_port()

    env = clean_env(
        tmp,
        FLASK_ENV="production",
        SESSION_SECRET=SECRET,
        DATABASE_URL=f"sqlite:///{tmp / 'instance' / 'automotive_chat.db'}",
        BIND=f"127.0.0.1:{app_port}",
        WORKERS="1",
        PROXY_COUNT="1",
        # The app alone would show /metrics to loopback callers, which Nginx also is:
        # the test proves Nginx itself keeps it private.
        METRICS_ALLOW="127.0.0.1",
        OPENROUTER_API_KEY=SERVER_KEY,
        OPENROUTER_BASE_URL=fake_server.url,
        OPENROUTER_MAX_RETRIES="0",
    )
    app_log = tmp / "app.log"
    app, app_base = start_app(env, app_port, app_log)

    cert, key = self_signed_certificate(tmp)
    site = run / "automotive-chat.conf"
    site.write_text(
        render_site(
            SITE.read_text(), http=http_port, https=https_port, app=app_port, cert=cert, key=key
        )
    )
    conf = run / "nginx.conf"
    conf.write_text(cluster.main_config(run, site))
    command = [nginx, "-p", f"{run}/", "-e", str(run / "error.log"), "-c", str(conf)]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr
    proxy = subprocess.Popen([*command, "-g", "daemon off;"], stderr=subprocess.PIPE)
    https = f"https://127.0.0.1:{https_port}"
    deadline = time.monotonic() + 15
    while True:
        try:
            socket.create_connection(("127.0.0.1", https_port), timeout=2).close()
            break
        except OSError:
            if time.monotonic() > deadline or proxy.poll() is not None:
                stop(proxy)
                stop(app)
                pytest.fail(f"nginx did not start: {(run / 'error.log').read_text()}")
            time.sleep(0.1)
    try:
        yield Stack(
            http=f"http://127.0.0.1:{http_port}",
            https=https,
            https_port=https_port,
            app=app_base,
            cert=str(cert),
            run=run,
            app_log=app_log,
            process=app,
        )
    finally:
        stop(proxy)
        stop(app)


def browser(stack) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE would otherwise replace our certificate
    session.verify = stack.cert
    # Over HTTPS the CSRF check compares the Referer with the host, as a browser sends it.
    session.headers["Referer"] = stack.https + "/"
    return session


SECURITY_HEADERS = {
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def assert_security_headers(response) -> None:
    for name, value in SECURITY_HEADERS.items():
        # Exactly one copy: requests joins repeated headers with ", ".
        assert response.headers.get(name) == value, (response.url, name, response.headers)


def test_plain_http_redirects_to_https(stack):
    response = requests.get(f"{stack.http}/c/abc?x=1", allow_redirects=False, timeout=5)
    assert response.status_code == 301
    assert response.headers["Location"] == "https://127.0.0.1/c/abc?x=1"
    challenge = requests.get(
        f"{stack.http}/.well-known/acme-challenge/token", allow_redirects=False, timeout=5
    )
    assert challenge.status_code != 301  # certbot renewals are answered over HTTP


@pytest.mark.parametrize("version", ["TLSv1_2", "TLSv1_3"])
def test_tls_versions(stack, version):
    context = ssl.create_default_context(cafile=stack.cert)
    context.minimum_version = context.maximum_version = getattr(ssl.TLSVersion, version)
    with (
        socket.create_connection(("127.0.0.1", stack.https_port), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        assert tls.version() == version.replace("_", ".")
    protocols = re.findall(r"^\s*ssl_protocols (.+);$", SITE.read_text(), re.M)
    assert protocols == ["TLSv1.2 TLSv1.3"]


def test_chat_page_over_tls_with_security_headers(stack):
    page = browser(stack).get(stack.https + "/", timeout=10)
    assert page.status_code == 200
    assert '<meta name="csrf-token"' in page.text
    assert_security_headers(page)
    # The app's own per-response policy passes through untouched.
    assert "script-src 'self' 'nonce-" in page.headers["Content-Security-Policy"]
    # Production cookies: Secure with the __Host- prefix, set through the proxy.
    assert "__Host-session" in page.cookies
    # Nginx names the request; the app takes that id and hands it back.
    assert re.fullmatch(r"[0-9a-f]{32}", page.headers["X-Request-ID"])


def test_static_files_are_served_by_nginx_with_long_caching(stack):
    response = browser(stack).get(stack.https + "/static/css/app.css", timeout=5)
    assert response.status_code == 200
    assert response.content == (ROOT / "static" / "css" / "app.css").read_bytes()
    assert "max-age=2592000" in response.headers["Cache-Control"]
    assert "public" in response.headers["Cache-Control"]
    assert "Expires" in response.headers
    assert_security_headers(response)
    assert "/static/css/app.css" not in stack.app_log.read_text()  # never reached Gunicorn


def test_health_answers_and_is_not_logged(stack):
    session = browser(stack)
    assert session.get(stack.https + "/health", timeout=5).json()["status"] == "healthy"
    session.get(stack.https + "/settings", timeout=5)
    log = (stack.run / "access.log").read_text()
    assert '"GET /settings ' in log  # the access log works...
    assert "/health" not in log  # ...and leaves the health checks out


def test_metrics_are_not_public(stack):
    direct = requests.get(stack.app + "/metrics", timeout=5)
    assert direct.status_code == 200  # the app would show them to a loopback caller
    through = browser(stack).get(stack.https + "/metrics", timeout=5)
    assert through.status_code == 404
    assert "http_requests_total" not in through.text
    assert_security_headers(through)


def test_oversized_bodies_stop_at_nginx(stack):
    response = browser(stack).post(stack.https + "/settings", data={"api_key": "x" * 2_000_000})
    assert response.status_code == 413
    assert "nginx" in response.text
    # Sending a message may carry pictures (41 MB at Nginx); a body past the app's own
    # limit for a form without files is refused by the app, on its own page.
    response = browser(stack).post(stack.https + "/chat", data={"message": "x" * 2_000_000})
    assert response.status_code == 413
    assert "nginx" not in response.text and "Automotive Chat Assistant" in response.text


def test_streamed_reply_arrives_through_nginx_as_it_is_written(stack, fake_server):
    fake_server.reset()
    pieces = [f"piece {n} " for n in range(6)]
    fake_server.queue(Stream(pieces, delay=0.5))  # about 2.5 s from first to last
    session = browser(stack)
    page = session.get(stack.https + "/", timeout=10)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text).group(1)
    started = time.monotonic()
    response = session.post(
        stack.https + "/chat",
        data={"message": "Why does my brake pedal pulse when stopping?"},
        headers={**SSE_HEADERS, "X-CSRFToken": token},
        stream=True,
        timeout=30,
    )
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/event-stream")
    first = done = None
    upstream_finished_at_first = None
    texts = []
    for name, data in read_events(response):
        if name == "delta":
            texts.append(data["text"])
            if first is None:
                first = time.monotonic() - started
                upstream_finished_at_first = fake_server.state.completed_streams
        if name in ("done", "error"):
            done = time.monotonic() - started
            assert name == "done", data
            break
    response.close()
    assert texts == pieces
    assert upstream_finished_at_first == 0  # the fake was still writing the reply
    assert first < done / 2, (first, done)  # not held back until the end
    assert fake_server.chat_requests[-1].headers["Authorization"] == f"Bearer {SERVER_KEY}"


def test_start_script_migrated_then_became_gunicorn(stack):
    log = stack.app_log.read_text()
    assert "Running upgrade" in log or "Context impl" in log  # flask db upgrade ran first
    # exec: the process we started is the Gunicorn master itself, not a shell around it.
    cmdline = Path(f"/proc/{stack.process.pid}/cmdline").read_bytes().split(b"\0")
    assert b"gunicorn" in cmdline


def test_no_app_server_answering_gets_a_page_that_says_the_message_was_saved(tmp_path):
    """Every app server gone (restarting, or the one answering was killed): not Nginx's
    bare 502 but a page saying a sent message is saved, with the way back to it."""
    nginx = require_tool("nginx", "/usr/sbin/nginx")
    proxy = cluster.Proxy(nginx, tmp_path, [free_port()])  # nothing listens there
    try:
        session = proxy.session()
        for method, path in (("GET", "/"), ("POST", "/chat"), ("GET", "/c/" + "a" * 32)):
            response = session.request(method, proxy.base + path, data={"message": "Hi"})
            assert response.status_code == 502
            assert "text/html" in response.headers["Content-Type"]
            assert "If you sent a message, it was saved" in response.text
            assert 'href="/"' in response.text and "nginx" not in response.text.lower()
            assert_security_headers(response)
        # The page's stylesheet comes from the same static folder.
        assert session.get(proxy.base + "/static/css/app.css").status_code == 200
    finally:
        proxy.close()
