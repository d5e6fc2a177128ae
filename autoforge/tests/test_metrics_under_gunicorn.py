"""GET /metrics as deployed: gunicorn, two uvicorn workers, prometheus-client's
multiprocess files; each count is the sum over every worker, whichever answers."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.utils import timezone

from autoforge.tests.prometheus_text import sample_value, scrape
from conftest import web_server_running
from devices.models import Device

REQUESTS = "autoforge_http_requests_total"
TOKEN = "metrics-test-token"


def get(url: str) -> int:
    with urllib.request.urlopen(url, timeout=10) as response:
        response.read()
        return response.status


def test_requests_are_summed_over_the_workers(subprocess_env, tmp_path) -> None:
    folder = tmp_path / "prometheus"
    folder.mkdir()
    stale = folder / "counter_999999.db"
    stale.write_bytes(b"left by an earlier master")
    env = {**subprocess_env, "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    sent = 0

    with web_server_running(env, tmp_path / "web.log", workers=2) as server:
        assert not stale.exists()  # cleared when the master started
        # Bursts of concurrent requests until both workers have answered some
        # (a worker's counter file appears with its first count).
        with ThreadPoolExecutor(max_workers=8) as pool:
            for _ in range(20):
                statuses = list(pool.map(get, [f"{server.url}/api/health"] * 30))
                assert statuses == [200] * 30
                sent += 30
                if len(list(folder.glob("counter_*.db"))) == 2:
                    break
        workers_that_counted = len(list(folder.glob("counter_*.db")))
        # Each answer, from either worker, holds every worker's count.
        counts = {
            sample_value(scrape(f"{server.url}/metrics"), REQUESTS, view="health", status="200")
            for _ in range(10)
        }

    assert workers_that_counted == 2, server.log()
    assert counts == {sent}


@pytest.fixture
def devices(transactional_db) -> int:
    """Four devices in the registry, two of them online; how many are online."""
    now = timezone.now()
    Device.objects.create(device_id="on-1", last_seen=now)
    Device.objects.create(device_id="on-2", last_seen=now - timedelta(seconds=30))
    Device.objects.create(device_id="off-1", last_seen=now - timedelta(days=1))
    Device.objects.create(device_id="never")
    return 2


def test_the_token_is_required_and_devices_online_is_the_registry_s(
    subprocess_env, devices, tmp_path
) -> None:
    env = {**subprocess_env, "METRICS_TOKEN": TOKEN}

    with web_server_running(env, tmp_path / "web.log", workers=2) as server:
        with pytest.raises(urllib.error.HTTPError) as refused:
            scrape(f"{server.url}/metrics")
        text = scrape(f"{server.url}/metrics", token=TOKEN)
        with urllib.request.urlopen(f"{server.url}/api/devices?online=true", timeout=10) as answer:
            registry_online = json.load(answer)["total"]

    assert refused.value.code == 401
    assert registry_online == devices
    assert sample_value(text, "autoforge_devices_online") == devices
    assert TOKEN not in (tmp_path / "web.log").read_text()
