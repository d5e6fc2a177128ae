"""Latency of the read API on a large table, run by hand.

    .venv/bin/python bench/read_api.py --rows 1000000

Fills a throw-away SQLite database (a temporary file, never the project's
database) with ``--rows`` readings of ``--devices`` devices, then requests each
read endpoint through Django's test client ``--repeat`` times and prints the
p50 and p95 latency per endpoint, the serializer comparison behind
``SensorReadingSerializer``, and (with ``--explain``) the query plans.
``--database-url`` benchmarks another database instead (it must be empty or
hold only bench data: the readings table is emptied first).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
START = datetime(2026, 1, 1, tzinfo=UTC)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--interval", type=float, default=10.0, help="seconds between readings")
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--database-url", help="default: SQLite in a temporary folder")
    parser.add_argument("--keep", action="store_true", help="keep the temporary database")
    parser.add_argument("--explain", action="store_true", help="print the query plans")
    return parser.parse_args()


def configure(args: argparse.Namespace) -> Path | None:
    """Environment for Django, set before it is imported; returns the temp folder."""
    folder = None
    if args.database_url:
        url = args.database_url
    else:
        folder = Path(tempfile.mkdtemp(prefix="autoforge-bench-"))
        url = f"sqlite:///{folder / 'bench.sqlite3'}"
    django_environment(url, log_level="ERROR")
    return folder


def django_environment(url: str, *, log_level: str) -> None:
    """The settings every read bench runs with: ``url``, no throttling, public reads."""
    os.environ.update(
        DATABASE_URL=url,
        DJANGO_SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY") or "bench-only",
        DJANGO_SETTINGS_MODULE="autoforge.settings",
        DJANGO_DEBUG="false",
        LOG_FILE="",
        LOG_LEVEL=log_level,
        API_THROTTLE_ANON="",
        API_THROTTLE_USER="",
        API_READS_REQUIRE_AUTH="false",
    )
    sys.path.insert(0, str(PROJECT_DIR))


def fill(rows: int, devices: int, interval: float) -> float:
    """Insert the readings with raw executemany in large transactions; returns seconds."""
    from django.db import connection, transaction

    from sensors.models import SensorReading

    table = SensorReading._meta.db_table
    adapt = connection.ops.adapt_datetimefield_value
    created = adapt(datetime.now(UTC))
    sql = (
        f"INSERT INTO {table} (device_id, temperature, vibration, gas, power, timestamp,"
        " created_at) VALUES (%s, %s, %s, %s, %s, %s, %s)"
    )
    started = time.perf_counter()
    SensorReading.objects.all().delete()
    chunk = 100_000
    for first in range(0, rows, chunk):
        batch = []
        for i in range(first, min(first + chunk, rows)):
            device = i % devices
            # Each device reports every `interval` seconds, a little out of step.
            moment = START + timedelta(
                seconds=(i // devices) * interval, microseconds=device * 1000 + 7
            )
            batch.append(
                (
                    f"press-{device:02d}",
                    20 + (i % 17) * 0.5,
                    (i % 23) * 0.25,
                    400 + i % 101,
                    250 + (i % 13) * 1.5,
                    adapt(moment),
                    created,
                )
            )
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, batch)
    return time.perf_counter() - started


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def time_requests(client, path: str, repeat: int) -> tuple[float, float, int, int]:
    response = client.get(path)  # warm-up: connection, caches, first-run imports
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - started) * 1000)
    return (
        percentile(samples, 0.5),
        percentile(samples, 0.95),
        response.status_code,
        len(response.content),
    )


def endpoints(last: datetime) -> list[tuple[str, str]]:
    day_before = (last - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    hour_before = (last - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return [
        ("latest", "/api/sensors/latest"),
        ("latest?device_id", "/api/sensors/latest?device_id=press-07"),
        ("history (default 100)", "/api/sensors/history"),
        ("history?limit=10000", "/api/sensors/history?limit=10000"),
        (
            "history?device_id&since&until",
            f"/api/sensors/history?device_id=press-07&since={day_before}&until={hour_before}",
        ),
        ("history?offset=100000", "/api/sensors/history?offset=100000"),
        ("stats", "/api/sensors/stats"),
        ("stats?device_id", "/api/sensors/stats?device_id=press-07"),
        ("stats?since (last hour)", f"/api/sensors/stats?since={hour_before}"),
        ("ml-data (default 1000)", "/api/sensors/ml-data"),
        ("ml-data?limit=100000", "/api/sensors/ml-data?limit=100000"),
        ("ml-data?limit=100000&format=csv", "/api/sensors/ml-data?limit=100000&format=csv"),
        ("ml-data?limit=100000&format=npz", "/api/sensors/ml-data?limit=100000&format=npz"),
        ("health", "/api/health"),
        ("admin changelist", "/admin/sensors/sensorreading/"),
        ("admin changelist, device search", "/admin/sensors/sensorreading/?q=press-07"),
        (
            "admin drill-down to a month",
            f"/admin/sensors/sensorreading/?timestamp__year={last.year}"
            f"&timestamp__month={last.month}",
        ),
    ]


def compare_serializers(repeat: int) -> None:
    """History's 10,000 rows: ModelSerializer on instances vs serializers on values()."""
    from rest_framework import serializers

    from sensors.models import SensorReading
    from sensors.selectors import READING_FIELDS
    from sensors.serializers import SensorReadingSerializer, UTCDateTimeField

    class ReadingModelSerializer(serializers.ModelSerializer):
        timestamp = UTCDateTimeField()
        created_at = UTCDateTimeField()

        class Meta:
            model = SensorReading
            fields = list(READING_FIELDS)

    class ReadingFieldsSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        device_id = serializers.CharField()
        temperature = serializers.FloatField()
        vibration = serializers.FloatField()
        gas = serializers.FloatField()
        power = serializers.FloatField()
        timestamp = UTCDateTimeField()
        created_at = UTCDateTimeField()

    page = SensorReading.objects.order_by("-timestamp", "-id")[:10_000]
    cases = {
        "ModelSerializer, model instances": lambda: (
            ReadingModelSerializer(list(page), many=True).data
        ),
        "Serializer with fields, values() rows": lambda: (
            ReadingFieldsSerializer(list(page.values(*READING_FIELDS)), many=True).data
        ),
        "SensorReadingSerializer (BaseSerializer), values() rows": lambda: (
            SensorReadingSerializer(list(page.values(*READING_FIELDS)), many=True).data
        ),
    }
    print("\nSerializing 10,000 readings (fetch included), ms:")
    for name, run in cases.items():
        run()
        samples = []
        for _ in range(repeat):
            started = time.perf_counter()
            run()
            samples.append((time.perf_counter() - started) * 1000)
        print(f"  {name:<58} min {min(samples):7.1f}  p50 {percentile(samples, 0.5):7.1f}")


def explain() -> None:
    from sensors import selectors

    hour = datetime.now(UTC)
    querysets = {
        "latest": selectors.readings_newest_first(selectors.readings_filtered(), device_id=None)[
            :1
        ],
        "latest?device_id": selectors.readings_newest_first(
            selectors.readings_filtered(device_id="press-07"), device_id="press-07"
        )[:1],
        "history?device_id&since&until": selectors.readings_newest_first(
            selectors.readings_filtered(
                device_id="press-07", since=hour - timedelta(days=30), until=hour
            ),
            device_id="press-07",
        )[:100],
        "stats?device_id": selectors.readings_filtered(device_id="press-07"),
    }
    print("\nQuery plans:")
    for name, queryset in querysets.items():
        print(f"  {name}: {queryset.explain()}")


def main() -> int:
    args = parse_args()
    folder = configure(args)
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from sensors.models import SensorReading

    try:
        call_command("migrate", verbosity=0)
        print(f"Database: {connection.vendor} {connection.settings_dict['NAME']}")
        seconds = fill(args.rows, args.devices, args.interval)
        print(f"Filled {args.rows:,} readings of {args.devices} devices in {seconds:.1f} s")
        last = SensorReading.objects.order_by("-timestamp").values_list("timestamp", flat=True)[0]

        client = Client(HTTP_HOST="localhost")
        admin = User.objects.filter(username="bench").first() or User.objects.create_superuser(
            "bench", "bench@example.com", "bench"
        )
        client.force_login(admin)
        print(f"\n{'endpoint':<36} {'p50 ms':>8} {'p95 ms':>8} {'status':>6} {'bytes':>11}")
        for name, path in endpoints(last):
            p50, p95, status, size = time_requests(client, path, args.repeat)
            print(f"{name:<36} {p50:8.1f} {p95:8.1f} {status:>6} {size:>11,}")
        compare_serializers(args.repeat)
        if args.explain:
            explain()
    finally:
        connection.close()
        if folder is not None and not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
        elif folder is not None:
            print(f"\nKept {folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
