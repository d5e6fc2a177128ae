"""The ingest's Prometheus metrics, served at ``http://INGEST_METRICS_ADDRESS/metrics``.

Each ingest process has a registry of its own (the web's multiprocess files
are not involved). What the ingest already counts for its heartbeat
(``sensors.ingest.Counters``, the pending messages, the connection) is read
at scrape time through :class:`IngestSnapshot`, so the metrics and
``/api/health`` always agree and the hot path gains nothing. What has no
counter elsewhere (write times, lag, dead letters by reason, the outbox) is
recorded here by the command's writers.

No label carries a device id or any text from a message: the dead-letter
reason is one of :data:`DEAD_LETTER_REASONS`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from sensors.ingest import COULD_NOT_STORE, topic_matches
from sensors.messages import RejectedMessage
from sensors.validation import Reading

logger = logging.getLogger(__name__)

#: Why a message was dead-lettered: an invalid reading, a device's answer to a
#: command that does not count, or a message the database refused 3 times.
DEAD_LETTER_REASONS = ("invalid_reading", "invalid_answer", "unstorable")

BATCH_WRITE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
# From a device's clock to the commit: batching adds ~0.1 s; minutes mean a
# backlog (or a device clock that is off).
COMMIT_LAG_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600)


@dataclass(frozen=True, slots=True)
class IngestSnapshot:
    """The ingest's own counts at one moment (the same as its heartbeat reports)."""

    received: int
    stored: int
    duplicates: int
    rejected: int
    pending: int
    connected: bool
    connections: int  # successful connections so far: the first and every reconnect


_RECEIVED = "MQTT messages taken from the broker."
_STORED = "Readings committed to the database."
_DUPLICATES = "Readings not stored twice: same device, same timestamp."
_REJECTED = "Messages dead-lettered: invalid, or refused by the database."


class _SnapshotCollector(Collector):
    """Turns an :class:`IngestSnapshot` taken at scrape time into metric families."""

    def __init__(self, snapshot: Callable[[], IngestSnapshot]) -> None:
        self._snapshot = snapshot

    def collect(self) -> Iterator[Metric]:
        now = self._snapshot()
        for name, documentation, value in (
            ("messages_received", _RECEIVED, now.received),
            ("readings_stored", _STORED, now.stored),
            ("duplicates", _DUPLICATES, now.duplicates),
            ("rejected", _REJECTED, now.rejected),
        ):
            yield CounterMetricFamily(f"autoforge_ingest_{name}", documentation, value=value)
        yield GaugeMetricFamily(
            "autoforge_ingest_pending_messages",
            "Messages taken but not yet acknowledged to the broker.",
            value=now.pending,
        )
        yield GaugeMetricFamily(
            "autoforge_mqtt_connected", "1 while connected to the broker.", value=int(now.connected)
        )
        yield CounterMetricFamily(
            "autoforge_mqtt_reconnects",
            "Connections to the broker after the first one.",
            value=max(0, now.connections - 1),
        )


class IngestMetrics:
    """The metrics of one ingest process, in a registry of its own."""

    def __init__(self, snapshot: Callable[[], IngestSnapshot]) -> None:
        self.registry = CollectorRegistry()
        self.registry.register(_SnapshotCollector(snapshot))
        ProcessCollector(registry=self.registry)  # memory, CPU, open files, start time
        self.batch_write_seconds = Histogram(
            "autoforge_ingest_batch_write_seconds",
            "Time to commit one batch of readings.",
            buckets=BATCH_WRITE_BUCKETS,
            registry=self.registry,
        )
        self.commit_lag_seconds = Histogram(
            "autoforge_ingest_commit_lag_seconds",
            "From a reading's own timestamp to the commit of its batch.",
            buckets=COMMIT_LAG_BUCKETS,
            registry=self.registry,
        )
        self.dead_letters = Counter(
            "autoforge_ingest_dead_letters",
            "Messages written to the dead-letter table, by reason.",
            ["reason"],
            registry=self.registry,
        )
        for reason in DEAD_LETTER_REASONS:
            self.dead_letters.labels(reason)  # every series from the start, at 0
        self.commands_pending = Gauge(
            "autoforge_control_commands_pending",
            "Commands waiting to be published (the outbox, shared by every worker).",
            registry=self.registry,
        )

        self.alarm_notifications_pending = Gauge(
            "autoforge_alarm_notifications_pending",
            "Alarm notifications not delivered yet, by channel (shared by every worker).",
            ["channel"],
            registry=self.registry,
        )
        for channel in ("mqtt", "webhook"):
            self.alarm_notifications_pending.labels(channel)  # both series from the start

    def batch_committed(self, readings: Sequence[Reading], seconds: float) -> None:
        """Record one committed ``readings_store`` call that took ``seconds``."""
        self.batch_write_seconds.observe(seconds)
        now = time.time()
        observe = self.commit_lag_seconds.observe
        for reading in readings:
            observe(max(0.0, now - reading.timestamp.timestamp()))

    def dead_letters_committed(
        self, messages: Sequence[RejectedMessage], *, answer_filter: str | None
    ) -> None:
        """Count dead letters just written, each under its reason."""
        for message in messages:
            self.dead_letters.labels(dead_letter_reason(message, answer_filter=answer_filter)).inc()


def dead_letter_reason(message: RejectedMessage, *, answer_filter: str | None) -> str:
    """Which of :data:`DEAD_LETTER_REASONS` ``message`` was dead-lettered for."""
    if message.reason.startswith(COULD_NOT_STORE):
        return "unstorable"
    if answer_filter and topic_matches(answer_filter, message.topic):
        return "invalid_answer"
    return "invalid_reading"


def metrics_server_start(address: tuple[str, int], registry: CollectorRegistry) -> WSGIServer:
    """Serve ``registry`` on ``address`` from a daemon thread; OSError when it cannot bind."""
    host, port = address
    server, _ = start_http_server(port, addr=host, registry=registry)
    logger.info("Serving metrics at http://%s/metrics", address_text(address))
    return server


def address_text(address: tuple[str, int]) -> str:
    """``host:port`` as written in a URL (``[::1]:9108`` for IPv6)."""
    host, port = address
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
