"""``GET /api/sensors/stream`` for real: the web app as deployed (gunicorn, uvicorn
workers), readings through the broker and the real ``mqtt_ingest``, the test
database. And the same view under WSGI (the test client, as ``runserver``)."""

from __future__ import annotations

import json
import threading
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import override_settings

from conftest import WebServer, web_server_running
from sensors.models import SensorReading
from sensors.services import readings_store
from sensors.stream import KEEPALIVE, STREAM_OPENING
from sensors.tests.ingest_process import open_publisher, reading_payload, start_ingest, wait_until
from sensors.tests.sse_client import EventStream
from sensors.validation import Reading

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def server(request, subprocess_env, tmp_path):
    options = getattr(request, "param", {})
    env = {**subprocess_env, "STREAM_POLL_SECONDS": "0.05", **options.get("env", {})}
    with web_server_running(env, tmp_path / "web.log", workers=options.get("workers", 2)) as web:
        yield web


@pytest.fixture
def publisher(request, subprocess_env, mosquitto, tmp_path):
    start_ingest(request, subprocess_env, tmp_path / "ingest.log")
    return open_publisher(request, mosquitto)


def open_stream(request, url: str, **options) -> EventStream:
    stream = EventStream(url, **options)
    request.addfinalizer(stream.close)
    assert stream.response.status == 200
    assert stream.response.getheader("Content-Type") == "text/event-stream"
    opening = stream.next()
    assert opening.retry == "2000"
    assert opening.comments == ["connected"]
    return stream


def stored_ids(**filters) -> list[int]:
    return list(SensorReading.objects.filter(**filters).order_by("id").values_list("id", flat=True))


def test_readings_stored_after_the_request_arrive_as_events(request, server, publisher):
    publisher.publish([("sensors/early/data", reading_payload(0))])
    wait_until(lambda: SensorReading.objects.count() == 1, what="the early reading")

    stream = open_stream(request, server.url + "/api/sensors/stream")
    publisher.publish([(f"sensors/press-{n % 3}/data", reading_payload(n)) for n in range(1, 31)])
    events = stream.readings(30)

    assert [int(e.id) for e in events] == stored_ids(device_id__startswith="press-")
    assert all(e.event == "reading" for e in events)
    newest = events[-1].reading
    history = server_json(server, "/api/sensors/history?limit=1")["data"][0]
    assert newest == history  # the same reading object as the rest of the API


def server_json(server: WebServer, path: str) -> dict:
    with urllib.request.urlopen(server.url + path, timeout=10) as answer:
        return json.load(answer)


def test_it_resumes_after_last_event_id_without_gaps_or_repeats(request, server, publisher):
    stream = open_stream(request, server.url + "/api/sensors/stream")
    publisher.publish([("sensors/d1/data", reading_payload(n)) for n in range(20)])
    first = stream.readings(20)
    stream.close()
    last_seen = int(first[7].id)  # as if the connection broke after the 8th event

    publisher.publish([("sensors/d1/data", reading_payload(n)) for n in range(20, 40)])
    wait_until(lambda: SensorReading.objects.count() == 40, what="40 readings stored")
    resumed = open_stream(request, server.url + "/api/sensors/stream", last_event_id=last_seen)
    rest = resumed.readings(32)

    assert [int(e.id) for e in first[:8] + rest] == stored_ids()


def test_one_device_and_a_keepalive_comment(request, server, publisher):
    stream = open_stream(request, server.url + "/api/sensors/stream?device_id=d2")
    publisher.publish(
        [(f"sensors/d{1 + n % 2}/data", reading_payload(n, device_id="x")) for n in range(10)]
    )
    events = stream.readings(5)
    assert {e.reading["device_id"] for e in events} == {"d2"}
    assert [int(e.id) for e in events] == stored_ids(device_id="d2")


@pytest.mark.parametrize("server", [{"env": {"STREAM_KEEPALIVE_SECONDS": "0.3"}}], indirect=True)
def test_a_quiet_stream_sends_a_comment(request, server):
    stream = open_stream(request, server.url + "/api/sensors/stream")
    assert stream.next().comments == ["keep-alive"]
    assert stream.next().comments == ["keep-alive"]


@pytest.mark.parametrize("server", [{"workers": 1}], indirect=True)
def test_open_streams_do_not_starve_the_rest_of_the_api(request, server, publisher):
    """One worker process, 60 open streams: the API still answers, and every stream gets events."""
    streams = [open_stream(request, server.url + "/api/sensors/stream") for _ in range(60)]
    assert server_json(server, "/api/health")["status"] in {"healthy", "degraded"}
    publisher.publish([("sensors/d1/data", reading_payload(n)) for n in range(3)])
    wait_until(lambda: SensorReading.objects.count() == 3, what="3 readings stored")
    assert server_json(server, "/api/sensors/latest")["data"]["device_id"] == "d1"
    for stream in streams:
        assert len(stream.readings(3)) == 3


def test_several_ingest_workers_committing_at_once(request, server, subprocess_env, tmp_path):
    """Two workers share the subscription and commit in parallel: the stream
    still gets every reading once, in id order (sensors.commit_order)."""
    for name in ("a", "b"):
        start_ingest(
            request,
            subprocess_env,
            tmp_path / f"ingest-{name}.log",
            MQTT_SHARED_GROUP="stream",
            MQTT_CLIENT_ID=f"worker-{name}",
            INGEST_BATCH_SIZE=50,
        )
    publisher = open_publisher(request, request.getfixturevalue("mosquitto"))
    stream = open_stream(request, server.url + "/api/sensors/stream")
    total = 2000
    publisher.publish(
        [(f"sensors/d{n % 7}/data", reading_payload(n, device_id="x")) for n in range(total)]
    )
    events = stream.readings(total, timeout=60)
    ids = [int(e.id) for e in events]
    assert ids == sorted(set(ids))
    assert ids == stored_ids()


def test_a_bad_last_event_id_or_device_id_is_a_400_naming_it(client):
    answer = client.get("/api/sensors/stream", HTTP_LAST_EVENT_ID="12x")
    assert answer.status_code == 400
    assert "Last-Event-ID" in answer.json()["errors"]
    answer = client.get("/api/sensors/stream?device_id=a%20b")
    assert answer.status_code == 400
    assert "device_id" in answer.json()["errors"]


def store(device_id: str, count: int, *, start: int = 0) -> None:
    base = datetime(2026, 1, 1, tzinfo=UTC)
    readings_store(
        readings=[
            Reading(device_id, 20.0, 1.0, 400.0, 100.0, base + timedelta(seconds=start + n))
            for n in range(count)
        ]
    )


@override_settings(STREAM_POLL_SECONDS=0.01, STREAM_KEEPALIVE_SECONDS=0.2)
def test_under_wsgi_the_same_events_polled_by_the_thread(client):
    store("w1", 2)
    response = client.get("/api/sensors/stream", HTTP_ACCEPT="text/event-stream")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream"
    assert response["Cache-Control"] == "no-cache"
    body = iter(response.streaming_content)
    assert next(body) == STREAM_OPENING
    assert next(body) == KEEPALIVE
    store("w1", 3, start=10)
    events = next(body).decode()
    ids = stored_ids()[2:]
    assert events.count("event: reading\n") == 3
    for reading_id in ids:
        assert f"id: {reading_id}\nevent: reading\ndata: " in events
    response.close()

    resumed = client.get("/api/sensors/stream", HTTP_LAST_EVENT_ID=str(ids[0]))
    chunks = iter(resumed.streaming_content)
    next(chunks)
    text = next(chunks).decode()
    assert [f"id: {i}\n" in text for i in ids] == [False, True, True]
    resumed.close()


def test_ids_become_visible_in_commit_order_with_concurrent_writers():
    """What a stream relies on: a reader that has seen id N never finds a
    smaller id appear later, however many writers commit at once."""
    writers, batches, size = 4, 25, 40
    done = threading.Event()
    missed: list[int] = []

    def writer(number: int) -> None:
        try:
            for batch in range(batches):
                store(f"w{number}", size, start=batch * size)
        finally:
            connection.close()

    def reader() -> None:
        seen: set[int] = set()
        after = 0
        try:
            while True:
                finished = done.is_set()
                new = list(
                    SensorReading.objects.filter(id__gt=after)
                    .order_by("id")
                    .values_list("id", flat=True)
                )
                seen.update(new)
                if new:
                    after = new[-1]
                if finished:
                    break
            missed.extend(sorted(set(stored_ids()) - seen))
        finally:
            connection.close()

    reading_thread = threading.Thread(target=reader)
    reading_thread.start()
    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    reading_thread.join()
    assert SensorReading.objects.count() == writers * batches * size
    assert missed == []
