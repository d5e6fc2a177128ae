"""GET /metrics in one process (Django's test client): format, token, labels, gauges."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from autoforge.scrape_gauges import ScrapeGaugeCollector, _gauges, scrape_gauge_register
from autoforge.tests.prometheus_text import sample_value
from devices.models import Device

pytestmark = pytest.mark.django_db

REQUESTS = "autoforge_http_requests_total"


def metrics_text(client, **headers) -> str:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    return response.content.decode()


def test_it_is_public_when_no_token_is_set(client, settings) -> None:
    settings.METRICS_TOKEN = ""

    assert "autoforge_devices_online" in metrics_text(client)


@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong", "Bearer s3cret-x", "Token s3cret", "s3cret"]
)
def test_without_the_token_it_answers_401(client, settings, authorization) -> None:
    settings.METRICS_TOKEN = "s3cret"
    headers = {"Authorization": authorization} if authorization else {}

    response = client.get("/metrics", headers=headers)

    assert response.status_code == 401
    assert response.json() == {"message": "A valid metrics token is required."}
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "s3cret" not in response.content.decode()


def test_with_the_token_it_answers(client, settings) -> None:
    settings.METRICS_TOKEN = "s3cret"

    assert REQUESTS in metrics_text(client, Authorization="Bearer s3cret")


def test_requests_are_counted_by_method_view_and_status(client) -> None:
    before = sample_value(metrics_text(client), REQUESTS, view="health", status="200") or 0

    for _ in range(5):
        client.get("/api/health")
    after = metrics_text(client)

    assert sample_value(after, REQUESTS, method="GET", view="health", status="200") == before + 5
    assert (
        sample_value(
            after, "autoforge_http_request_duration_seconds_count", method="GET", view="health"
        )
        >= 5
    )


def test_the_view_label_is_the_route_name_never_a_device_id(client) -> None:
    client.get("/api/devices/press-secret-77")
    client.get("/no/such/path")
    text = metrics_text(client)

    assert sample_value(text, REQUESTS, view="device-detail", status="404") >= 1
    assert sample_value(text, REQUESTS, view="unmatched", status="404") >= 1
    assert "press-secret-77" not in text
    assert "/no/such/path" not in text


def test_an_unknown_method_is_labelled_other(client) -> None:
    client.generic("BREW", "/api/health")

    assert sample_value(metrics_text(client), REQUESTS, method="other", view="health") >= 1


def test_devices_online_is_what_the_registry_says_now(client, settings) -> None:
    settings.DEVICE_OFFLINE_AFTER_SECONDS = 600
    now = timezone.now()
    Device.objects.create(device_id="on-1", last_seen=now)
    Device.objects.create(device_id="on-2", last_seen=now - timedelta(seconds=599))
    Device.objects.create(device_id="off-1", last_seen=now - timedelta(seconds=700))
    Device.objects.create(device_id="never")

    online = client.get("/api/devices", {"online": "true"}).json()["total"]

    assert online == 2
    assert sample_value(metrics_text(client), "autoforge_devices_online") == online


def test_alarms_active_counts_the_active_alarms_now(client) -> None:
    from alarms.models import Alarm

    now = timezone.now()
    for number, status in enumerate(["active", "active", "cleared"]):
        Alarm.objects.create(
            kind="offline", device_id=f"d{number}", severity="major", started_at=now, status=status
        )

    assert sample_value(metrics_text(client), "autoforge_alarms_active") == 2


def test_only_get_and_head_are_allowed(client) -> None:
    assert client.post("/metrics").status_code == 405
    assert client.head("/metrics").status_code == 200


def test_it_is_not_in_the_openapi_document(client) -> None:
    paths = client.get("/api/schema", {"format": "json"}).json()["paths"]

    assert not [path for path in paths if "metrics" in path]


def test_one_more_scrape_time_gauge_takes_one_call(client, monkeypatch) -> None:
    monkeypatch.setattr("autoforge.scrape_gauges._gauges", dict(_gauges))
    scrape_gauge_register("autoforge_test_answer", "The answer.", lambda: 42)

    assert sample_value(metrics_text(client), "autoforge_test_answer") == 42


def test_a_gauge_that_fails_is_left_out_and_the_others_served(monkeypatch, caplog) -> None:
    def broken() -> float:
        raise RuntimeError("database is down")

    monkeypatch.setattr("autoforge.scrape_gauges._gauges", {})
    scrape_gauge_register("autoforge_test_broken", "Fails.", broken)
    scrape_gauge_register("autoforge_test_fine", "Works.", lambda: 1)

    names = [family.name for family in ScrapeGaugeCollector().collect()]

    assert names == ["autoforge_test_fine"]
    assert "autoforge_test_broken" in caplog.text
