"""The read side at fleet scale, over HTTP with gunicorn as shipped (issue 9), run by hand.

    .venv/bin/python bench/read_side.py --rows 200000                 # quick, SQLite
    .venv/bin/python bench/read_side.py --database-url postgres://postgres@127.0.0.1:5432/bench_read

1. Fills a scratch database with the issue's shape: 200 devices (``press-000``
   ... ``press-199``), one busy device (``press-000``) with a tenth of the rows
   at 1 s spacing (1M of the default 10M), the rest spread evenly over the 60
   days before now. Rows go in in time order, as an ingest would write them,
   straight into ``sensors_sensorreading``: on PostgreSQL ``INSERT ... SELECT``
   from ``generate_series``, on SQLite ``executemany`` in large transactions
   with ``PRAGMA synchronous=OFF``. The database is migrated first; its
   readings, rollups and devices are emptied. Without ``--database-url`` it is
   an SQLite file in a temporary folder; a URL given must name a database
   whose name contains ``bench`` (PostgreSQL: created when missing).
2. Runs ``manage.py rebuild_rollups`` and prints its wall time.
3. Starts gunicorn as shipped (``deploy/gunicorn.conf.py``) on a free port,
   then measures, one request after another with ``http.client``, p50/p95 over
   ``--repeat`` requests of health, stats, aggregate, latest, history, devices
   and ml-data, compares ml-data's npz with a bare cursor fetch of the same
   rows, and the busy device's CSV export with a bare cursor fetch of its rows
   (rows/s) and the workers' resident memory. Each figure is printed next to
   the issue's target. This machine's speed changes from one minute to the
   next, so what is compared is measured in the same minutes: latest,
   history and devices with a request to /api/health after each (against
   that health's p50), each export after a bare fetch. ``--passes``
   repeats the measurement.

``--steps rebuild,measure`` or ``--steps measure`` work on the data already
there (after ``--keep``, or the PostgreSQL database of an earlier run).
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import read_api  # bench/ is not a package: found through the path above

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEVICES = 200
BUSY = "press-000"
DAYS = 60
TABLE = "sensors_sensorreading"
COLUMNS = "device_id, temperature, vibration, gas, power, timestamp, created_at"
# Seconds between a reading's timestamp and its storing (created_at).
ARRIVAL_DELAY = 0.2
# Rows are written in time order, one window of this many days at a time.
WINDOW_DAYS = 2


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=20, help="requests per figure")
    parser.add_argument("--export-repeat", type=int, default=3, help="exports per pass")
    parser.add_argument("--passes", type=int, default=1, help="measurement passes")
    parser.add_argument("--database-url", help="default: SQLite in a temporary folder")
    parser.add_argument("--keep", action="store_true", help="keep the temporary database")
    parser.add_argument(
        "--steps",
        default="load,rebuild,measure",
        help="which of load, rebuild, measure to run (comma-separated; default all)",
    )
    parser.add_argument("--workers", type=int, help="GUNICORN_WORKERS (default: as shipped)")
    parser.add_argument("--seed", type=int, default=9)
    return parser.parse_args()


# --- the database ------------------------------------------------------------------


def configure(args: argparse.Namespace) -> Path | None:
    """Environment for Django and gunicorn, set before Django is imported;
    returns the temporary folder (None for a given URL)."""
    folder = None
    if args.database_url:
        url = args.database_url
        name = urlsplit(url).path.lstrip("/")
        if "bench" not in Path(name).name:
            raise SystemExit(f"refusing {url!r}: the database's name must contain 'bench'")
        if url.startswith(("postgres://", "postgresql://")):
            postgres_database_create(url)
    else:
        folder = Path(tempfile.mkdtemp(prefix="autoforge-read-side-"))
        url = f"sqlite:///{folder / 'bench.sqlite3'}"
    read_api.django_environment(url, log_level="WARNING")
    return folder


def postgres_database_create(url: str) -> None:
    """Create the URL's database when it does not exist (nothing else is touched)."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    maintenance = (
        parts._replace(path="/postgres").geturl().replace("postgres://", "postgresql://", 1)
    )
    with psycopg.connect(maintenance, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"Created database {name}")


class Shape:
    """Which device has how many readings when: the issue's fleet, scaled to ``rows``.

    Device ``d`` has ``counts[d]`` readings at ``starts[d] + k * steps[d]``
    seconds (Unix), k = 0, 1, ...; the busy device one per second up to
    ``end``, the others evenly over the ``DAYS`` days before it. The
    fractions of a second keep every timestamp off whole seconds and the
    devices out of step.
    """

    def __init__(self, rows: int, end: int) -> None:
        busy = rows // 10
        quiet, extra = divmod(rows - busy, DEVICES - 1)
        self.end = end
        self.first = end - DAYS * 86400
        self.names = [f"press-{d:03d}" for d in range(DEVICES)]
        self.counts = [busy] + [quiet + (1 if d <= extra else 0) for d in range(1, DEVICES)]
        self.steps = [1.0] + [DAYS * 86400 / n for n in self.counts[1:]]
        self.starts = [end - busy + 0.250001] + [
            self.first + 0.000013 + d * 0.731 for d in range(1, DEVICES)
        ]

    def k_range(self, d: int, low: float, high: float) -> tuple[int, int]:
        """Device d's readings with low <= time < high: k from, k to (exclusive)."""
        import math

        start, step, count = self.starts[d], self.steps[d], self.counts[d]
        first = max(0, math.ceil((low - start) / step))
        last = min(count, math.ceil((high - start) / step))
        return first, max(first, last)


# Metric values from (k, d): cheap, deterministic, the same on every engine.
METRIC_SQL = (
    "20 + ((k * 7 + d) % 100) * 0.1",
    "((k * 13 + d) % 50) * 0.25",
    "400 + ((k * 3 + d) % 101)",
    "250 + ((k * 11 + d) % 40) * 1.5",
)


def readings_empty() -> None:
    from django.db import connection

    from devices.models import Device
    from sensors.models import ReadingRollup

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {TABLE}, {ReadingRollup._meta.db_table} RESTART IDENTITY")
        else:
            cursor.execute(f"DELETE FROM {TABLE}")
            cursor.execute(f"DELETE FROM {ReadingRollup._meta.db_table}")
    Device.objects.all().delete()


def fill_postgresql(shape: Shape) -> None:
    """INSERT ... SELECT from generate_series, one time window per statement, in time order."""
    from django.db import connection

    # "%" is the driver's placeholder: doubled in the metric expressions.
    temperature, vibration, gas, power = (m.replace("%", "%%") for m in METRIC_SQL)
    sql = f"""
        INSERT INTO {TABLE} ({COLUMNS})
        SELECT name, {temperature}, {vibration}, {gas}, {power}, ts,
               ts + make_interval(secs => {ARRIVAL_DELAY})
        FROM (
            SELECT dev.d, dev.name, k,
                   to_timestamp(round((dev.start + k * dev.step)::numeric, 6)) AS ts
            FROM unnest(%s::int[], %s::text[], %s::float8[], %s::float8[], %s::bigint[],
                        %s::bigint[]) AS dev(d, name, start, step, k_from, k_to)
            CROSS JOIN LATERAL generate_series(dev.k_from, dev.k_to - 1) AS k
        ) AS series
        ORDER BY ts
    """
    with connection.cursor() as cursor:
        cursor.execute("SET work_mem = '256MB'")
        cursor.execute("SET synchronous_commit = off")
        for low in range(shape.first, shape.end, WINDOW_DAYS * 86400):
            high = min(shape.end, low + WINDOW_DAYS * 86400)
            ranges = [shape.k_range(d, low, high) for d in range(DEVICES)]
            cursor.execute(
                sql,
                [
                    list(range(DEVICES)),
                    shape.names,
                    shape.starts,
                    shape.steps,
                    [first for first, _ in ranges],
                    [last for _, last in ranges],
                ],
            )
            print(".", end="", flush=True)
    print()


def fill_sqlite(shape: Shape) -> None:
    """executemany in large transactions, synchronous off, in time order."""
    import numpy as np
    from django.db import connection, transaction

    insert = f"INSERT INTO {TABLE} ({COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s)"
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous = OFF")
        cursor.execute("PRAGMA cache_size = -1000000")  # 1 GB: the indexes stay in memory
    window = WINDOW_DAYS * 86400 // 4
    for low in range(shape.first, shape.end, window):
        high = min(shape.end, low + window)
        parts = []
        for d in range(DEVICES):
            first, last = shape.k_range(d, low, high)
            k = np.arange(first, last, dtype=np.int64)
            micros = np.round((shape.starts[d] + k * shape.steps[d]) * 1e6).astype(np.int64)
            parts.append((np.full(len(k), d, dtype=np.int64), k, micros))
        d = np.concatenate([p[0] for p in parts])
        k = np.concatenate([p[1] for p in parts])
        micros = np.concatenate([p[2] for p in parts])
        order = np.argsort(micros, kind="stable")
        d, k, micros = d[order], k[order], micros[order]
        rows = zip(
            [shape.names[i] for i in d.tolist()],
            (20 + ((k * 7 + d) % 100) * 0.1).tolist(),
            (((k * 13 + d) % 50) * 0.25).tolist(),
            (400 + ((k * 3 + d) % 101)).astype(np.float64).tolist(),
            (250 + ((k * 11 + d) % 40) * 1.5).tolist(),
            _sqlite_datetimes(micros),
            _sqlite_datetimes(micros + round(ARRIVAL_DELAY * 1e6)),
            strict=True,
        )
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(insert, list(rows))
        print(".", end="", flush=True)
    print()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous = NORMAL")


def _sqlite_datetimes(micros) -> list[str]:
    """Unix microseconds as Django's SQLite backend writes date-times (``str`` of a naive UTC
    datetime: no fraction when it is zero)."""
    import numpy as np

    texts = np.datetime_as_string(micros.astype("datetime64[us]"), unit="us").tolist()
    return [text.replace("T", " ").removesuffix(".000000") for text in texts]


def load(rows: int) -> None:
    from django.db import connection

    shape = Shape(rows, end=int(time.time()))
    print(
        f"Filling {rows:,} readings: {DEVICES} devices, {BUSY} {shape.counts[0]:,} at 1 s,"
        f" the others {shape.counts[-1]:,}-{shape.counts[1]:,} each over {DAYS} days"
    )
    started = time.perf_counter()
    readings_empty()
    if connection.vendor == "postgresql":
        fill_postgresql(shape)
    else:
        fill_sqlite(shape)
    seconds = time.perf_counter() - started
    print(f"Load: {seconds:.1f} s ({rows / seconds:,.0f} rows/s)")
    if connection.vendor == "postgresql":
        # What autovacuum would do soon after a load like this, done now so
        # that plans and index-only scans do not depend on when it runs.
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {TABLE}")
        print(f"VACUUM ANALYZE {TABLE}: {time.perf_counter() - started:.1f} s")


def rebuild_rollups() -> None:
    """``manage.py rebuild_rollups`` in its own process, timed."""
    from django.db import connection

    connection.close()
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "manage.py", "rebuild_rollups"],
        cwd=PROJECT_DIR,
        env=os.environ,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode:
        print(done.stdout, done.stderr)
        raise SystemExit(f"rebuild_rollups failed ({done.returncode})")
    print(f"rebuild_rollups: {seconds:.1f} s wall: {done.stdout.strip()}")
    if connection.vendor == "postgresql":
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        print(f"VACUUM ANALYZE (after the rebuild): {time.perf_counter() - started:.1f} s")


# --- gunicorn ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def gunicorn_start(port: int, workers: int | None, log: Path) -> subprocess.Popen:
    # No access log: an empty GUNICORN_ACCESS_LOG is not "off" but a file
    # named "" (gunicorn exits 1), hence /dev/null.
    env = dict(os.environ, GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_ACCESS_LOG="/dev/null")
    env.pop("AUTOFORGE_SETTINGS_CHECKED", None)
    if workers:
        env["GUNICORN_WORKERS"] = str(workers)
    gunicorn = Path(sys.executable).parent / "gunicorn"
    with log.open("ab") as output:
        master = subprocess.Popen(
            [str(gunicorn), "--config", "deploy/gunicorn.conf.py", "autoforge.asgi:application"],
            cwd=PROJECT_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if master.poll() is not None:
            raise SystemExit(f"gunicorn exited {master.returncode}:\n{log.read_text()[-3000:]}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/api/health")
            if connection.getresponse().status == 200:
                return master
        except OSError:
            pass
        time.sleep(0.2)
    gunicorn_stop(master)
    raise SystemExit(f"gunicorn did not answer /api/health:\n{log.read_text()[-3000:]}")


def gunicorn_stop(master: subprocess.Popen) -> None:
    if master.poll() is None:
        master.send_signal(signal.SIGTERM)
        try:
            master.wait(timeout=60)
        except subprocess.TimeoutExpired:
            master.kill()
            master.wait()


def worker_pids(master: int) -> list[int]:
    pids = []
    for task in Path(f"/proc/{master}/task").iterdir():
        pids += [int(pid) for pid in (task / "children").read_text().split()]
    return sorted(pids)


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


# --- measuring ---------------------------------------------------------------------


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


class Client:
    """Sequential GETs on one keep-alive connection (reopened when the server closes it)."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def get(self, path: str) -> tuple[float, int, int, int]:
        """Milliseconds, status, bytes and lines of one response, read to its end."""
        try:
            started = time.perf_counter()
            self.connection.request("GET", path)
            response = self.connection.getresponse()
        except (http.client.RemoteDisconnected, ConnectionError):
            # The server closed the idle connection (keep-alive timeout): again, anew.
            self.connection.close()
            started = time.perf_counter()
            self.connection.request("GET", path)
            response = self.connection.getresponse()
        size = lines = 0
        while block := response.read(1 << 20):
            size += len(block)
            lines += block.count(b"\n")
        elapsed = (time.perf_counter() - started) * 1000
        if response.status != 200:
            raise SystemExit(f"GET {path}: {response.status}")
        return elapsed, response.status, size, lines


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def http_cases(end: datetime, first: datetime, rng: random.Random, ml_rows: int) -> list[tuple]:
    """(group, name, path or a function giving a fresh path) of the latency figures."""

    def quiet_week() -> str:
        device = f"press-{rng.randrange(1, DEVICES):03d}"
        span = (end - first - timedelta(days=7)).total_seconds()
        since = first + timedelta(seconds=rng.uniform(0, span))
        query = {"device_id": device, "since": iso(since), "until": iso(since + timedelta(days=7))}
        return f"/api/sensors/stats?{urlencode(query)}"

    def q(path: str, **query: str) -> str:
        return f"{path}?{urlencode(query)}" if query else path

    day, month = iso(end - timedelta(days=1)), iso(end - timedelta(days=30))
    stats, agg = "/api/sensors/stats", "/api/sensors/aggregate"
    until = iso(end)
    return [
        ("health", "health", "/api/health"),
        ("stats", "stats, busy device, all time", q(stats, device_id=BUSY)),
        ("stats", "stats, all devices, all time", stats),
        ("stats", "stats, all devices, last 24 h", q(stats, since=day)),
        ("stats", "stats, quiet device, random 7 days", quiet_week),
        (
            "stats",
            "aggregate 1h, 30 days, all devices",
            q(agg, interval="1h", since=month, until=until),
        ),
        (
            "stats",
            "aggregate 1m, 24 h, busy device",
            q(agg, interval="1m", device_id=BUSY, since=day, until=until),
        ),
        (
            "stats",
            "aggregate 1d, 60 days, all, Europe/Berlin",
            q(
                agg,
                interval="1d",
                tz="Europe/Berlin",
                since=iso(end - timedelta(days=DAYS)),
                until=until,
            ),
        ),
        (
            "stats",
            "aggregate 15m, 7 days, busy device",
            q(agg, interval="15m", device_id=BUSY, since=iso(end - timedelta(days=7)), until=until),
        ),
        ("light", "latest, busy device", q("/api/sensors/latest", device_id=BUSY)),
        ("light", "history limit=100, all devices", q("/api/sensors/history", limit="100")),
        (
            "light",
            "history limit=100, busy device",
            q("/api/sensors/history", limit="100", device_id=BUSY),
        ),
        ("light", "devices limit=100", q("/api/devices", limit="100")),
        (
            "ml",
            f"ml-data {ml_rows:,} rows, busy device, JSON",
            q("/api/sensors/ml-data", device_id=BUSY, limit=str(ml_rows)),
        ),
        (
            "npz",
            f"ml-data {ml_rows:,} rows, busy device, npz",
            q("/api/sensors/ml-data", device_id=BUSY, limit=str(ml_rows), format="npz"),
        ),
    ]


def time_path(client: Client, path, repeat: int) -> tuple[float, float, int]:
    make = path if callable(path) else (lambda: path)
    for _ in range(3):  # warm-up: each worker's connection and first-run imports
        client.get(make())
    samples, size = [], 0
    for _ in range(repeat):
        elapsed, _, size, _ = client.get(make())
        samples.append(elapsed)
    return percentile(samples, 0.5), percentile(samples, 0.95), size


def time_beside_health(client: Client, path, repeat: int) -> tuple[float, float, int, float]:
    """As :func:`time_path`, each request followed by one to /api/health; also
    returns health's p50 over the same moments. This machine's speed changes
    from one minute to the next: a ratio of figures taken together holds."""
    make = path if callable(path) else (lambda: path)
    for _ in range(3):
        client.get(make())
        client.get("/api/health")
    samples, health, size = [], [], 0
    for _ in range(repeat):
        elapsed, _, size, _ = client.get(make())
        samples.append(elapsed)
        health.append(client.get("/api/health")[0])
    return percentile(samples, 0.5), percentile(samples, 0.95), size, percentile(health, 0.5)


def ml_bare_fetch(repeat: int, ml_rows: int) -> tuple[float, float, float]:
    """p50 ms of a bare cursor fetch of ml-data's rows (the values_list's SQL run
    on Django's connection), its p95, and the p50 of the ORM values_list itself."""
    from django.db import connection

    from sensors.models import SensorReading

    page = (
        SensorReading.objects.filter(device_id=BUSY)
        .order_by("-timestamp")
        .values_list("timestamp", "temperature", "vibration", "gas", "power", "device_id")[:ml_rows]
    )
    sql, params = page.query.sql_with_params()

    def bare() -> int:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return len(cursor.fetchall())

    assert bare() == ml_rows
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        bare()
        samples.append((time.perf_counter() - started) * 1000)
    orm = []
    for _ in range(max(3, repeat // 4)):
        started = time.perf_counter()
        list(page.all())  # a fresh queryset: the first keeps its rows
        orm.append((time.perf_counter() - started) * 1000)
    return percentile(samples, 0.5), percentile(samples, 0.95), statistics.median(orm)


def export_bare_fetch() -> tuple[int, float]:
    """Rows and seconds of the busy device's rows through a bare cursor, export order."""
    from django.db import connection

    from sensors.selectors import READING_FIELDS

    sql = f"SELECT {', '.join(READING_FIELDS)} FROM {TABLE} WHERE device_id = %s ORDER BY timestamp"
    rows = 0
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql, [BUSY])
        while chunk := cursor.fetchmany(10_000):
            rows += len(chunk)
    return rows, time.perf_counter() - started


class ExportFigures(NamedTuple):
    rows: int  # exported
    seconds: float  # median
    bare_rows: int
    bare_seconds: float  # median
    growth_peak: float  # MB, largest worker
    growth_after: float


def export_http(client: Client, master: int, repeat: int) -> ExportFigures:
    """The busy device's CSV export, each run after a bare fetch of the same rows
    (this machine's speed changes from minute to minute: the two are compared
    in the same minutes), and the largest growth (MB) of any worker's resident
    memory over the exports: at its peak (sampled every 20 ms) and after."""
    path = f"/api/sensors/export?{urlencode({'device_id': BUSY, 'format': 'csv'})}"
    pids = worker_pids(master)
    before = {pid: rss_mb(pid) for pid in pids}
    peak = dict(before)
    sampling = threading.Event()

    def sample() -> None:
        while not sampling.wait(0.02):
            for pid in pids:
                now = rss_mb(pid)
                if now is not None and before[pid] is not None:
                    peak[pid] = max(peak[pid], now)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    runs, bare_runs, lines, bare_rows = [], [], 0, 0
    try:
        for _ in range(repeat):
            bare_rows, bare_seconds = export_bare_fetch()
            bare_runs.append(bare_seconds)
            elapsed, _, _, lines = client.get(path)
            runs.append(elapsed / 1000)
    finally:
        sampling.set()
        sampler.join()
    after = {pid: rss_mb(pid) for pid in pids}
    growth_peak = max((peak[p] - before[p] for p in pids if before[p] is not None), default=0.0)
    growth_after = max(
        (after[p] - before[p] for p in pids if before[p] is not None and after[p] is not None),
        default=0.0,
    )
    return ExportFigures(
        lines - 1,
        statistics.median(runs),
        bare_rows,
        statistics.median(bare_runs),
        growth_peak,
        growth_after,
    )


def row(name: str, figure: str, target: str, met: bool | None, extra: str = "") -> None:
    verdict = "" if met is None else ("ok" if met else "MISSED")
    print(f"  {name:<44} {figure:>22}  {target:<26} {verdict:<6} {extra}")


def measure(port: int, master: int, args: argparse.Namespace, number: int) -> None:
    from django.db import connection
    from django.db.models import Max, Min

    from sensors.models import SensorReading

    bounds = SensorReading.objects.aggregate(first=Min("timestamp"), last=Max("timestamp"))
    end = bounds["last"].replace(microsecond=0) + timedelta(seconds=1)
    # 100k as in the issue; fewer when --rows leaves the busy device fewer.
    ml_rows = min(100_000, SensorReading.objects.filter(device_id=BUSY).count())
    rng = random.Random(args.seed + number)
    client = Client(port)
    workers = worker_pids(master)
    print(
        f"\nPass {number} of {args.passes}: {connection.vendor}, gunicorn {len(workers)} workers,"
        f" {args.repeat} requests per figure, data up to {iso(end)}"
    )
    print(f"  {'read':<44} {'p50 / p95 ms':>22}  {'target':<26} {'':<6} bytes")
    health = None
    results: dict[str, tuple[float, float, int]] = {}
    # Every worker answers a few first: its connection and first-run imports.
    for _ in range(5 * len(workers)):
        client.get("/api/health")
    for group, name, path in http_cases(end, bounds["first"], rng, ml_rows):
        if group == "light":  # against health measured in between
            p50, p95, size, health = time_beside_health(client, path, args.repeat)
        else:
            p50, p95, size = time_path(client, path, args.repeat)
        results[name] = (p50, p95, size)
        figure = f"{p50:8.1f} / {p95:8.1f}"
        if group == "health":
            health = p50
            row(name, figure, "(baseline)", None, f"{size:,}")
        elif group == "stats":
            row(name, figure, "p50 <= 25 ms", p50 <= 25, f"{size:,}")
        elif group == "light":
            row(
                name,
                figure,
                f"p50 <= 3x health ({health:.1f}, in between)",
                p50 <= 3 * health,
                f"{size:,}",
            )
        elif group == "ml":
            row(name, figure, "p50 <= 300 ms", p50 <= 300, f"{size:,}")
        elif group == "npz":
            bare50, bare95, orm50 = ml_bare_fetch(args.repeat, ml_rows)
            row(name, figure, f"p50 <= 2x bare = {2 * bare50:.1f}", p50 <= 2 * bare50, f"{size:,}")
            row("  bare cursor fetch, same rows", f"{bare50:8.1f} / {bare95:8.1f}", "", None)
            row("  ORM values_list, same rows", f"{orm50:8.1f} (p50)", "(for reference)", None)
    exported, seconds, rows, bare_seconds, growth_peak, growth_after = export_http(
        client, master, args.export_repeat
    )
    if exported != rows:
        print(f"  export gave {exported:,} rows, the bare fetch {rows:,}")
    ratio = (exported / seconds) / (rows / bare_seconds)
    row(
        f"export csv, busy device ({exported:,} rows)",
        f"{exported / seconds:,.0f} rows/s",
        ">= 50% of bare",
        ratio >= 0.5,
        f"{ratio:.0%} of bare; {seconds:.2f} s median of {args.export_repeat}",
    )
    row(
        "  bare cursor fetch, same rows",
        f"{rows / bare_seconds:,.0f} rows/s",
        "(before each export)",
        None,
        f"{bare_seconds:.2f} s median",
    )
    row(
        "  worker RSS growth (largest worker)",
        f"{growth_peak:.1f} MB peak",
        "<= 100 MB",
        growth_peak <= 100,
        f"{growth_after:.1f} MB after",
    )


def main() -> int:
    args = parse_args()
    folder = configure(args)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    log = Path(tempfile.mkstemp(prefix="autoforge-read-side-gunicorn-", suffix=".log")[1])
    master = None
    try:
        call_command("migrate", verbosity=0)
        print(f"Database: {connection.vendor} {connection.settings_dict['NAME']}")
        steps = set(args.steps.split(","))
        if "load" in steps:
            load(args.rows)
        if "rebuild" in steps:
            rebuild_rollups()
        if "measure" not in steps:
            return 0
        port = free_port()
        started = time.perf_counter()
        master = gunicorn_start(port, args.workers, log)
        print(f"gunicorn up on 127.0.0.1:{port} in {time.perf_counter() - started:.1f} s")
        for number in range(1, args.passes + 1):
            measure(port, master.pid, args, number)
    finally:
        if master is not None:
            gunicorn_stop(master)
            print(f"\ngunicorn stopped ({master.returncode}); its log: {log}")
        connection.close()
        if folder is not None and not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
        elif folder is not None:
            print(f"Kept {folder} (--database-url sqlite:///{folder / 'bench.sqlite3'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
