"""Aggregates over any range, answered from the rollups plus the raw rows at the edges.

A range ``[since, until)`` is cut into pieces that the rollups answer whole,
from the coarsest that fits: whole days (or hours, or minutes) in the middle,
finer rollups towards the edges, and the raw readings only for the partial
minutes at both ends. So a query costs about the same for an hour or a year,
and its answer is exact: counts, minima and maxima are those of the raw rows;
sums (so averages) differ from a sum over the raw rows only by the rounding
of adding the same floats in another order.

``readings_stats`` adds everything up; ``readings_buckets`` groups it into
time buckets (``/api/sensors/aggregate``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from django.db import connection

from sensors.models import ReadingRollup, SensorReading
from sensors.rollups import DAY, FLEET, HOUR, MINUTE, VALUE_COLUMNS, merge_values
from sensors.selectors import rows_fetch
from sensors.validation import METRICS

INTERVALS = {"1m": 60, "5m": 300, "15m": 900, "1h": 3600, "6h": 21600, "1d": 86400}
MAX_BUCKETS = 10_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Each piece is (period, lo, hi): rollup rows of ``period`` with lo <= bucket
# < hi, or (0, lo, hi): raw readings with lo <= timestamp < hi. lo and hi are
# Unix microseconds for raw pieces, seconds otherwise; None is unbounded.
Piece = tuple[int, int | None, int | None]


def _select_rollups() -> str:
    """``SELECT`` of the rollup values (``VALUE_COLUMNS``) summed over rows."""
    q = connection.ops.quote_name
    table = q(ReadingRollup._meta.db_table)
    columns = [f"SUM({q('count')})"] + [
        f"{part.upper()}({q(f'{metric}_{part}')})"
        for metric in METRICS
        for part in ("sum", "min", "max")
    ]
    return f"SELECT {', '.join(columns)} FROM {table}"


def _select_rollup_rows() -> str:
    """``SELECT`` of rollup rows as they are: ``bucket``, then ``VALUE_COLUMNS``."""
    q = connection.ops.quote_name
    columns = ", ".join(q(column) for column in ("bucket", *VALUE_COLUMNS))
    return f"SELECT {columns} FROM {q(ReadingRollup._meta.db_table)}"


def _select_raw() -> str:
    """``SELECT`` of the ``VALUE_COLUMNS`` of raw readings."""
    q = connection.ops.quote_name
    table = q(SensorReading._meta.db_table)
    columns = ["COUNT(*)"] + [
        f"{function}({q(metric)})" for metric in METRICS for function in ("SUM", "MIN", "MAX")
    ]
    return f"SELECT {', '.join(columns)} FROM {table}"


def _values(row: Sequence) -> list | None:
    """A fetched row of ``VALUE_COLUMNS``, or None when it counts nothing.

    The count is a SUM of integers: a decimal on some databases."""
    if not row or not row[0]:
        return None
    values = list(row)
    values[0] = int(values[0])
    return values


def _merge(into: list | None, values: list | None) -> list | None:
    if values is None:
        return into
    if into is None:
        return list(values)
    merge_values(into, values)
    return into


def _microseconds(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _moment(microseconds: int) -> datetime:
    return _EPOCH + timedelta(microseconds=microseconds)


def _pieces(since: int | None, until: int | None, coarsest: int) -> list[Piece]:
    """``[since, until)`` (Unix microseconds, None: unbounded) as rollup and raw
    pieces, with rollup periods up to ``coarsest`` seconds."""
    lo, hi = since, until
    if lo is not None and hi is not None and lo >= hi:
        return []
    pieces: list[Piece] = []
    step = MINUTE * 1_000_000
    if lo is not None and lo % step:  # the raw head, up to the first whole minute
        edge = lo - lo % step + step
        if hi is not None and hi <= edge:
            return [(0, lo, hi)]
        pieces.append((0, lo, edge))
        lo = edge
    if hi is not None and hi % step:  # the raw tail, from the last whole minute
        edge = hi - hi % step
        pieces.append((0, edge, hi))
        hi = edge
    lo_s = None if lo is None else lo // 1_000_000
    hi_s = None if hi is None else hi // 1_000_000
    if lo_s is not None and hi_s is not None and lo_s >= hi_s:
        return pieces
    # Whole minutes from here: the finer period covers the edges of each coarser one.
    current = MINUTE
    for coarser in (HOUR, DAY):
        if coarser > coarsest:
            break
        inner_lo = None if lo_s is None else -(-lo_s // coarser) * coarser
        inner_hi = None if hi_s is None else hi_s // coarser * coarser
        if inner_lo is not None and inner_hi is not None and inner_lo >= inner_hi:
            break  # no whole coarser period inside
        if lo_s is not None and lo_s < inner_lo:
            pieces.append((current, lo_s, inner_lo))
        if hi_s is not None and inner_hi < hi_s:
            pieces.append((current, inner_hi, hi_s))
        lo_s, hi_s, current = inner_lo, inner_hi, coarser
    pieces.append((current, lo_s, hi_s))
    return pieces


def _rollup_where(
    period: int, ranges: Sequence[tuple[int | None, int | None]], device_id: str | None
) -> tuple[str, list]:
    """``WHERE`` of rollup rows of ``period`` in ``ranges``, the device's or (None) the fleet's.

    Each alternative repeats the period and the device: SQLite uses the
    rollups' index for an OR only when every branch names the whole prefix
    (otherwise it read the device's rows of the period across the whole
    span: 12 ms instead of 0.3 for two minutes at the ends of 60 days).
    """
    q = connection.ops.quote_name
    bucket = q("bucket")
    prefix = f"{q('period')} = %s AND {q('device_id')} = %s"
    key = [period, FLEET if device_id is None else device_id]
    alternatives, params = [], []
    for lo, hi in ranges:
        condition = [prefix]
        params += key
        if lo is not None:
            condition.append(f"{bucket} >= %s")
            params.append(lo)
        if hi is not None:
            condition.append(f"{bucket} < %s")
            params.append(hi)
        alternatives.append(f"({' AND '.join(condition)})")
    return f" WHERE {' OR '.join(alternatives)}", params


def _raw(device_id: str | None, lo: int, hi: int) -> list | None:
    q = connection.ops.quote_name
    adapt = connection.ops.adapt_datetimefield_value
    sql = f"{_select_raw()} WHERE {q('timestamp')} >= %s AND {q('timestamp')} < %s"
    params = [adapt(_moment(lo)), adapt(_moment(hi))]
    if device_id is not None:
        sql += f" AND {q('device_id')} = %s"
        params.append(device_id)
    return _values(rows_fetch(sql, params)[0])


def _by_period(pieces: list[Piece]) -> dict[int, list[tuple[int | None, int | None]]]:
    grouped: dict[int, list] = {}
    for period, lo, hi in pieces:
        if period:
            grouped.setdefault(period, []).append((lo, hi))
    return grouped


#: The figures of a range or a bucket (after its start), in their order.
FIGURE_KEYS = (
    "count",
    *(f"{part}_{metric}" for metric in METRICS for part in ("avg", "min", "max")),
)
_BUCKET_KEYS = ("bucket", *FIGURE_KEYS)
_SUMS = list(range(1, len(VALUE_COLUMNS), 3))  # each metric's sum, then its min and max
_ADDED = [0, *_SUMS]
_MINIMA = [index + 1 for index in _SUMS]
_MAXIMA = [index + 2 for index in _SUMS]


def _stats(values: list | None) -> dict:
    """``VALUE_COLUMNS`` values (None: no readings) as ``FIGURE_KEYS``: the
    count, then each metric's average, minimum and maximum."""
    if values is None:
        return {"count": 0, **dict.fromkeys(FIGURE_KEYS[1:])}
    count = values[0]
    figures = [count]
    for index in _SUMS:
        figures += (values[index] / count, values[index + 1], values[index + 2])
    return dict(zip(FIGURE_KEYS, figures, strict=True))


def readings_stats(
    *,
    device_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict:
    """Count, mean, minimum and maximum of each metric over ``[since, until)``."""
    pieces = _pieces(
        None if since is None else _microseconds(since),
        None if until is None else _microseconds(until),
        DAY,
    )
    total = None
    for period, ranges in _by_period(pieces).items():
        where, params = _rollup_where(period, ranges, device_id)
        total = _merge(total, _values(rows_fetch(_select_rollups() + where, params)[0]))
    for period, lo, hi in pieces:
        if not period:
            total = _merge(total, _raw(device_id, lo, hi))
    return _stats(total)


class TooManyBuckets(ValueError):
    """The range holds more than ``MAX_BUCKETS`` buckets of the interval."""

    def __init__(self, buckets: int, fitting: str | None) -> None:
        self.buckets = buckets
        self.fitting = fitting
        hint = f"; use {fitting} or a shorter range" if fitting else "; use a shorter range"
        super().__init__(f"{buckets} buckets in the range, more than {MAX_BUCKETS}{hint}")


def bucket_starts(*, interval: str, since: datetime, until: datetime, tz: ZoneInfo) -> list[int]:
    """The starts (Unix seconds) of the buckets that ``[since, until)`` touches.

    Whole multiples of the interval since 1970-01-01T00:00Z; for ``1d``,
    midnights in ``tz``. Raises ``TooManyBuckets``.
    """
    seconds = INTERVALS[interval]
    first = int(since.timestamp()) // seconds * seconds
    if interval == "1d":
        local = since.astimezone(tz)
        day = datetime(local.year, local.month, local.day, tzinfo=tz)
        starts = []
        while day < until:
            starts.append(int(day.astimezone(UTC).timestamp()))
            if len(starts) > MAX_BUCKETS:
                days = (until - since).days + 1
                raise TooManyBuckets(max(days, len(starts)), None)
            following = day.date() + timedelta(days=1)
            day = datetime(following.year, following.month, following.day, tzinfo=tz)
        return starts
    end = _microseconds(until)
    count = max(0, -(-(end - first * 1_000_000) // (seconds * 1_000_000)))
    if count > MAX_BUCKETS:
        span = end - first * 1_000_000
        fitting = next(
            (name for name, size in INTERVALS.items() if span <= size * 1_000_000 * MAX_BUCKETS),
            None,
        )
        raise TooManyBuckets(count, fitting)
    return [first + seconds * index for index in range(count)]


def readings_buckets(
    *,
    interval: str,
    since: datetime,
    until: datetime,
    tz: ZoneInfo,
    device_id: str | None = None,
    bucket_text: bool = False,
) -> list[dict]:
    """One dict per bucket with readings, oldest first: ``{"bucket": datetime,
    "count", "avg_<metric>", "min_<metric>", "max_<metric>", ...}``; with
    ``bucket_text``, the bucket's start as the API writes it
    (``2026-01-29T14:00:00.000000Z``), made for all buckets at once."""
    starts = bucket_starts(interval=interval, since=since, until=until, tz=tz)
    if not starts:
        return []
    seconds = INTERVALS[interval]
    uniform = interval != "1d" or all(start % DAY == 0 for start in starts)
    # The coarsest rollup whose periods never straddle a bucket boundary.
    coarsest = next(p for p in (DAY, HOUR, MINUTE) if all(s % p == 0 for s in starts))
    if uniform:
        coarsest = min(coarsest, seconds)
    pieces = _pieces(_microseconds(since), _microseconds(until), coarsest)
    # Every row that adds to a bucket: [bucket or reading second, *VALUE_COLUMNS].
    rows: list[Sequence] = []
    for period, ranges in _by_period(pieces).items():
        where, params = _rollup_where(period, ranges, device_id)
        bucket = connection.ops.quote_name("bucket")
        # The bucket a rollup row falls in (readings are from 2000 on: % is a floor).
        if uniform and seconds > period:
            key = f"{bucket} - {bucket} %% {int(seconds)}"
            select = _select_rollups().replace("SELECT ", f"SELECT {key}, ", 1)
            rows += rows_fetch(f"{select}{where} GROUP BY {key}", params)
        else:  # a rollup row per bucket already (period and device are unique)
            rows += rows_fetch(_select_rollup_rows() + where, params)
    for period, lo, hi in pieces:
        if not period:
            values = _raw(device_id, lo, hi)
            if values is not None:
                rows.append([lo // 1_000_000, *values])
    return _bucket_figures(starts, rows, bucket_text=bucket_text)


def _bucket_figures(starts: list[int], rows: list[Sequence], *, bucket_text: bool) -> list[dict]:
    """The rows (``[second, *VALUE_COLUMNS]``, count > 0) merged into the
    buckets of ``starts`` they fall in, as the dicts of ``readings_buckets``.

    Merged with numpy, a column at a time: a day of minutes or two months
    of hours is over a thousand rows, and merging them one by one in Python
    took longer than fetching them.
    """
    if not rows:
        return []
    table = np.array(rows, dtype=np.float64)  # counts are exact up to 2**53
    index = np.searchsorted(np.array(starts, dtype=np.float64), table[:, 0], side="right") - 1
    order = np.argsort(index, kind="stable")
    index, table = index[order], table[order, 1:]
    first = np.flatnonzero(np.r_[True, index[1:] != index[:-1]])  # each bucket's first row
    merged = np.empty((len(first), len(VALUE_COLUMNS)), dtype=np.float64)
    merged[:, _ADDED] = np.add.reduceat(table[:, _ADDED], first, axis=0)
    merged[:, _MINIMA] = np.minimum.reduceat(table[:, _MINIMA], first, axis=0)
    merged[:, _MAXIMA] = np.maximum.reduceat(table[:, _MAXIMA], first, axis=0)
    merged[:, _SUMS] /= merged[:, [0]]  # sums to averages
    begins = np.array(starts, dtype="datetime64[s]")[index[first]]
    if bucket_text:
        labels = np.datetime_as_string(begins, unit="us", timezone="UTC").tolist()
    else:
        seconds = begins.astype(np.int64).tolist()
        labels = [datetime.fromtimestamp(second, UTC) for second in seconds]
    counts = merged[:, 0].astype(np.int64).tolist()
    return [
        dict(zip(_BUCKET_KEYS, (label, count, *figures), strict=True))
        for label, count, figures in zip(labels, counts, merged[:, 1:].tolist(), strict=True)
    ]
