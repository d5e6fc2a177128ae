"""simulate_devices as a process, against a real broker, the real ingest and the test database."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from sensors.models import SensorReading
from sensors.tests.ingest_process import PROJECT_DIR, start_ingest, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def start_simulator(request, env: dict[str, str], log_path: Path, *args: str) -> subprocess.Popen:
    log = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "simulate_devices", *args],
        cwd=PROJECT_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()

    def kill() -> None:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)

    request.addfinalizer(kill)
    return process


def test_it_publishes_count_readings_of_each_device_that_the_ingest_stores(
    request, subprocess_env, tmp_path
):
    ingest = start_ingest(request, subprocess_env, tmp_path / "ingest.log")
    log_path = tmp_path / "simulator.log"
    simulator = start_simulator(
        request, subprocess_env, log_path, "--devices", "3", "--count", "5", "--interval", "0.01"
    )

    assert simulator.wait(timeout=60) == 0
    wait_until(lambda: SensorReading.objects.count() == 15, what="15 readings")
    assert ingest.terminate() == 0
    counts = {
        device_id: SensorReading.objects.filter(device_id=device_id).count()
        for device_id in ("sim-001", "sim-002", "sim-003")
    }
    assert counts == {"sim-001": 5, "sim-002": 5, "sim-003": 5}
    assert "Sent 15 readings of 3 devices, 15 acknowledged by the broker" in log_path.read_text()


def test_it_stops_on_sigterm_with_a_summary(request, subprocess_env, tmp_path):
    ingest = start_ingest(request, subprocess_env, tmp_path / "ingest.log")
    log_path = tmp_path / "simulator.log"
    simulator = start_simulator(
        request, subprocess_env, log_path, "--devices", "2", "--interval", "0.05", "--seed", "3"
    )
    wait_until(lambda: SensorReading.objects.count() >= 4, what="4 readings")

    simulator.send_signal(signal.SIGTERM)

    assert simulator.wait(timeout=30) == 0
    log = log_path.read_text()
    assert "Received SIGTERM, finishing..." in log
    summary = re.search(r"Sent (\d+) readings of 2 devices, (\d+) acknowledged by the broker", log)
    assert summary, log
    assert int(summary[1]) >= 4
    assert summary[1] == summary[2]
    assert "(seed 3)" in log
    wait_until(lambda: SensorReading.objects.count() == int(summary[1]), what="every reading sent")
    assert ingest.terminate() == 0
