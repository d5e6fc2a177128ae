"""Rows per second and memory of GET /api/sensors/export, run by hand.

    .venv/bin/python bench/export.py --rows 1000000

Fills a throw-away database as ``bench/read_api.py`` does (SQLite in a
temporary folder, or ``--database-url``, whose readings table is emptied),
then, in a fresh process so that its memory starts clean:

- a bare cursor fetch of the same rows in the same order (``SELECT`` of the
  eight columns ``ORDER BY timestamp, id``, ``fetchmany`` of 10,000), the
  rate the export is compared with (issue 9: at least 50 %);
- the export in each format through Django's WSGI handler (the test client),
  reading the streamed body block by block as a client would, with the
  process's resident memory sampled after every block: its growth over the
  export is what a gunicorn worker would grow by.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import read_api  # noqa: E402  (bench/ is not a package)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--interval", type=float, default=10.0, help="seconds between readings")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", help="default: SQLite in a temporary folder")
    parser.add_argument("--keep", action="store_true", help="keep the temporary database")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


def rss_mb() -> float:
    """Resident memory of this process now (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def bare_fetch() -> tuple[int, float]:
    """Rows and seconds of the export's rows through a bare cursor."""
    from django.db import connection

    from sensors.selectors import READING_FIELDS

    sql = f"SELECT {', '.join(READING_FIELDS)} FROM sensors_sensorreading ORDER BY timestamp, id"
    rows = 0
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql)
        while chunk := cursor.fetchmany(10_000):
            rows += len(chunk)
    return rows, time.perf_counter() - started


def export(client, file_format: str) -> tuple[int, int, float, float]:
    """Lines, bytes, seconds and peak memory growth (MB) of one export."""
    before = rss_mb()
    peak = before
    lines = size = 0
    started = time.perf_counter()
    response = client.get(f"/api/sensors/export?format={file_format}")
    assert response.status_code == 200, response.status_code
    for block in response.streaming_content:
        lines += block.count(b"\n")
        size += len(block)
        peak = max(peak, rss_mb())
    response.close()
    seconds = time.perf_counter() - started
    return lines, size, seconds, peak - before


def measure(repeat: int) -> None:
    sys.path.insert(0, str(read_api.PROJECT_DIR))  # the parent's environment names the database
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    client = Client(HTTP_HOST="localhost")
    # Warm-up: the connection, imports and first-run caches are not the export's.
    bare_fetch()
    print(f"Database: {connection.vendor}; process RSS {rss_mb():.0f} MB\n")
    best_bare = min(bare_fetch()[1] for _ in range(repeat))
    rows = bare_fetch()[0]
    print(f"{'read':<24} {'rows/s':>12} {'s':>7} {'vs bare':>8} {'RSS +MB':>8} {'MB out':>8}")
    print(f"{'bare cursor fetch':<24} {rows / best_bare:12,.0f} {best_bare:7.2f} {'100 %':>8}")
    for file_format in ("csv", "ndjson"):
        runs = [export(client, file_format) for _ in range(repeat)]
        lines, size, seconds, _ = min(runs, key=lambda run: run[2])
        growth = max(run[3] for run in runs)
        exported = lines - (1 if file_format == "csv" else 0)
        assert exported == rows, (exported, rows)
        print(
            f"{'export ' + file_format:<24} {rows / seconds:12,.0f} {seconds:7.2f}"
            f" {best_bare / seconds:7.0%} {growth:8.1f} {size / 1e6:8.1f}"
        )


def main() -> int:
    args = parse_args()
    if args.measure:
        measure(args.repeat)
        return 0
    folder = read_api.configure(args)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    try:
        call_command("migrate", verbosity=0)
        seconds = read_api.fill(args.rows, args.devices, args.interval)
        print(f"Filled {args.rows:,} readings of {args.devices} devices in {seconds:.1f} s")
        connection.close()
        # A fresh process: its memory is the export's, not the fill's.
        child = [sys.executable, __file__, "--measure", "--repeat", str(args.repeat)]
        return subprocess.run(child, env=os.environ, check=False).returncode
    finally:
        connection.close()
        if folder is not None and not args.keep:
            import shutil

            shutil.rmtree(folder, ignore_errors=True)
        elif folder is not None:
            print(f"\nKept {folder}")


if __name__ == "__main__":
    raise SystemExit(main())
