"""iso_utc_json_array writes numpy timestamps as iso_utc writes each one, in a JSON array."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from autoforge.timefmt import iso_utc, iso_utc_json_array

moments = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59))


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.lists(moments, max_size=40))
def test_each_element_is_what_iso_utc_writes(values: list[datetime]) -> None:
    timestamps = np.array(values, dtype="datetime64[us]")

    written = iso_utc_json_array(timestamps)

    assert json.loads(written) == [iso_utc(value.replace(tzinfo=UTC)) for value in values]


def test_whole_seconds_single_microseconds_and_the_edges_of_the_range() -> None:
    timestamps = np.array(
        [
            "2026-01-29T14:30:45",
            "2026-01-29T14:30:45.000001",
            "1969-12-31T23:59:59.999999",
            "2000-02-29T00:00:00.5",
            "0001-01-01T00:00:00",
            "9999-12-31T23:59:59.999999",
        ],
        dtype="datetime64[us]",
    )

    assert iso_utc_json_array(timestamps) == (
        b'["2026-01-29T14:30:45.000000Z","2026-01-29T14:30:45.000001Z",'
        b'"1969-12-31T23:59:59.999999Z","2000-02-29T00:00:00.500000Z",'
        b'"0001-01-01T00:00:00.000000Z","9999-12-31T23:59:59.999999Z"]'
    )


def test_coarser_units_are_written_with_microseconds_too() -> None:
    timestamps = np.array(["2026-01-29T14:30:45"], dtype="datetime64[s]")

    assert iso_utc_json_array(timestamps) == b'["2026-01-29T14:30:45.000000Z"]'


def test_no_timestamp_is_an_empty_array() -> None:
    assert iso_utc_json_array(np.array([], dtype="datetime64[us]")) == b"[]"
