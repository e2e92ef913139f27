"""/health checks the database and Redis and never leaks where they are."""

from __future__ import annotations

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
    assert "session store is not answering" in page
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


def test_a_message_sent_while_the_database_is_gone_is_handed_back(make_app):
    app = make_app(DATABASE_URL=f"postgresql://app@127.0.0.1:{free_port()}/cars")
    visitor = Visitor(app.test_client())
    response = visitor.post("/chat", {"message": "Car pulls to the right"}, source="/settings")
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "may not have been saved" in page
    assert ">Car pulls to the right</textarea>" in page
