"""Fixtures and hooks only; the helpers they use live in tests/support/.

Fixtures: a fake OpenRouter, an isolated database and Redis prefix per run, the app,
visitors. Hooks: the real-services check, a marker per layer (unit, app, server, deploy,
e2e) with a count per layer in the summary, and the canary leak watch, which fails the
session if the key saved all through the suite showed up in a log line, a page or a row.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa

from tests.support import (
    CANARY_KEY,
    CANARY_WATCH,
    RUN_ID,
    SECRET,
    TEST_DATABASE_URL,
    TEST_REDIS_URL,
    AppFactory,
    Visitor,
    empty_tables,
    require_services,
    with_database,
)
from tests.support.fake_openrouter import FakeOpenRouter
from tests.support.live import LiveServers

TESTS = Path(__file__).resolve().parent
LAYERS = ("unit", "app", "server", "deploy", "e2e", "faults")

# A whole run of the suite sees at least this much; less means the watch was not hooked in.
CANARY_MINIMUM = {"log lines": 100, "responses": 500, "database rows": 100}
_CANARY_REPORT = pytest.StashKey[tuple[str, list[str]]]()
_deselected = 0


# ---------------------------------------------------------------- session hooks


def pytest_sessionstart(session: pytest.Session) -> None:
    require_services()
    # Debug logging on for the whole run, so a leak at any level is seen.
    root = logging.getLogger()
    root.setLevel(logging.DEBUG)
    root.addHandler(CANARY_WATCH)


def pytest_report_header(config: pytest.Config) -> list[str]:
    database = "PostgreSQL (TEST_DATABASE_URL)" if TEST_DATABASE_URL else "SQLite (embedded)"
    sessions = "Redis (TEST_REDIS_URL)" if TEST_REDIS_URL else "files (embedded)"
    return [f"automotive-chat: database={database} sessions={sessions} run={RUN_ID}"]


def layer_of(path: str | Path) -> str | None:
    """The layer a test belongs to: the first folder under tests/ (None outside them)."""
    path = Path(path)
    if not path.is_absolute():
        path = TESTS.parent / path
    try:
        parts = path.relative_to(TESTS).parts
    except ValueError:
        return None
    return parts[0] if len(parts) > 1 and parts[0] in LAYERS else None


@pytest.hookimpl(tryfirst=True)  # before -m selects by marker
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        layer = layer_of(item.path)
        if layer:
            item.add_marker(getattr(pytest.mark, layer))


def pytest_deselected(items: list[pytest.Item]) -> None:
    global _deselected
    _deselected += len(items)


def _ran_the_whole_suite(session: pytest.Session) -> bool:
    """True when every test under tests/ was selected (no paths, -k, -m or --lf narrowing)."""
    config = session.config
    here = config.invocation_params.dir
    whole = {TESTS, TESTS.parent}
    for arg in config.args:
        path, _, node = arg.partition("::")
        if node or (here / path).resolve() not in whole:
            return False
    return _deselected == 0 and session.testscollected > 0


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The canary leak watch: fail the session on any leak, or on a watch that saw too little.

    Runs after every test (and every make_app teardown, where the rows are scanned). The
    counts are checked only when the whole suite ran; a leak fails any run.
    """
    if session.config.option.collectonly:
        return
    seen = {
        "log lines": CANARY_WATCH.lines_seen,
        "responses": CANARY_WATCH.responses_seen,
        "database rows": CANARY_WATCH.rows_seen,
    }
    # The counts say whether the watch was hooked in; a run that stopped short or failed
    # has less to show, and fails (or not) on its own.
    whole = _ran_the_whole_suite(session)
    check_counts = whole and session.testsfailed == 0 and not session.shouldstop
    too_little = [
        f"{count} {what} (a whole run sees more than {CANARY_MINIMUM[what]})"
        for what, count in seen.items()
        if check_counts and count <= CANARY_MINIMUM[what]
    ]
    problems = [f"leak: {leak}" for leak in CANARY_WATCH.leaks]
    problems += [f"the watch saw only {text}" for text in too_little]
    summary = (
        f"canary: watched {seen['log lines']} log lines, {seen['responses']} responses, "
        f"{seen['database rows']} database rows; {len(CANARY_WATCH.leaks)} leaks found"
    )
    if not whole:
        summary += " (part of the suite: counts not checked)"
    elif not check_counts:
        summary += " (tests failed: counts not checked)"
    session.config.stash[_CANARY_REPORT] = (summary, problems)
    if problems and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    """One line of counts per layer, then the canary watch's line (and its leaks, in red)."""
    counts: dict[str, Counter] = {}
    for category in ("passed", "failed", "error", "skipped", "xfailed", "xpassed"):
        for report in terminalreporter.stats.get(category, []):
            nodeid = getattr(report, "nodeid", "")
            layer = layer_of(nodeid.split("::", 1)[0]) or "other"
            counts.setdefault(layer, Counter())[category] += 1
    if counts:
        order = [*LAYERS, "other"]
        parts = []
        for layer in sorted(counts, key=order.index):
            counted = counts[layer]
            parts.append(f"{layer} " + ", ".join(f"{n} {what}" for what, n in counted.items()))
        terminalreporter.write_line("layers: " + " · ".join(parts))

    report = config.stash.get(_CANARY_REPORT, None)
    if report is None:
        return
    summary, problems = report
    if problems:
        terminalreporter.write_sep("=", "CANARY KEY WATCH FAILED", red=True, bold=True)
        for problem in problems:
            terminalreporter.write_line(f"  {problem}", red=True)
    terminalreporter.write_line(summary, red=bool(problems))


# ---------------------------------------------------------------- services


@pytest.fixture(scope="session")
def fake_server() -> Iterator[FakeOpenRouter]:
    server = FakeOpenRouter()
    yield server
    server.close()


@pytest.fixture
def fake(fake_server: FakeOpenRouter) -> FakeOpenRouter:
    fake_server.reset()
    return fake_server


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not TEST_DATABASE_URL:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    name = f"autochat_test_{RUN_ID}"
    admin = sa.create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield with_database(TEST_DATABASE_URL, name)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def redis_prefix() -> Iterator[str]:
    prefix = f"autochat-test-{RUN_ID}:"
    yield prefix
    if TEST_REDIS_URL:
        client = redis.Redis.from_url(TEST_REDIS_URL)
        for key in client.scan_iter(match=f"*{prefix}*"):  # rate limits add their own prefix
            client.delete(key)
        client.close()


def migrate(database_url: str, instance_path: str) -> str:
    """Apply the real migrations to a database, as `flask db upgrade` does."""
    from flask_migrate import upgrade

    from app import create_app

    app = create_app(
        env={"SESSION_SECRET": SECRET, "DATABASE_URL": database_url},
        instance_path=instance_path,
    )
    with app.app_context():
        upgrade()
        from models import db

        db.engine.dispose()
    return database_url


@pytest.fixture(scope="session")
def migrated(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The run's database (PostgreSQL under CI), migrated once per run."""
    return migrate(database_url, str(tmp_path_factory.mktemp("migrate-instance")))


@pytest.fixture(scope="session")
def sqlite_migrated(tmp_path_factory: pytest.TempPathFactory) -> str:
    """An embedded SQLite database beside the run's own, for tests that run on both."""
    path = tmp_path_factory.mktemp("sqlite-db") / "both.db"
    return migrate(f"sqlite:///{path}", str(tmp_path_factory.mktemp("sqlite-instance")))


# ---------------------------------------------------------------- the app


@pytest.fixture
def make_app(fake, migrated, redis_prefix, tmp_path) -> Iterator[AppFactory]:
    factory = AppFactory(fake, migrated, redis_prefix, tmp_path)
    yield factory
    factory.close()
    empty_tables(migrated)  # counts the rows for the canary watch, and scans them


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture(params=["primary", "sqlite"])
def each_db_app(request, fake, migrated, sqlite_migrated, redis_prefix, tmp_path):
    """The app on the run's database and again on embedded SQLite: features whose SQL
    differs by backend (full-text search, migrations, bulk deletes) run on both."""
    url = migrated if request.param == "primary" else sqlite_migrated
    if request.param == "sqlite" and not TEST_DATABASE_URL:
        pytest.skip("the run's own database is SQLite already")
    factory = AppFactory(fake, url, redis_prefix, tmp_path)
    yield factory()
    factory.close()
    empty_tables(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path) -> Iterator[str]:
    """A new, empty database of each kind, for migration tests that move it up and down
    (PostgreSQL: a private database of this test, dropped after)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrate.db'}"
        return
    if not TEST_DATABASE_URL:
        pytest.skip("PostgreSQL is not configured (TEST_DATABASE_URL)")
    name = f"autochat_migrate_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield with_database(TEST_DATABASE_URL, name)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def each_db_visitor(each_db_app) -> Visitor:
    """A browser-like visitor of ``each_db_app``."""
    return Visitor(each_db_app.test_client())


@pytest.fixture(scope="module")
def gunicorn_servers(
    fake_server, migrated, redis_prefix, tmp_path_factory
) -> Iterator[LiveServers]:
    """Real Gunicorn servers (gunicorn.conf.py, gevent), started on demand by name and kept
    for the test module: ``gunicorn_servers.start("main", WORKERS="2", ...)``."""
    servers = LiveServers(
        fake_server.url, migrated, redis_prefix, tmp_path_factory.mktemp("gunicorn")
    )
    yield servers
    servers.close()


@pytest.fixture
def live_server(app, gunicorn_servers, fake, migrated):
    """The shipped server (Gunicorn, gunicorn.conf.py, gevent) for browser tests; no server
    key, as on a fresh install. ``app`` is the same configuration in process, for reading
    the database; its teardown empties the tables after each test."""
    # A turn's whole time (OPENROUTER_READ_TIMEOUT) covers a browser's pace too: a test
    # that holds a stream open while it clicks must not meet the deadline meanwhile.
    server = gunicorn_servers.start(
        "browser", WORKERS="2", OPENROUTER_API_KEY=None, OPENROUTER_READ_TIMEOUT="30"
    )
    server.mark()
    yield server.base
    assert server.trouble() == [], server.log()[-3000:]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def visitor(client) -> Visitor:
    return Visitor(client)


@pytest.fixture
def keyed_visitor(visitor: Visitor) -> Visitor:
    """A visitor who saved the canary key in Settings."""
    response = visitor.save_key(CANARY_KEY)
    assert response.status_code == 303
    return visitor
