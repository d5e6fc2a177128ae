"""Dead letters and ingest workers in the admin: visible, searchable, read-only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from sensors.models import DeadLetter, IngestWorker

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw"))
    return client


def add_dead_letter(topic: str, reason: str, *, age_seconds: int) -> DeadLetter:
    return DeadLetter.objects.create(
        topic=topic,
        payload='{"temperature": "hot"}',
        payload_size=22,
        reason=reason,
        received_at=timezone.now() - timedelta(seconds=age_seconds),
    )


def test_dead_letters_are_listed_newest_first(admin_client) -> None:
    add_dead_letter("sensors/old/data", "missing 'gas'", age_seconds=60)
    add_dead_letter("sensors/new/data", "payload is not UTF-8", age_seconds=1)

    response = admin_client.get("/admin/sensors/deadletter/")

    assert response.status_code == 200
    assert [d.topic for d in response.context["cl"].result_list] == [
        "sensors/new/data",
        "sensors/old/data",
    ]


@pytest.mark.parametrize(("query", "expected"), [("press", "sensors/press-1/data"), ("UTF", "x")])
def test_dead_letters_are_searchable_by_topic_and_reason(admin_client, query, expected) -> None:
    add_dead_letter("sensors/press-1/data", "missing 'gas'", age_seconds=2)
    add_dead_letter("x", "payload is not UTF-8", age_seconds=1)

    response = admin_client.get("/admin/sensors/deadletter/", {"q": query})

    assert [d.topic for d in response.context["cl"].result_list] == [expected]


def test_a_dead_letter_renders_read_only_and_cannot_be_added_or_deleted(admin_client) -> None:
    letter = add_dead_letter("sensors/x/data", "missing 'gas'", age_seconds=1)
    base = "/admin/sensors/deadletter/"

    change = admin_client.get(f"{base}{letter.pk}/change/")

    assert change.status_code == 200
    assert "missing &#x27;gas&#x27;" in change.content.decode()
    assert 'name="_save"' not in change.content.decode()
    assert admin_client.get(f"{base}add/").status_code == 403
    assert admin_client.post(f"{base}{letter.pk}/delete/", {"post": "yes"}).status_code == 403


def test_ingest_workers_are_listed_read_only_and_a_retired_one_can_be_deleted(
    admin_client,
) -> None:
    now = timezone.now()
    worker = IngestWorker.objects.create(
        client_id="autoforge-ingest", hostname="edge-1", started_at=now, last_heartbeat=now
    )
    base = "/admin/sensors/ingestworker/"

    listing = admin_client.get(base)
    change = admin_client.get(f"{base}{worker.pk}/change/")

    assert listing.status_code == 200
    assert "autoforge-ingest" in listing.content.decode()
    assert change.status_code == 200
    assert 'name="_save"' not in change.content.decode()
    assert admin_client.get(f"{base}add/").status_code == 403
    assert admin_client.post(f"{base}{worker.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not IngestWorker.objects.filter(pk=worker.pk).exists()
