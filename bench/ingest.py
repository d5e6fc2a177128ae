"""Benchmark: mqtt_ingest against the client library's own limit. Run by hand.

    .venv/bin/python bench/ingest.py                       # SQLite in a temporary folder
    .venv/bin/python bench/ingest.py --database-url postgres://postgres@127.0.0.1:5432/bench

It starts a private Mosquitto with deploy/mosquitto.conf on a free port and
measures, on the same stream of readings from a paho publisher at full speed
(a separate process):

  (a) the limit: a bare paho subscriber at QoS 1 (automatic acknowledgement,
      a counter in on_message), first publish to last message received;
  (b) mqtt_ingest end to end, first publish to last row committed;

then prints both rates, their ratio (with ``--rules N``, also for (b) with N
alarm rules enabled: one of them raises an alarm at each temperature spike,
one reading in 997, and clears it at the next; the others watch thresholds
never reached),
whether every reading was stored exactly once, the publish-to-visible
latency (p50/p95) at 10 messages/s, and the ingest's peak memory (VmHWM).
The database given is migrated; the bench only adds readings of its own
devices (``bench-<run>-<n>``) and leaves them there: use a scratch database.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

import paho.mqtt.client as paho  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402

DEVICES = 10
# Full-speed runs date reading n at FIRST_TIMESTAMP + n microseconds.
FIRST_TIMESTAMP = datetime(2026, 1, 1, tzinfo=UTC)


def payload(number: int, *, moment: datetime) -> bytes:
    return json.dumps(
        {
            # A spike on one reading in 997: what the alarm rules of --rules catch.
            "temperature": 95.0 if number % 997 == 996 else 20.0 + number % 17,
            "vibration": 1.5,
            "gas": 400.0 + number % 13,
            "power": 250.0,
            "timestamp": moment.isoformat(),
        }
    ).encode()


# --- the publisher (runs as its own process) -----------------------------------


def run_publisher(host: str, port: int, count: int, rate: float, prefix: str, root: str) -> None:
    """Publish ``count`` readings at QoS 1 (``rate`` per second, 0 = full speed);
    prints the wall time of the first publish and of the last PUBACK.

    No network thread: publish() then writes straight to the socket, and
    loop() reads the PUBACKs in between, which is paho's fastest way to send."""
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id="", protocol=paho.MQTTv5)
    client.max_inflight_messages_set(0)
    client.connect(host, port)
    while not client.is_connected():
        client.loop(0.1)
    base = FIRST_TIMESTAMP
    topics = [f"{root}/{prefix}-{n}/data" for n in range(DEVICES)]
    messages = []
    if not rate:
        messages = [
            (topics[n % DEVICES], payload(n, moment=base + timedelta(microseconds=n)))
            for n in range(count)
        ]
    print(f"start {time.time():.6f}", flush=True)
    infos = []
    started = time.monotonic()
    for number in range(count):
        if rate:
            while time.monotonic() < started + number / rate:
                client.loop(0.01)
            topic = topics[number % DEVICES]
            message = payload(number, moment=datetime.now(UTC))
        else:
            topic, message = messages[number]
        infos.append(client.publish(topic, message, qos=1))
        if number % 100 == 99:
            client.loop(0)
    deadline = time.monotonic() + 120
    while not all(info.is_published() for info in infos[-100:]) and time.monotonic() < deadline:
        client.loop(0.01)
    print(f"end {time.time():.6f}", flush=True)
    client.disconnect()


def start_publisher(
    broker, count: int, prefix: str, rate: float = 0, root: str = "sensors"
) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--publish",
            broker.host,
            str(broker.port),
            str(count),
            str(rate),
            prefix,
            root,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )


def publisher_start_time(publisher: subprocess.Popen) -> float:
    line = publisher.stdout.readline().split()
    if not line or line[0] != "start":
        raise SystemExit(f"publisher did not start: {line}")
    return float(line[1])


# --- (a) the bare paho subscriber ------------------------------------------------------


def measure_bare_subscriber(broker, count: int, prefix: str) -> tuple[float, float]:
    """Messages per second, and CPU seconds per message of the subscriber."""
    received = 0
    done = threading.Event()
    last = [0.0]

    def on_message(client, userdata, message) -> None:
        nonlocal received
        received += 1
        if received == count:
            last[0] = time.time()
            done.set()

    subscribed = threading.Event()
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id="bench-bare", protocol=paho.MQTTv5)
    client.on_message = on_message
    # Its own topic root, so that the ingest's persistent session (which
    # outlives each round) is not sent these messages too.
    client.on_connect = lambda c, *args: c.subscribe("bare/+/data", qos=1)
    client.on_subscribe = lambda *args: subscribed.set()
    client.connect(broker.host, broker.port)
    client.loop_start()
    subscribed.wait(10)
    publisher = start_publisher(broker, count, prefix, root="bare")
    cpu_start = time.process_time()  # this process: essentially paho's thread now
    first = publisher_start_time(publisher)
    if not done.wait(300):
        raise SystemExit(f"bare subscriber: only {received} of {count} received")
    publisher.wait(60)
    client.disconnect()
    client.loop_stop()
    cpu_per_message = (time.process_time() - cpu_start) / count
    return count / (last[0] - first), cpu_per_message


# --- (b) mqtt_ingest ------------------------------------------------------------------------


def alarm_rules_create(count: int) -> None:
    """``count`` enabled rules for every device: one fires on each temperature
    spike (one reading in 997) and clears at the next reading; the rest never fire."""
    from alarms.models import AlarmRule

    metrics = ["temperature", "vibration", "gas", "power"]
    rules = [
        AlarmRule(
            name=f"bench {n}",
            metric=metrics[n % 4],
            operator=">" if n % 2 else "<",
            threshold=1e6 if n % 2 else -1e6,
            severity="warning",
        )
        for n in range(1, count)
    ]
    rules.append(
        AlarmRule(
            name="bench hot",
            metric="temperature",
            operator=">",
            threshold=90,
            severity="minor",
        )
    )
    AlarmRule.objects.bulk_create(rules)


def alarm_rules_delete() -> None:
    from alarms.models import AlarmRule
    from alarms.services import rule_delete

    for rule in AlarmRule.objects.filter(name__startswith="bench "):
        rule_delete(rule=rule)


def ingest_env(broker, database_url: str, client_id: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        MQTT_BROKER=broker.host,
        MQTT_PORT=str(broker.port),
        MQTT_CLIENT_ID=client_id,
        DJANGO_SECRET_KEY=env.get("DJANGO_SECRET_KEY") or "bench-secret-key",
        LOG_FILE="",
        PYTHONUNBUFFERED="1",
        INGEST_METRICS_ADDRESS="",  # several runs may overlap; none is scraped
    )
    return env


def start_ingest(env: dict[str, str], log_path: Path) -> subprocess.Popen:
    log = log_path.open("ab")
    start = log.tell()  # the log is shared by the runs: look at this one's lines only
    process = subprocess.Popen(
        [sys.executable, "manage.py", "mqtt_ingest"],
        cwd=PROJECT_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while "Subscribed to sensors" not in log_path.read_bytes()[start:].decode(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"mqtt_ingest did not start:\n{log_path.read_text()}")
        time.sleep(0.05)
    return process


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def stop(process: subprocess.Popen) -> int:
    process.terminate()
    return process.wait(30)


def measure_ingest(broker, env: dict[str, str], count: int, prefix: str, log_path: Path) -> dict:
    from sensors.models import SensorReading

    devices = [f"{prefix}-{n}" for n in range(DEVICES)]
    rows = SensorReading.objects.filter(device_id__in=devices)
    ingest = start_ingest(env, log_path)
    cpu_start = cpu_seconds(ingest.pid)
    publisher = start_publisher(broker, count, prefix)
    first = publisher_start_time(publisher)
    # Watch for the last reading published with a unique-index lookup (a
    # COUNT every few ms would take CPU from the ingest), then count them all.
    last_reading = SensorReading.objects.filter(
        device_id=devices[(count - 1) % DEVICES],
        timestamp=FIRST_TIMESTAMP + timedelta(microseconds=count - 1),
    )
    deadline = time.monotonic() + 600
    while not last_reading.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    stored = rows.count()
    while stored < count and time.monotonic() < deadline:
        time.sleep(0.01)
        stored = rows.count()
    last = time.time()
    publisher.wait(60)
    peak = peak_rss_mib(ingest.pid)
    cpu = cpu_seconds(ingest.pid) - cpu_start
    code = stop(ingest)
    distinct = rows.values("device_id", "timestamp").distinct().count()
    summary = [line for line in log_path.read_text().splitlines() if "Stopped:" in line]
    return {
        "rate": count / (last - first),
        "cpu_per_message": cpu / count,
        "stored": stored,
        "distinct": distinct,
        "peak_mib": peak,
        "exit": code,
        "summary": summary[-1].split("Stopped:")[-1].strip() if summary else "?",
    }


def measure_latency(broker, env: dict[str, str], seconds: int, prefix: str, log_path: Path) -> list:
    from sensors.models import SensorReading

    devices = [f"{prefix}-{n}" for n in range(DEVICES)]
    count = seconds * 10
    ingest = start_ingest(env, log_path)
    publisher = start_publisher(broker, count, prefix, rate=10)
    publisher_start_time(publisher)
    latencies: list[float] = []
    last_id = 0
    deadline = time.monotonic() + seconds + 30
    while len(latencies) < count and time.monotonic() < deadline:
        new = list(
            SensorReading.objects.filter(device_id__in=devices, id__gt=last_id)
            .order_by("id")
            .values_list("id", "timestamp")
        )
        seen = time.time()
        for row_id, timestamp in new:
            latencies.append(seen - timestamp.timestamp())
            last_id = row_id
        time.sleep(0.005)
    publisher.wait(60)
    stop(ingest)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="", help="scratch database (default: SQLite)")
    parser.add_argument("--count", type=int, default=100_000, help="messages per throughput run")
    parser.add_argument("--latency-seconds", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3, help="(a)/(b) pairs to run")
    parser.add_argument("--rules", type=int, default=0, help="also measure with N alarm rules")
    parser.add_argument("--publish", nargs=6, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.publish:
        host, port, count, rate, prefix, root = args.publish
        run_publisher(host, int(port), int(count), float(rate), prefix, root)
        return

    workdir = Path(tempfile.mkdtemp(prefix="autoforge-bench-"))
    database_url = args.database_url or f"sqlite:///{workdir}/bench.sqlite3"
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-secret-key")
    os.environ["LOG_FILE"] = ""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "autoforge.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from conftest import Broker

    call_command("migrate", verbosity=0)
    broker = Broker(workdir)
    broker.start()
    run = datetime.now(UTC).strftime("%H%M%S")
    try:
        print(
            f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, "
            f"messages: {args.count}, batch size {settings.INGEST_BATCH_SIZE}, "
            f"batch age {settings.INGEST_BATCH_MAX_AGE_MS} ms, "
            f"max pending {settings.INGEST_MAX_PENDING}"
        )
        # Alternate (a) and (b) so that both see the same machine: it is
        # shared and noisy, so compare the ratio of each round.
        env = ingest_env(broker, database_url, f"bench-{run}")
        alarm_rules_delete()
        ratios = []
        ruled_ratios = []
        for round_number in range(1, args.rounds + 1):
            limit, bare_cpu = measure_bare_subscriber(
                broker, args.count, f"bare{round_number}-{run}"
            )
            prefix = f"bench{round_number}-{run}"
            result = measure_ingest(broker, env, args.count, prefix, workdir / "ingest.log")
            ratios.append(result["rate"] / limit)
            ok = result["stored"] == result["distinct"] == args.count
            print(f"round {round_number}:")
            print(
                f"(a) bare paho subscriber, QoS 1:  {limit:8.0f} msg/s, "
                f"{bare_cpu * 1e6:.0f} µs CPU per message"
            )
            print(
                f"(b) mqtt_ingest, end to end:      {result['rate']:8.0f} msg/s "
                f"= {ratios[-1]:.2f} x the limit, "
                f"{result['cpu_per_message'] * 1e6:.0f} µs CPU per message"
            )
            print(
                f"    stored {result['stored']} of {args.count}, distinct {result['distinct']}: "
                f"{'nothing lost, nothing duplicated' if ok else 'MISMATCH'}"
            )
            print(f"    ingest: {result['summary']}; exit code {result['exit']}")
            print(f"    ingest peak memory (VmHWM): {result['peak_mib']:.0f} MiB")
            if args.rules:
                from alarms.models import Alarm

                alarm_rules_create(args.rules)
                alarms_before = Alarm.objects.count()
                prefix = f"rules{round_number}-{run}"
                ruled = measure_ingest(broker, env, args.count, prefix, workdir / "ingest.log")
                alarm_rules_delete()
                ruled_ratios.append(ruled["rate"] / limit)
                ok = ruled["stored"] == ruled["distinct"] == args.count
                print(
                    f"(b) with {args.rules} alarm rules:        {ruled['rate']:8.0f} msg/s "
                    f"= {ruled_ratios[-1]:.2f} x the limit, "
                    f"{ruled['cpu_per_message'] * 1e6:.0f} µs CPU per message, "
                    f"{Alarm.objects.count() - alarms_before} alarms; "
                    f"{'nothing lost, nothing duplicated' if ok else 'MISMATCH'}"
                )
        print(f"ratio, median of {args.rounds} rounds: {statistics.median(ratios):.2f}")
        if ruled_ratios:
            print(
                f"ratio with {args.rules} alarm rules, median of {args.rounds} rounds: "
                f"{statistics.median(ruled_ratios):.2f}"
            )
        latencies = measure_latency(
            broker, env, args.latency_seconds, f"lat-{run}", workdir / "ingest.log"
        )
        if latencies:
            p50 = statistics.median(latencies) * 1000
            p95 = statistics.quantiles(latencies, n=20)[-1] * 1000
            print(
                f"(c) publish-to-visible at 10 msg/s ({len(latencies)} readings): "
                f"p50 {p50:.0f} ms, p95 {p95:.0f} ms"
            )
    finally:
        broker.kill()
    print(f"logs: {workdir}")


if __name__ == "__main__":
    main()
