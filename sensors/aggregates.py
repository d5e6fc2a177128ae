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

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import BigIntegerField, Count, ExpressionWrapper, F, Max, Min, Q, Sum, Value
from django.db.models.functions import Mod

from sensors.models import ReadingRollup, SensorReading
from sensors.rollups import DAY, FLEET, HOUR, MINUTE, VALUE_COLUMNS, merge_values
from sensors.validation import METRICS

INTERVALS = {"1m": 60, "5m": 300, "15m": 900, "1h": 3600, "6h": 21600, "1d": 86400}
MAX_BUCKETS = 10_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Each piece is (period, lo, hi): rollup rows of ``period`` with lo <= bucket
# < hi, or (0, lo, hi): raw readings with lo <= timestamp < hi. lo and hi are
# Unix microseconds for raw pieces, seconds otherwise; None is unbounded.
Piece = tuple[int, int | None, int | None]


def _aggregations(prefix: str = "") -> dict:
    """``Sum``/``Min``/``Max`` of rollup columns (``prefix`` "") as ``VALUE_COLUMNS``."""
    fields = {"count": Sum("count")}
    for metric in METRICS:
        fields[f"{metric}_sum"] = Sum(f"{metric}_sum")
        fields[f"{metric}_min"] = Min(f"{metric}_min")
        fields[f"{metric}_max"] = Max(f"{metric}_max")
    return fields


def _raw_aggregations() -> dict:
    fields = {"count": Count("id")}
    for metric in METRICS:
        fields[f"{metric}_sum"] = Sum(metric)
        fields[f"{metric}_min"] = Min(metric)
        fields[f"{metric}_max"] = Max(metric)
    return fields


def _values(row: dict) -> list | None:
    if not row or not row["count"]:
        return None
    return [row[column] for column in VALUE_COLUMNS]


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


def _rollup_filter(period: int, ranges: Sequence[tuple[int | None, int | None]], device_id):
    """Rollup rows of ``period`` in ``ranges``: the device's, or (None) the fleet's."""
    rows = ReadingRollup.objects.filter(
        period=period, device_id=FLEET if device_id is None else device_id
    )
    condition = Q()
    for lo, hi in ranges:
        part = Q()
        if lo is not None:
            part &= Q(bucket__gte=lo)
        if hi is not None:
            part &= Q(bucket__lt=hi)
        condition |= part
    return rows.filter(condition)


def _raw(device_id: str | None, lo: int, hi: int) -> list | None:
    readings = SensorReading.objects.filter(timestamp__gte=_moment(lo), timestamp__lt=_moment(hi))
    if device_id is not None:
        readings = readings.filter(device_id=device_id)
    return _values(readings.aggregate(**_raw_aggregations()))


def _by_period(pieces: list[Piece]) -> dict[int, list[tuple[int | None, int | None]]]:
    grouped: dict[int, list] = {}
    for period, lo, hi in pieces:
        if period:
            grouped.setdefault(period, []).append((lo, hi))
    return grouped


@dataclass(frozen=True)
class Totals:
    """Count, and sum / min / max of each metric, over some readings."""

    values: list | None  # as VALUE_COLUMNS; None: no readings

    def as_stats(self) -> dict:
        """``{"count", "avg_<metric>", "min_<metric>", "max_<metric>", ...}``."""
        values = self.values
        stats: dict = {"count": values[0] if values else 0}
        for index, metric in enumerate(METRICS):
            base = 1 + 3 * index
            stats[f"avg_{metric}"] = values[base] / values[0] if values else None
            stats[f"min_{metric}"] = values[base + 1] if values else None
            stats[f"max_{metric}"] = values[base + 2] if values else None
        return stats


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
        row = _rollup_filter(period, ranges, device_id).aggregate(**_aggregations())
        total = _merge(total, _values(row))
    for period, lo, hi in pieces:
        if not period:
            total = _merge(total, _raw(device_id, lo, hi))
    return Totals(total).as_stats()


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
) -> list[dict]:
    """One dict per bucket with readings, oldest first: ``{"bucket": datetime,
    "count", "avg_<metric>", "min_<metric>", "max_<metric>", ...}``."""
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
    totals: list[list | None] = [None] * len(starts)

    def index_of(second: int) -> int:
        return bisect_right(starts, second) - 1

    for period, ranges in _by_period(pieces).items():
        rows = _rollup_filter(period, ranges, device_id)
        if uniform and seconds > period:
            key = ExpressionWrapper(
                F("bucket") - Mod(F("bucket"), Value(seconds)), output_field=BigIntegerField()
            )
        else:
            key = F("bucket")
        grouped = rows.annotate(key=key).values("key").annotate(**_aggregations()).order_by()
        for row in grouped:
            index = index_of(row["key"])
            totals[index] = _merge(totals[index], _values(row))
    for period, lo, hi in pieces:
        if not period:
            index = index_of(lo // 1_000_000)
            totals[index] = _merge(totals[index], _raw(device_id, lo, hi))
    return [
        {"bucket": datetime.fromtimestamp(start, UTC), **Totals(values).as_stats()}
        for start, values in zip(starts, totals, strict=True)
        if values is not None
    ]
