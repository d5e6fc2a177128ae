"""GET /api/sensors/export reads and writes in chunks, by keyset, and loses no row between them."""

from __future__ import annotations

import pytest

from sensors import selectors
from sensors.tests.export_helpers import as_csv_row, as_json, by_time, csv_rows, ndjson_rows
from sensors.tests.readings_factory import add_reading

pytestmark = pytest.mark.django_db


@pytest.fixture
def chunks_of_three(monkeypatch) -> None:
    monkeypatch.setattr(selectors, "EXPORT_CHUNK_ROWS", 3)


def test_it_sends_one_block_per_chunk(client, chunks_of_three) -> None:
    for i in range(7):
        add_reading(seconds=i)

    response = client.get("/api/sensors/export")

    blocks = list(response.streaming_content)
    # The header, then chunks of 3, 3 and 1 rows.
    assert [block.count(b"\n") for block in blocks] == [1, 3, 3, 1]


def test_rows_sharing_a_timestamp_across_a_chunk_edge_all_come_once(
    client, chunks_of_three
) -> None:
    # Eight devices at the same moment, then more: ties broken by id.
    readings = [add_reading(f"press-{d}", seconds=0) for d in range(8)]
    readings += [add_reading(f"press-{d}", seconds=1) for d in range(4)]

    response = client.get("/api/sensors/export")

    assert csv_rows(response) == [as_csv_row(r) for r in by_time(readings)]


def test_one_device_is_paged_by_its_timestamps(client, chunks_of_three) -> None:
    wanted = [add_reading("press-1", seconds=i) for i in (5, 0, 9, 2, 7, 1, 3)]
    add_reading("press-2", seconds=4)

    response = client.get("/api/sensors/export", {"device_id": "press-1", "format": "ndjson"})

    assert ndjson_rows(response) == [as_json(r) for r in by_time(wanted)]


def test_a_whole_last_chunk_ends_the_export_cleanly(client, chunks_of_three) -> None:
    readings = [add_reading(seconds=i) for i in range(6)]

    response = client.get("/api/sensors/export", {"format": "ndjson"})

    assert ndjson_rows(response) == [as_json(r) for r in readings]


def test_nothing_is_read_before_the_body_is_streamed(client, django_assert_num_queries) -> None:
    add_reading()

    with django_assert_num_queries(0):
        response = client.get("/api/sensors/export")
    with django_assert_num_queries(1):
        rows = csv_rows(response)

    assert len(rows) == 1
