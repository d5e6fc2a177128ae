"""The ingest's metrics without a broker: the registry, the reasons, the server."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import generate_latest

from autoforge.tests.prometheus_text import sample_value, scrape
from sensors.ingest import _could_not_store
from sensors.ingest_metrics import (
    DEAD_LETTER_REASONS,
    IngestMetrics,
    IngestSnapshot,
    dead_letter_reason,
    metrics_server_start,
)
from sensors.messages import RejectedMessage
from sensors.validation import Reading

NOW = datetime(2026, 11, 30, tzinfo=UTC)


def snapshot(**changes) -> IngestSnapshot:
    values = dict(
        received=10, stored=6, duplicates=1, rejected=3, pending=2, connected=True, connections=3
    )
    values.update(changes)
    return IngestSnapshot(**values)


def text(metrics: IngestMetrics) -> str:
    return generate_latest(metrics.registry).decode()


def rejected(topic: str, reason: str) -> RejectedMessage:
    return RejectedMessage(topic, b"{}", reason, NOW)


def test_the_counts_come_from_the_snapshot_taken_at_scrape_time() -> None:
    current = {"snapshot": snapshot()}
    metrics = IngestMetrics(lambda: current["snapshot"])
    first = text(metrics)
    current["snapshot"] = snapshot(received=11, connected=False)
    second = text(metrics)

    assert sample_value(first, "autoforge_ingest_messages_received_total") == 10
    assert sample_value(first, "autoforge_ingest_readings_stored_total") == 6
    assert sample_value(first, "autoforge_ingest_duplicates_total") == 1
    assert sample_value(first, "autoforge_ingest_rejected_total") == 3
    assert sample_value(first, "autoforge_ingest_pending_messages") == 2
    assert sample_value(first, "autoforge_mqtt_connected") == 1
    assert sample_value(first, "autoforge_mqtt_reconnects_total") == 2
    assert sample_value(second, "autoforge_ingest_messages_received_total") == 11
    assert sample_value(second, "autoforge_mqtt_connected") == 0


def test_no_reconnect_is_counted_before_the_first_connection() -> None:
    metrics = IngestMetrics(lambda: snapshot(connections=0, connected=False))

    assert sample_value(text(metrics), "autoforge_mqtt_reconnects_total") == 0


def test_every_dead_letter_reason_is_there_from_the_start_at_zero() -> None:
    metrics = IngestMetrics(snapshot)

    for reason in DEAD_LETTER_REASONS:
        assert (
            sample_value(text(metrics), "autoforge_ingest_dead_letters_total", reason=reason) == 0
        )


def test_a_committed_batch_is_timed_once_and_each_reading_s_lag_observed() -> None:
    metrics = IngestMetrics(snapshot)
    recent = datetime.now(UTC) - timedelta(seconds=2)
    readings = [Reading("dev-1", 1.0, 1.0, 1.0, 1.0, recent) for _ in range(3)]

    metrics.batch_committed(readings, 0.02)
    metrics.batch_committed(readings[:1], 0.5)

    exposed = text(metrics)
    assert sample_value(exposed, "autoforge_ingest_batch_write_seconds_count") == 2
    assert sample_value(exposed, "autoforge_ingest_batch_write_seconds_sum") == pytest.approx(0.52)
    assert sample_value(exposed, "autoforge_ingest_commit_lag_seconds_count") == 4
    assert sample_value(exposed, "autoforge_ingest_commit_lag_seconds_bucket", le="1.0") == 0
    assert sample_value(exposed, "autoforge_ingest_commit_lag_seconds_bucket", le="5.0") == 4


def test_a_reading_from_a_clock_ahead_counts_as_no_lag() -> None:
    metrics = IngestMetrics(snapshot)
    ahead = datetime.now(UTC) + timedelta(hours=1)

    metrics.batch_committed([Reading("dev-1", 1.0, 1.0, 1.0, 1.0, ahead)], 0.01)

    assert sample_value(text(metrics), "autoforge_ingest_commit_lag_seconds_sum") == 0


@pytest.mark.parametrize(
    ("topic", "reason", "answer_filter", "expected"),
    [
        ("sensors/d/data", "missing 'gas'", "control/+/ack", "invalid_reading"),
        ("control/d/ack", "bad id", "control/+/ack", "invalid_answer"),
        ("control/d/ack", _could_not_store(ValueError("too long")), "control/+/ack", "unstorable"),
        ("sensors/d/data", _could_not_store(ValueError("too long")), None, "unstorable"),
        ("control/d/ack", "bad id", None, "invalid_reading"),
    ],
)
def test_a_dead_letter_reason_is_one_of_a_fixed_few_never_the_message_s_text(
    topic, reason, answer_filter, expected
) -> None:
    message = rejected(topic, reason)

    assert dead_letter_reason(message, answer_filter=answer_filter) == expected


def test_dead_letters_are_counted_by_reason() -> None:
    metrics = IngestMetrics(snapshot)

    metrics.dead_letters_committed(
        [rejected("sensors/d/data", "x"), rejected("sensors/e/data", "y")],
        answer_filter="control/+/ack",
    )
    metrics.dead_letters_committed([rejected("control/d/ack", "z")], answer_filter="control/+/ack")

    exposed = text(metrics)
    name = "autoforge_ingest_dead_letters_total"
    assert sample_value(exposed, name, reason="invalid_reading") == 2
    assert sample_value(exposed, name, reason="invalid_answer") == 1
    assert sample_value(exposed, name, reason="unstorable") == 0
    assert "sensors/d/data" not in exposed


def test_the_server_serves_the_registry_at_slash_metrics() -> None:
    metrics = IngestMetrics(snapshot)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = metrics_server_start(("127.0.0.1", port), metrics.registry)
    try:
        exposed = scrape(f"http://127.0.0.1:{port}/metrics")
    finally:
        server.shutdown()
        server.server_close()

    assert sample_value(exposed, "autoforge_ingest_messages_received_total") == 10
    assert sample_value(exposed, "process_resident_memory_bytes") is not None


def test_the_server_cannot_start_on_a_port_in_use() -> None:
    metrics = IngestMetrics(snapshot)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(OSError, match="in use"):
            metrics_server_start(busy.getsockname(), metrics.registry)
