"""Fixtures of the fault layer: private PostgreSQL and Redis, a socket-breaking upstream,
and real Gunicorn on them (see ``FaultRig`` in tests/support/private_services.py).

The services are started once for the session (initdb costs a second) and shared by the
modules; each module starts its own Gunicorn. A test that stops a service starts it again,
and every test begins by bringing back whatever an earlier one left stopped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from tests.support import empty_tables
from tests.support.fake_openrouter import FakeOpenRouter
from tests.support.private_services import (
    FIGURES,
    FaultRig,
    PrivatePostgres,
    PrivateRedis,
    migrate_database,
)


@pytest.fixture(scope="session")
def private_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivatePostgres]:
    postgres = PrivatePostgres()
    try:
        migrate_database(postgres.url, str(tmp_path_factory.mktemp("faults-migrate")))
        yield postgres
        postgres.start()
        # Scans the rows for the canary key, as every layer's data is scanned.
        empty_tables(postgres.engine_url)
    finally:
        postgres.close()


@pytest.fixture(scope="session")
def private_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path_factory.mktemp("faults-redis"))
    server.start()
    yield server
    server.close()


@pytest.fixture(scope="session")
def faulty_upstream() -> Iterator[FakeOpenRouter]:
    server = FakeOpenRouter()
    yield server
    server.close()


@pytest.fixture(scope="module")
def rig(faulty_upstream, private_postgres, private_redis, tmp_path_factory) -> Iterator[FaultRig]:
    """This module's Gunicorn servers on the private services (``rig.server(name)``)."""
    rig = FaultRig(
        faulty_upstream, private_postgres, private_redis, tmp_path_factory.mktemp("faults")
    )
    yield rig
    rig.close()


@pytest.fixture
def upstream(rig: FaultRig) -> FakeOpenRouter:
    rig.ensure_services()
    rig.upstream.reset()
    rig.upstream.default = None
    return rig.upstream


FAULT_TEST = "test_upstream_faults.py::test_an_upstream_fault_keeps_the_message_and_says_why["


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    """How many upstream fault kinds ran, and the recovery times the outage tests measured
    (reported, never asserted: this machine's two cores are shared)."""
    outcomes: dict[str, str] = {}
    for category in ("passed", "failed", "error", "skipped", "xfailed", "xpassed"):
        for report in terminalreporter.stats.get(category, []):
            nodeid = getattr(report, "nodeid", "")
            if FAULT_TEST in nodeid:
                outcomes[nodeid.split("[", 1)[1].rstrip("]")] = category
    if outcomes:
        # Case ids are "<fault kind>-<mode>".
        kinds = {case.rsplit("-", 1)[0] for case in outcomes}
        counts = Counter(outcomes.values())
        terminalreporter.write_line(
            f"faults: {len(kinds)} upstream fault kinds in {len(outcomes)} kind x mode cases ("
            + ", ".join(f"{n} {what}" for what, n in sorted(counts.items()))
            + ")"
        )
    for line in FIGURES:
        terminalreporter.write_line(f"faults: {line}")
