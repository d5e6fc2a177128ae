"""Fetched readings (``sensors.selectors.ReadingRows``) written as the API's shapes.

A reading is ``{"id", "device_id", "temperature", "vibration", "gas",
"power", "timestamp", "created_at"}`` (CONTRACT §3), its date-times ISO 8601
UTC with microseconds, as :func:`autoforge.timefmt.iso_utc` writes them. Here
the date-times are converted a column at a time (numpy), so a row costs a
string format or a dict, never a date-time object.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

import numpy as np
import orjson

from sensors.selectors import READING_FIELDS, ReadingRows

EXPORT_FORMATS = ("csv", "ndjson")
EXPORT_CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "ndjson": "application/x-ndjson",
}
CSV_HEADER = (",".join(READING_FIELDS) + "\n").encode()
_CSV_SPECIAL = frozenset(',"\r\n')


def iso_strings(timestamps: np.ndarray) -> list[str]:
    """``datetime64[us]`` (naive UTC) as ``2026-01-29T14:30:45.123456Z``, in one pass."""
    return np.datetime_as_string(timestamps, unit="us", timezone="UTC").tolist()


def _rows(chunk: ReadingRows) -> Iterator[tuple]:
    """``(row, timestamp, created_at)``: each fetched row with its two ISO strings."""
    return zip(
        chunk.rows, iso_strings(chunk.timestamps), iso_strings(chunk.created_at), strict=True
    )


def reading_dicts(chunk: ReadingRows) -> list[dict]:
    """The readings as the API's reading objects, in fetched order."""
    return [
        {
            "id": reading_id,
            "device_id": device_id,
            "temperature": temperature,
            "vibration": vibration,
            "gas": gas,
            "power": power,
            "timestamp": timestamp,
            "created_at": created_at,
        }
        for (
            reading_id,
            device_id,
            temperature,
            vibration,
            gas,
            power,
            *_,
        ), timestamp, created_at in (_rows(chunk))
    ]


def csv_block(chunk: ReadingRows) -> bytes:
    """The readings as CSV lines (no header), one bytes block.

    Formatted by an f-string rather than the csv module, at twice its speed: only a
    device id can need quoting (the rest are numbers and ISO date-times), and
    a chunk holding one that does goes through the csv module.
    """
    device_ids = {row[1] for row in chunk.rows}
    if any(_CSV_SPECIAL.intersection(device_id) for device_id in device_ids):
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(
            (*row[:6], timestamp, created_at) for row, timestamp, created_at in _rows(chunk)
        )
        text = buffer.getvalue()
    else:
        text = "".join(
            [
                f"{i},{d},{t!r},{v!r},{g!r},{p!r},{timestamp},{created_at}\n"
                for (i, d, t, v, g, p, _, _), timestamp, created_at in _rows(chunk)
            ]
        )
    # A lone surrogate (a device id SQLite or MariaDB kept) cannot be UTF-8.
    return text.encode("utf-8", "replace")


def ndjson_block(chunk: ReadingRows) -> bytes:
    """The readings as newline-delimited JSON objects, one bytes block."""
    dumps = orjson.dumps
    return b"".join([dumps(reading) + b"\n" for reading in reading_dicts(chunk)])


def export_blocks(chunks: Iterable[ReadingRows], *, file_format: str) -> Iterator[bytes]:
    """The body of an export: the CSV header (even with no rows), then a block per chunk."""
    if file_format == "csv":
        yield CSV_HEADER
        for chunk in chunks:
            yield csv_block(chunk)
    else:
        for chunk in chunks:
            yield ndjson_block(chunk)
