"""Benchmark: 500 live streams (/api/sensors/stream) while readings flow. Run by hand.

    .venv/bin/python bench/stream.py                      # SQLite in a temporary folder
    .venv/bin/python bench/stream.py --database-url postgres://postgres@127.0.0.1:5432/bench_stream

Everything as deployed, on this machine: a private Mosquitto (deploy/mosquitto.conf),
``mqtt_ingest``, and the web app under gunicorn with uvicorn workers
(deploy/gunicorn.conf.py; ``--workers``, default 2). A paho publisher sends
``--rate`` readings a second (default 100) over 10 devices, each dated at the
moment it is published. Two phases of ``--seconds`` each:

  (1) no stream open: p50/p95 latency of ``GET /api/sensors/latest``;
  (2) ``--streams`` streams open (default 500): the same latency, and the
      delivery latency of every event on every stream, from the reading's
      timestamp (its publish) to the moment the client read its ``id:`` line.

The clients are asyncio connections in this process, on the same two cores as
the server, the broker and the ingest: the figures include that load.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

import paho.mqtt.client as paho  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402

DEVICES = 10


def percentiles(values: list[float]) -> str:
    if len(values) < 2:
        return "n/a"
    cuts = statistics.quantiles(values, n=100)
    return f"p50 {cuts[49] * 1000:.1f} ms, p95 {cuts[94] * 1000:.1f} ms (n={len(values)})"


def publish_at_rate(host: str, port: int, rate: float, stop: threading.Event) -> None:
    client = paho.Client(CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
    client.connect(host, port)
    client.loop_start()
    number = 0
    started = time.monotonic()
    while not stop.is_set():
        due = started + number / rate
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        document = {
            "temperature": 20.0 + number % 7,
            "vibration": 1.0,
            "gas": 400.0,
            "power": 200.0,
            "timestamp": datetime.now(UTC).isoformat(),
        }
        client.publish(f"sensors/bench-{number % DEVICES}/data", json.dumps(document), qos=1)
        number += 1
    client.loop_stop()
    client.disconnect()


def latest_latencies(url: str, stop: threading.Event) -> list[float]:
    times: list[float] = []
    while not stop.is_set():
        started = time.perf_counter()
        with urllib.request.urlopen(url + "/api/sensors/latest?device_id=bench-1", timeout=30) as r:
            r.read()
        times.append(time.perf_counter() - started)
        time.sleep(0.05)
    return times


async def one_stream(port: int, arrivals: list[tuple[int, float]], ready: asyncio.Event) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"GET /api/sensors/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"
    )
    await writer.drain()
    try:
        while True:
            line = await reader.readline()
            if not line:
                return
            if line.startswith(b": connected"):
                ready.set()
            elif line.startswith(b"id: "):
                arrivals.append((int(line[4:]), time.time()))
    except asyncio.CancelledError:
        writer.close()
        raise


async def streams_phase(port: int, count: int, seconds: float) -> tuple[list, int]:
    arrivals: list[tuple[int, float]] = []
    readies = [asyncio.Event() for _ in range(count)]
    tasks = [asyncio.create_task(one_stream(port, arrivals, ready)) for ready in readies]
    await asyncio.wait_for(asyncio.gather(*(ready.wait() for ready in readies)), 120)
    await asyncio.sleep(seconds)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return arrivals, sum(1 for task in tasks if task.cancelled())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="", help="scratch database (default: SQLite)")
    parser.add_argument("--streams", type=int, default=500)
    parser.add_argument("--rate", type=float, default=100.0, help="readings a second")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each phase")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="autoforge-bench-stream-"))
    database_url = args.database_url or f"sqlite:///{workdir}/bench.sqlite3"
    os.environ.update(
        DATABASE_URL=database_url,
        DJANGO_SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY") or "bench-secret-key",
        LOG_FILE="",
        DJANGO_SETTINGS_MODULE="autoforge.settings",
        API_THROTTLE_ANON="",
    )
    import django

    django.setup()
    from django.core.management import call_command

    from conftest import Broker, WebServer, wait_for_port
    from sensors.models import SensorReading

    call_command("migrate", verbosity=0)
    broker = Broker(workdir)
    broker.start()
    env = {**os.environ, "MQTT_BROKER": broker.host, "MQTT_PORT": str(broker.port)}
    env.update(LOG_LEVEL="WARNING", GUNICORN_ACCESS_LOG="/dev/null", PYTHONUNBUFFERED="1")
    import subprocess

    ingest = subprocess.Popen(
        [sys.executable, "manage.py", "mqtt_ingest"],
        cwd=PROJECT_DIR,
        env=env,
        stdout=(workdir / "ingest.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    web = WebServer(env, workdir / "web.log", workers=args.workers)
    stop_publishing = threading.Event()
    try:
        wait_for_port(web.port, timeout=60)
        time.sleep(2)  # the ingest subscribes
        publisher = threading.Thread(
            target=publish_at_rate, args=(broker.host, broker.port, args.rate, stop_publishing)
        )
        publisher.start()
        time.sleep(3)
        print(
            f"{args.rate:g} readings/s, {args.workers} web workers, "
            f"database {database_url.split(':', 1)[0]}"
        )

        def measure_latest(seconds: float) -> list[float]:
            stop = threading.Event()
            found: list[list[float]] = []
            worker = threading.Thread(
                target=lambda: found.append(latest_latencies(web.url, stop)), daemon=True
            )
            worker.start()
            time.sleep(seconds)
            stop.set()
            worker.join()
            return found[0]

        print(f"(1) no stream:     latest {percentiles(measure_latest(args.seconds))}")

        first_id = SensorReading.objects.order_by("-id").values_list("id", flat=True).first() or 0
        latest_times: list[list[float]] = []
        stop_latest = threading.Event()
        latest_thread = threading.Thread(
            target=lambda: latest_times.append(latest_latencies(web.url, stop_latest)),
            daemon=True,
        )
        started = time.time()
        arrivals_holder: list = []

        def run_streams() -> None:
            arrivals_holder.append(asyncio.run(streams_phase(web.port, args.streams, args.seconds)))

        streams_thread = threading.Thread(target=run_streams)
        streams_thread.start()
        # Latency of latest once every stream is open (they open within a few seconds).
        while streams_thread.is_alive() and not arrivals_holder:
            if time.time() - started > 5 and not latest_thread.is_alive():
                latest_thread.start()
            time.sleep(0.1)
        streams_thread.join()
        stop_latest.set()
        if latest_thread.is_alive():
            latest_thread.join()
        arrivals, open_at_end = arrivals_holder[0]
        stamps = dict(SensorReading.objects.filter(id__gt=first_id).values_list("id", "timestamp"))
        delays = [at - stamps[rid].timestamp() for rid, at in arrivals if rid in stamps]
        per_stream = len(arrivals) / max(1, args.streams)
        during = latest_times[0] if latest_times else []
        print(f"(2) {args.streams} streams: latest {percentiles(during)}")
        print(
            f"    delivery (publish -> event read): {percentiles(delays)}; "
            f"{per_stream:.0f} events per stream, {open_at_end} streams open to the end"
        )
    finally:
        stop_publishing.set()
        web.stop()
        ingest.terminate()
        ingest.wait(30)
        broker.kill()


if __name__ == "__main__":
    main()
