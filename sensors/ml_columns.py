"""ml-data's columns: the newest readings as numpy arrays, read the cheapest way per database.

At 100,000 rows ml-data's time goes on Python objects, not on the query: a
tuple per row and an object per value cost the driver, Django and numpy
several times what the database spends finding the rows (issue 9). So:

- PostgreSQL writes each column as one ``bytea``: the values' binary forms
  (``float8send``, ``timestamptz_send``, ``int8send``) end to end, which
  numpy reads as a big-endian array. The whole page is one row; its
  aggregates read the page's rows in one pass, so the columns line up.
- SQLite and MariaDB have no such functions: their rows come through a bare
  cursor (no Django iterator), the metrics gathered into arrays by
  ``numpy.fromiter`` and the timestamps, as text, parsed by numpy at once.
- For one device ``device_id`` is not read at all: every row has that id.
"""

from __future__ import annotations

from datetime import datetime
from operator import itemgetter

import numpy as np
from django.db import connection
from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast

from sensors.selectors import (
    datetime64_utc,
    readings_filtered,
    readings_newest_first,
    rows_fetch,
)
from sensors.validation import METRICS

METRIC_COLUMNS = ("temperatures", "vibrations", "gases", "powers")
# PostgreSQL's binary timestamps count microseconds from 2000-01-01 UTC.
_POSTGRESQL_EPOCH = np.datetime64("2000-01-01T00:00:00", "us")


def readings_ml_columns(
    *,
    device_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 1000,
) -> dict[str, np.ndarray]:
    """The newest ``limit`` readings as equal-length numpy columns, oldest first.

    Keys: ``timestamps`` (``datetime64[us]``, UTC, naive as numpy has no time
    zones), ``temperatures``, ``vibrations``, ``gases``, ``powers``
    (``float64``) and ``device_ids`` (fixed-width unicode). Every array is
    C-contiguous in native byte order, which orjson writes directly.
    """
    readings = readings_filtered(device_id=device_id, since=since, until=until)
    page = readings_newest_first(readings, device_id=device_id)[:limit]
    with_device_ids = device_id is None
    if connection.vendor == "postgresql":
        columns = _postgresql_columns(page, with_device_ids=with_device_ids)
    else:
        columns = _row_columns(page, with_device_ids=with_device_ids)
    if not with_device_ids:
        columns["device_ids"] = np.full(len(columns["timestamps"]), device_id)
    return columns


def _postgresql_columns(page: QuerySet, *, with_device_ids: bool) -> dict[str, np.ndarray]:
    """The page as PostgreSQL's binary values, one ``bytea`` a column (see the module)."""
    sql, params = page.values_list("id", "timestamp", *METRICS, "device_id").query.sql_with_params()
    quote = connection.ops.quote_name
    aggregates = [
        f"string_agg(int8send(page.{quote('id')}), ''::bytea)",
        f"string_agg(timestamptz_send(page.{quote('timestamp')}), ''::bytea)",
        *(f"string_agg(float8send(page.{quote(metric)}), ''::bytea)" for metric in METRICS),
    ]
    if with_device_ids:
        # An array, not joined text: the driver splits it, whatever an id holds.
        aggregates.append(f"array_agg(page.{quote('device_id')})")
    (row,) = rows_fetch(f"SELECT {', '.join(aggregates)} FROM ({sql}) page", params)
    if row[0] is None:  # no reading: the aggregates of no rows are NULL
        return _empty_columns()
    ids = np.frombuffer(row[0], dtype=">i8")
    micros = np.frombuffer(row[1], dtype=">i8").astype(np.int64)
    order = oldest_first_order(micros, ids)
    columns = {
        "timestamps": micros[order].astype("timedelta64[us]") + _POSTGRESQL_EPOCH,
        **{
            name: np.ascontiguousarray(np.frombuffer(values, dtype=">f8")[order], dtype=np.float64)
            for name, values in zip(METRIC_COLUMNS, row[2:6], strict=True)
        },
    }
    if with_device_ids:
        columns["device_ids"] = np.ascontiguousarray(np.array(row[6], dtype=np.str_)[order])
    return columns


def oldest_first_order(timestamps: np.ndarray, ids: np.ndarray) -> slice | np.ndarray:
    """What puts a page read newest first (``timestamps``, ties by ``ids``) oldest first.

    An aggregate reads its rows in the order the subquery gives them, and
    every plan PostgreSQL makes for this one gives them newest first; SQL
    does not promise it, though. So the order is checked (one pass, about a
    millisecond for 100,000 rows): a reversal when it holds, a sort when not.
    """
    earlier, later = slice(None, -1), slice(1, None)
    newer_first = (timestamps[earlier] > timestamps[later]) | (
        (timestamps[earlier] == timestamps[later]) & (ids[earlier] > ids[later])
    )
    if newer_first.all():
        return slice(None, None, -1)
    return np.lexsort((ids, timestamps))


def _row_columns(page: QuerySet, *, with_device_ids: bool) -> dict[str, np.ndarray]:
    """The page as rows on a bare cursor, gathered into columns (see the module)."""
    fields = [*METRICS, "device_id"] if with_device_ids else list(METRICS)
    # Model fields first, the annotation last: the order of Django's SELECT.
    texts = page.annotate(timestamp_text=Cast("timestamp", TextField())).values_list(
        *fields, "timestamp_text"
    )
    rows = rows_fetch(*texts.query.sql_with_params())[::-1]
    if not rows:
        return _empty_columns()
    count = len(rows)
    columns = {
        name: np.fromiter(map(itemgetter(index), rows), dtype=np.float64, count=count)
        for index, name in enumerate(METRIC_COLUMNS)
    }
    columns["timestamps"] = datetime64_utc([row[-1] for row in rows])
    if with_device_ids:
        columns["device_ids"] = np.array([row[4] for row in rows], dtype=np.str_)
    return columns


def _empty_columns() -> dict[str, np.ndarray]:
    return {
        "timestamps": np.array([], dtype="datetime64[us]"),
        **{name: np.array([], dtype=np.float64) for name in METRIC_COLUMNS},
        "device_ids": np.array([], dtype=np.str_),
    }
