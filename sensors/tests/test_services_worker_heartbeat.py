from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sensors.models import IngestWorker
from sensors.services import WorkerStatus, worker_heartbeat

pytestmark = pytest.mark.django_db

STARTED = datetime(2026, 1, 29, 12, 0, tzinfo=UTC)


def status(**changes) -> WorkerStatus:
    values = {"client_id": "ingest-1", "hostname": "host", "pid": 42, "started_at": STARTED}
    values.update(changes)
    return WorkerStatus(**values)


def test_it_records_a_worker_status():
    worker_heartbeat(status=status(connected=True, received=10, stored=7, duplicates=2, rejected=1))

    worker = IngestWorker.objects.get()
    assert worker.client_id == "ingest-1"
    assert worker.connected is True
    assert (worker.received, worker.stored, worker.duplicates, worker.rejected) == (10, 7, 2, 1)
    assert worker.last_heartbeat is not None


def test_it_updates_the_same_row_on_the_next_heartbeat():
    worker_heartbeat(status=status(received=1), now=STARTED)
    later = STARTED + timedelta(seconds=5)

    worker_heartbeat(status=status(received=9, last_error="database: locked"), now=later)

    worker = IngestWorker.objects.get()
    assert worker.received == 9
    assert worker.last_heartbeat == later
    assert worker.last_error == "database: locked"


def test_each_client_id_has_its_own_row():
    worker_heartbeat(status=status(client_id="a"))
    worker_heartbeat(status=status(client_id="b"))

    assert IngestWorker.objects.count() == 2
