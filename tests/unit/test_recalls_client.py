"""NHTSA recalls: the client against the fake API, errors, timeouts, the cache, the tool."""

from __future__ import annotations

import ast
import json
import threading
import time
from datetime import date
from pathlib import Path

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

import nhtsa
from automotive import recalls
from automotive.recalls import Recall, RecallsReport, VehicleQuery
from automotive.tools import MAX_RESULT_CHARS, result_content, run_tool
from automotive.vehicle import VehicleProfile
from tests.support import RUN_ID, TEST_REDIS_URL, free_port
from tests.support.fake_nhtsa import FakeNhtsa, Hangup, Outage, Raw, Slow, recall_entry

ACCORD = VehicleQuery(2003, "Honda", "Accord")
MIATA = VehicleQuery(2016, "Mazda", "MX-5 Miata")


@pytest.fixture(scope="module")
def nhtsa_server():
    server = FakeNhtsa()
    yield server
    server.close()


@pytest.fixture
def fake(nhtsa_server):
    nhtsa_server.reset()
    return nhtsa_server


class Pauses(list):
    """Stands in for time.sleep: records the pauses instead of taking them."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def pauses():
    return Pauses()


@pytest.fixture
def client(fake, pauses):
    api = nhtsa.NhtsaClient(fake.url, connect_timeout=1, read_timeout=0.5, sleep=pauses)
    yield api
    api.close()


class Clock:
    def __init__(self) -> None:
        self.now = 1_750_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def service(client, clock):
    return nhtsa.RecallsService(client, fresh_seconds=86400, clock=clock)


# ---------------------------------------------------------------- the client


def test_the_real_json_shape_becomes_typed_recalls(client, fake):
    found = client.recalls_by_vehicle(ACCORD)
    (asked,) = fake.recall_requests
    assert asked.params == {"make": "honda", "model": "accord", "modelYear": "2003"}
    assert asked.headers["Accept"] == "application/json"
    by_campaign = {recall.campaign: recall for recall in found}
    assert set(by_campaign) == {"03V123000", "15V320000", "08V270000"}
    inflator = by_campaign["15V320000"]
    assert inflator == Recall(
        campaign="15V320000",
        component="AIR BAGS:FRONTAL:DRIVER SIDE:INFLATOR MODULE",
        summary="The driver's frontal air bag inflator may rupture when the air bag deploys.",
        consequence="Metal fragments may strike the driver or other occupants, causing serious "
        "injury or death.",
        remedy="Dealers will replace the driver's air bag inflator, free of charge. Do not drive "
        "the vehicle until it is repaired.",
        report_date=date(2015, 5, 22),  # "22/05/2015" is day/month/year
        park_it=True,
        park_outside=False,
        manufacturer="Honda (American Honda Motor Co.)",
        notes="Owners may also contact the NHTSA Vehicle Safety Hotline at 1-888-327-4236.",
        over_the_air=False,
    )
    assert inflator.urgent and inflator.component_parts[0] == "AIR BAGS"
    assert inflator.url == "https://www.nhtsa.gov/recalls?nhtsaId=15V320000"


def test_an_unknown_vehicle_has_no_recalls(client, fake):
    assert client.recalls_by_vehicle(MIATA) == []
    assert fake.recall_requests[0].params["model"] == "mx-5 miata"


def test_parsing_tolerates_odd_entries_and_refuses_other_shapes():
    entries = [
        recall_entry("20V001000", "BRAKES", received="31/12/2020", park_outside="true"),
        recall_entry("", "NO CAMPAIGN: NOTHING TO ACT ON"),
        {**recall_entry("21V002000", "  SEATS  "), "ReportReceivedDate": "2021-13-45"},
    ]
    found = nhtsa.parse_recalls({"Count": 3, "Message": "ok", "Results": entries})
    assert [r.campaign for r in found] == ["20V001000", "21V002000"]
    assert found[0].park_outside and found[0].report_date == date(2020, 12, 31)
    assert found[1].component == "SEATS" and found[1].report_date is None
    assert nhtsa.parse_recalls({"Count": 0, "Message": "none"}) == []
    for body in ([], {"Count": 1, "results": "nope"}, {"results": ["not an object"]}):
        with pytest.raises(nhtsa.NhtsaBadAnswer):
            nhtsa.parse_recalls(body)


def test_a_closed_port_is_unreachable_after_one_retry(pauses):
    api = nhtsa.NhtsaClient(f"http://127.0.0.1:{free_port()}", connect_timeout=1, sleep=pauses)
    with pytest.raises(nhtsa.NhtsaUnreachable) as caught:
        api.recalls_by_vehicle(ACCORD)
    assert caught.value.sentence == "NHTSA's recall service could not be reached; try again later."
    assert len(pauses) == 1 and nhtsa.RETRY_JITTER[0] <= pauses[0] <= nhtsa.RETRY_JITTER[1]
    api.close()


def test_a_server_error_is_retried_once_then_given_up(client, fake, pauses):
    fake.fail_next(Outage(503), Outage(502))
    with pytest.raises(nhtsa.NhtsaUnreachable, match="HTTP 502"):
        client.recalls_by_vehicle(ACCORD)
    assert len(fake.recall_requests) == 2 and len(pauses) == 1


@pytest.mark.parametrize("failure", [Outage(503), Hangup()])
def test_one_fast_failure_is_recovered_by_the_retry(client, fake, pauses, failure):
    fake.fail_next(failure)
    assert len(client.recalls_by_vehicle(ACCORD)) == 3
    assert len(fake.recall_requests) == 2 and len(pauses) == 1


def test_a_timeout_is_not_retried(client, fake, pauses):
    fake.fail_next(Slow(1.5))
    started = time.monotonic()
    with pytest.raises(nhtsa.NhtsaTimeout, match=r"no answer within 0\.5 s"):
        client.recalls_by_vehicle(ACCORD)
    assert time.monotonic() - started < 1.4
    assert len(fake.recall_requests) == 1 and pauses == []


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (Raw(200, b"<html>maintenance</html>", "text/html"), "HTTP 200, not JSON"),
        (Raw(200, b'{"Count": 1, "results": {}}'), "no results list"),
        (Raw(400, b'{"Count": 0, "Message": "Invalid modelYear", "results": []}'), "Invalid"),
    ],
)
def test_an_answer_that_is_not_the_recalls_json_is_a_bad_answer(
    client, fake, pauses, answer, reason
):
    fake.fail_next(answer)
    with pytest.raises(nhtsa.NhtsaBadAnswer, match=reason) as caught:
        client.recalls_by_vehicle(ACCORD)
    assert "could not be read" in caught.value.sentence
    assert len(fake.recall_requests) == 1 and pauses == []


def test_the_fake_refuses_missing_parameters_as_nhtsa_does(client, fake):
    with pytest.raises(nhtsa.NhtsaBadAnswer, match="HTTP 400: Please provide"):
        client._ask(VehicleQuery(2003, "Honda", " "))


# ---------------------------------------------------------------- the cache


def test_an_answer_is_cached_for_the_vehicle_however_it_is_spelled(service, fake):
    first = service.lookup(ACCORD)
    assert not first.cached and len(first.recalls) == 3 and first.problem is None
    again = service.lookup(VehicleQuery(2003, "HONDA", "accord"))
    assert again.cached and again.recalls == first.recalls
    assert len(fake.recall_requests) == 1
    service.lookup(VehicleQuery(2004, "Honda", "Accord"))  # another year is another vehicle
    assert len(fake.recall_requests) == 2


def test_the_cache_is_fresh_for_its_seconds_then_asks_again(service, fake, clock):
    service.lookup(ACCORD)
    clock.now += 86400 - 1
    assert service.lookup(ACCORD).cached
    clock.now += 2
    assert not service.lookup(ACCORD).cached
    assert len(fake.recall_requests) == 2


def test_recalls_come_park_it_first_then_park_outside_then_newest(service, fake):
    fake.add_vehicle(
        2020,
        "Kia",
        "Soul",
        [
            recall_entry("20V100000", "ENGINE", received="01/01/2021"),
            recall_entry("19V200000", "WIRING", received="01/01/2019", park_outside=True),
            recall_entry("18V300000", "ABS MODULE", received="01/01/2018", park_it=True),
            recall_entry("22V400000", "SEATS", received="01/01/2022"),
        ],
    )
    report = service.lookup(VehicleQuery(2020, "Kia", "Soul"))
    assert [r.campaign for r in report.recalls] == [
        "18V300000",
        "19V200000",
        "22V400000",
        "20V100000",
    ]
    assert report.urgent_count == 2
    # The cached copy keeps the order and every field.
    assert service.lookup(VehicleQuery(2020, "kia", "soul")).recalls == report.recalls


def test_a_failure_is_remembered_for_a_minute_not_a_day(service, fake, clock):
    fake.fail_next(Outage(503), Outage(503))
    failed = service.lookup(ACCORD)
    assert failed.unavailable and failed.recalls == ()
    assert failed.problem == "NHTSA's recall service could not be reached; try again later."
    assert len(fake.recall_requests) == 2  # the request and its one retry
    clock.now += 30
    assert service.lookup(ACCORD).unavailable
    assert len(fake.recall_requests) == 2  # not asked again within the minute
    clock.now += 31
    assert len(service.lookup(ACCORD).recalls) == 3
    assert len(fake.recall_requests) == 3


def test_a_stale_answer_is_served_with_a_note_while_nhtsa_is_down(service, fake, clock):
    checked = service.lookup(ACCORD).checked_at
    clock.now += 2 * 86400
    fake.fail_next(Slow(1.5))
    stale = service.lookup(ACCORD)
    assert stale.stale and not stale.unavailable
    assert len(stale.recalls) == 3 and stale.checked_at == checked
    assert stale.problem == "NHTSA's recall service did not answer in time; try again later."
    assert service.lookup(ACCORD).stale  # within the minute: the same, without asking
    assert len(fake.recall_requests) == 2


def test_one_lookup_per_vehicle_at_a_time(service, fake):
    fake.fail_next(Slow(0.3))  # within the read timeout: an answer, slowly
    reports: list[RecallsReport] = []
    threads = [threading.Thread(target=lambda: reports.append(service.lookup(ACCORD)))
               for _ in range(5)]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(fake.recall_requests) == 1
    assert [len(report.recalls) for report in reports] == [3] * 5


def test_a_broken_cache_entry_is_asked_again(service, fake):
    service.memory.set(service._key(ACCORD), "{not json", 60, service.clock())
    assert len(service.lookup(ACCORD).recalls) == 3
    assert len(fake.recall_requests) == 1


@pytest.fixture
def redis_client():
    if not TEST_REDIS_URL:
        pytest.skip("TEST_REDIS_URL is not set")
    client = redis.Redis.from_url(TEST_REDIS_URL)
    yield client
    for key in client.scan_iter(match=f"autochat-test-{RUN_ID}:unit-recalls:*"):
        client.delete(key)
    client.close()


def test_workers_share_answers_and_failures_through_redis(client, fake, clock, redis_client):
    prefix = f"autochat-test-{RUN_ID}:unit-recalls:"
    one, two = (
        nhtsa.RecallsService(client, redis_client=redis_client, prefix=prefix, clock=clock)
        for _ in range(2)
    )
    assert not one.lookup(ACCORD).cached
    assert two.lookup(ACCORD).cached
    ttl = redis_client.ttl(f"{prefix}recalls:2003:honda:accord")
    assert 86400 < ttl <= 86400 + nhtsa.KEEP_SECONDS  # kept past its day, for outages
    fake.fail_next(Outage(503), Outage(503))
    assert one.lookup(MIATA).unavailable
    assert two.lookup(MIATA).unavailable
    assert 0 < redis_client.ttl(f"{prefix}recalls-failed:2016:mazda:mx-5%20miata") <= 60
    assert len(fake.recall_requests) == 3


def test_a_redis_outage_falls_back_to_memory(client, fake, clock):
    down = redis.Redis(port=free_port(), socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0))
    service = nhtsa.RecallsService(client, redis_client=down, clock=clock)
    assert len(service.lookup(ACCORD).recalls) == 3
    assert service.lookup(ACCORD).cached
    assert len(fake.recall_requests) == 1


# ---------------------------------------------------------------- the tool


@pytest.fixture
def connected(service, monkeypatch):
    monkeypatch.setattr(recalls, "_lookup", None)
    recalls.connect(service.lookup)
    return service


def tool(arguments: dict | None = None, vehicle: VehicleProfile | None = None) -> dict:
    return json.loads(
        result_content(run_tool("check_recalls", json.dumps(arguments or {}), vehicle))
    )


def test_the_tool_checks_the_saved_vehicle(connected, fake):
    result = tool({}, VehicleProfile(year=2003, make="Honda", model="Accord", mileage=120000))
    assert result["vehicle"] == "2003 Honda Accord"
    assert result["count"] == 3 and result["source"] == "NHTSA recalls API"
    first = result["recalls"][0]
    assert first["campaign"] == "15V320000" and first["date"] == "2015-05-22"
    assert first["park_it"] == "DO NOT DRIVE until repaired"
    assert "park_it" not in result["recalls"][1]
    assert "note" not in result


def test_arguments_replace_the_saved_fields(connected, fake):
    result = tool({"year": 2016, "model": "MX-5 Miata"}, VehicleProfile(year=2003, make="Mazda"))
    assert result["vehicle"] == "2016 Mazda MX-5 Miata" and result["count"] == 0
    assert "MX-5 MIATA" in result["note"]
    assert fake.recall_requests[0].params == {
        "make": "mazda",
        "model": "mx-5 miata",
        "modelYear": "2016",
    }


@pytest.mark.parametrize(
    ("arguments", "vehicle", "reason"),
    [
        ({}, None, "needs a model year, make and model"),
        ({"make": "Honda"}, VehicleProfile(model="Accord"), "needs a model year"),
        ({"year": "03", "make": "Honda", "model": "Accord"}, None, "four-digit model year"),
        ({"year": 2003, "make": "Honda", "model": "x" * 61}, None, "limited to 60"),
    ],
)
def test_a_vehicle_that_cannot_be_looked_up_is_an_error_for_the_model(
    connected, fake, arguments, vehicle, reason
):
    result = tool(arguments, vehicle)
    assert result["error"].startswith("check_recalls could not run:")
    assert reason in result["error"]
    assert fake.recall_requests == []


def test_an_unreachable_service_is_a_sentence_for_the_model(connected, fake):
    fake.fail_next(Outage(503), Outage(503))
    result = tool({"year": 2003, "make": "Honda", "model": "Accord"})
    assert result == {
        "error": "NHTSA's recall service could not be reached; try again later.",
        "vehicle": "2003 Honda Accord",
    }


def test_many_long_recalls_fit_the_tool_budget_urgent_first(connected, fake):
    long = "word " * 200
    entries = [recall_entry(f"2{n}V00{n}000", f"PART {n}", summary=long, remedy=long,
                            consequence=long, park_it=n == 7) for n in range(10)]  # fmt: skip
    fake.add_vehicle(2019, "Ford", "F-150", entries)
    content = result_content(
        run_tool("check_recalls", '{"year": 2019, "make": "Ford", "model": "F-150"}', None)
    )
    assert len(content) <= MAX_RESULT_CHARS
    result = json.loads(content)
    assert result["count"] == 10
    assert result["recalls"][0]["campaign"] == "27V007000"
    assert len(result["recalls"][0]["summary"]) <= recalls.TOOL_TEXT_CHARS + 1
    assert result["recalls"][0]["summary"].endswith("…")
    shown = len(result["recalls"])
    assert 1 < shown < 10
    assert f"{10 - shown} more not shown here" in result["note"]


def test_without_a_connected_lookup_the_tool_says_so(monkeypatch):
    monkeypatch.setattr(recalls, "_lookup", None)
    result = tool({"year": 2003, "make": "Honda", "model": "Accord"})
    assert result["error"] == recalls.NOT_CONNECTED


# ---------------------------------------------------------------- the house rules


def _imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("name", ["nhtsa.py", "automotive/recalls.py"])
def test_the_client_and_the_domain_know_nothing_of_flask(name):
    imported = _imported(Path(__file__).resolve().parents[2] / name)
    assert not {n for n in imported if n == "flask" or n.startswith("flask_")}
    assert imported & {"views", "chat", "models", "session_store", "catalog", "app"} == set()
