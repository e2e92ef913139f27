"""/health checks the database and Redis and never leaks where they are; /health/live
answers whenever the process can serve at all (Kubernetes' readiness and liveness)."""

from __future__ import annotations

from sqlalchemy import event

from tests.support import Visitor, free_port


def test_healthy(client, app):
    response = client.get("/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "healthy"
    assert body["version"] == app.config["VERSION"]
    assert body["timestamp"].endswith("+00:00")
    assert body["checks"]["database"] == "ok"
    if app.config.get("REDIS_URL"):
        assert body["checks"]["redis"] == "ok"
    assert "Set-Cookie" not in response.headers


def test_version_comes_from_the_environment(make_app):
    app = make_app(VERSION="1.2.3")
    assert app.test_client().get("/health").get_json()["version"] == "1.2.3"


def test_redis_unreachable_is_503_naming_redis(make_app):
    port = free_port()
    app = make_app(REDIS_URL=f"redis://:hunter2secret@127.0.0.1:{port}/0")
    response = app.test_client().get("/health")
    text = response.get_data(as_text=True)
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unhealthy"
    assert body["failed"] == ["redis"]
    assert body["checks"]["database"] == "ok"
    assert "hunter2secret" not in text
    assert str(port) not in text
    assert "Traceback" not in text


def test_pages_render_and_posts_are_refused_politely_while_redis_is_down(make_app, fake):
    app = make_app(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    visitor = Visitor(app.test_client())
    assert visitor.get("/").status_code == 200
    # Without a session store the form token cannot be checked, so the post is
    # refused politely with the text kept, naming the outage (not an expired
    # session); nothing answers 500.
    response = visitor.send("Is it safe to drive with the battery light on?")
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert ">Is it safe to drive with the battery light on?</textarea>" in page
    assert "nothing was sent" in page
    assert "Sessions are unavailable right now" in page
    assert "expired" not in page
    assert response.headers["Retry-After"] == "5"


def test_database_unreachable_is_503_naming_the_database(make_app):
    url = f"postgresql://app:s3cretpass@127.0.0.1:{free_port()}/cars"
    app = make_app(DATABASE_URL=url)
    response = app.test_client().get("/health")
    text = response.get_data(as_text=True)
    assert response.status_code == 503
    assert response.get_json()["failed"] == ["database"]
    assert "s3cretpass" not in text
    assert "cars" not in text
    assert "Traceback" not in text


def test_pages_answer_503_not_500_when_the_database_is_gone(make_app):
    app = make_app(DATABASE_URL=f"postgresql://app:s3cretpass@127.0.0.1:{free_port()}/cars")
    client = app.test_client()
    response = client.get("/", headers={"Accept": "application/json"})
    assert response.status_code == 503
    assert response.get_json()["error"]["kind"] == "database_unavailable"
    page = client.get("/")
    assert page.status_code == 503
    assert "s3cretpass" not in page.get_data(as_text=True)
    assert "Traceback" not in page.get_data(as_text=True)
    # Nothing was sent from a page view: no talk of a message below.
    assert "not answering right now" in page.get_data(as_text=True)
    assert "may not have been saved" not in page.get_data(as_text=True)


def test_a_message_sent_while_the_database_is_gone_is_handed_back(make_app):
    app = make_app(DATABASE_URL=f"postgresql://app@127.0.0.1:{free_port()}/cars")
    visitor = Visitor(app.test_client())
    response = visitor.post("/chat", {"message": "Car pulls to the right"}, source="/settings")
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "may not have been saved" in page
    assert ">Car pulls to the right</textarea>" in page


# ---------------------------------------------------------------- liveness


def test_liveness_answers_ok_without_a_cookie(client):
    response = client.get("/health/live")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


def test_liveness_stays_200_while_the_database_and_redis_are_down(make_app):
    # Readiness fails, so the pod gets no traffic; liveness holds, so it is not
    # restarted for an outage that a restart cannot cure.
    app = make_app(
        DATABASE_URL=f"postgresql://app:s3cretpass@127.0.0.1:{free_port()}/cars",
        REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
    )
    client = app.test_client()
    assert client.get("/health").status_code == 503
    for _ in range(3):
        response = client.get("/health/live")
        assert response.status_code == 200
        assert response.get_json() == {"status": "ok"}


def test_liveness_probes_are_logged_at_debug_only(make_app, capsys):
    client = make_app(LOG_FORMAT="json").test_client()
    capsys.readouterr()
    client.get("/health/live")
    assert "Request handled" not in capsys.readouterr().err
    client.get("/")  # an ordinary request is logged, so the capture does see the app
    assert "Request handled" in capsys.readouterr().err


def test_liveness_is_a_get_only_route(client):
    assert client.post("/health/live").status_code == 405


def test_liveness_does_no_database_work(make_app):
    # A probe that waits on the database (a full pool waits up to 30 s) would fail,
    # and the pod be restarted, for the database's sake.
    app = make_app()
    app.config["DELETE_PURGE_INTERVAL"] = 0  # the purge hook would run on every request
    statements: list[str] = []
    with app.app_context():
        from models import db

        engine = db.engine

    def note(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        assert app.test_client().get("/health/live").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert statements == []
