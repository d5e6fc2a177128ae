"""While the database is out of reach, the ingest stops taking messages instead
of buffering them: its memory stays bounded, and the broker keeps the rest."""

from __future__ import annotations

import pytest
from django.db import connection

from conftest import free_port
from sensors.models import SensorReading
from sensors.tests.ingest_process import open_publisher, readings, start_ingest, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

MESSAGES = 10_000
PADDING = "x" * 4000  # 4 KB a message: 40 MB if it buffered them all


def unreachable_database_url(tmp_path) -> str:
    if connection.vendor == "sqlite":
        # A file SQLite cannot read: every query fails, as with a broken
        # disk; the settings' start-up check (the folder exists) passes.
        (tmp_path / "garbled.sqlite3").write_bytes(b"not a database\n" * 1000)
        return f"sqlite:///{tmp_path}/garbled.sqlite3"
    scheme = "postgres" if connection.vendor == "postgresql" else "mysql"
    return f"{scheme}://nobody@127.0.0.1:{free_port()}/nothing"


def test_memory_stays_bounded_while_the_database_is_down(
    request, mosquitto, subprocess_env, tmp_path
):
    log = tmp_path / "ingest.log"
    down = dict(subprocess_env, DATABASE_URL=unreachable_database_url(tmp_path))
    ingest = start_ingest(request, down, log, INGEST_MAX_PENDING=500, INGEST_BATCH_SIZE=500)
    baseline = ingest.rss_kib()
    publisher = open_publisher(request, mosquitto)

    publisher.publish(
        [
            (topic, payload[:-1] + f', "padding": "{PADDING}"}}'.encode())
            for topic, payload in readings(MESSAGES)
        ]
    )
    ingest.wait_for_log("not acknowledged, retrying")

    growth_mib = (ingest.rss_kib() - baseline) / 1024
    assert growth_mib < 20, f"RSS grew by {growth_mib:.1f} MiB"
    assert SensorReading.objects.count() == 0
    ingest.kill()

    # The broker kept what the ingest did not take: a healthy worker on the
    # same session gets every message.
    start_ingest(request, subprocess_env, log)
    wait_until(lambda: SensorReading.objects.count() == MESSAGES, what=f"{MESSAGES} readings")
