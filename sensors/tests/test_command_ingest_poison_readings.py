"""Through the real ingest: a reading the database refuses never stops the others.

The database is made to refuse one value (see ``database_refusals``); the
ingest must store every other reading at once, give the refused one three
tries, dead-letter it, acknowledge it (so the broker never sends it again),
and go on.
"""

from __future__ import annotations

import pytest

from sensors.models import DeadLetter, IngestWorker, SensorReading
from sensors.tests.database_refusals import refusing_readings_with_temperature
from sensors.tests.ingest_process import (
    open_publisher,
    reading_payload,
    readings,
    start_ingest,
    wait_until,
)

pytestmark = pytest.mark.django_db(transaction=True)

POISON = 66.625


def test_a_refused_reading_in_a_full_batch_is_dead_lettered_and_the_rest_stored(
    request, mosquitto, subprocess_env, tmp_path
):
    ingest = start_ingest(request, subprocess_env, tmp_path / "ingest.log", INGEST_BATCH_SIZE=500)
    publisher = open_publisher(request, mosquitto)
    batch = readings(1000)
    batch[437] = ("sensors/dev-1/data", reading_payload(437, temperature=POISON))

    with refusing_readings_with_temperature(POISON):
        publisher.publish(batch)
        letter = wait_until(
            lambda: DeadLetter.objects.filter(reason__contains="could not be stored").first(),
            what="the refused reading in the dead letters",
        )
        wait_until(lambda: SensorReading.objects.count() == 999, what="999 readings")
        publisher.publish(readings(100, start=5000))
        wait_until(lambda: SensorReading.objects.count() == 1099, what="the later readings")

    assert letter.topic == "sensors/dev-1/data"
    assert str(POISON) in letter.payload
    assert "after 3 attempts" in letter.reason
    assert not SensorReading.objects.filter(temperature=POISON).exists()
    assert ingest.terminate() == 0
    worker = IngestWorker.objects.get()
    assert (worker.stored, worker.rejected) == (1099, 1)
    assert "failed (attempt 1 of 3)" in ingest.log()


def test_a_refused_reading_is_acknowledged_so_a_restart_does_not_bring_it_back(
    request, mosquitto, subprocess_env, tmp_path
):
    log = tmp_path / "ingest.log"
    ingest = start_ingest(request, subprocess_env, log)
    publisher = open_publisher(request, mosquitto)

    with refusing_readings_with_temperature(POISON):
        publisher.publish([("sensors/dev-1/data", reading_payload(1, temperature=POISON))])
        wait_until(lambda: DeadLetter.objects.count() == 1, what="the dead letter")
        assert ingest.terminate() == 0

        ingest = start_ingest(request, subprocess_env, log)
        publisher.publish(readings(10, start=100))
        wait_until(lambda: SensorReading.objects.count() == 10, what="10 new readings")

    assert ingest.terminate() == 0
    assert DeadLetter.objects.count() == 1
    assert IngestWorker.objects.get().received == 10  # the refused one never came again
