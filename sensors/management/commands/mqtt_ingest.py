"""``manage.py mqtt_ingest``: subscribe, validate, store, acknowledge (CONTRACT §1-2).

A ``while not self.shutdown:`` loop of small units. paho's thread only queues
events (``sensors.mqtt``); the batching and the ack ledger are in
``sensors.ingest``; the writes in ``sensors.services``. SIGTERM/SIGINT only
set a flag: the loop then stops taking messages, writes what it has,
acknowledges it, disconnects and exits 0.
"""

from __future__ import annotations

import faulthandler
import logging
import os
import queue
import signal
import socket
import sys
import time
from datetime import UTC, datetime

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections, connections
from django.utils import timezone

from alarms.offline import offline_alarms_raise
from alarms.outbox import AlarmOutbox
from alarms.selectors import notifications_pending_counts
from alarms.webhook import WebhookSender
from control.outbox import CommandOutbox
from control.selectors import commands_pending_count
from sensors import services
from sensors.commit_order import readings_write_transaction
from sensors.ingest import Ingest, IntakeWindow
from sensors.ingest_metrics import (
    IngestMetrics,
    IngestSnapshot,
    address_text,
    metrics_server_start,
)
from sensors.mqtt import CONNECTED, DISCONNECTED, MESSAGE, PUBLISHED, MqttConnection, MqttOptions
from sensors.mqtt import shared as shared_filter
from sensors.write_errors import write_error_is_outage

logger = logging.getLogger("sensors.ingest")
#: The event on_signal queues to wake the loop; nothing else to do with it.
STOP = "stop"

IDLE_WAIT_SECONDS = 0.1  # the outbox wants a tick at least this often
# When the queue runs dry while messages are coming in, wait this long once
# for more rather than wake for each one: a wake-up per message costs both
# threads a hand-over of the interpreter lock (about a tenth of the
# throughput at 20k messages a second), and 2 ms is nothing to a batch.
GATHER_SECONDS = 0.002
SHUTDOWN_FLUSH_SECONDS = 5.0  # past this, exit without acknowledging; the broker redelivers
# A stop that has not ended this long after the signal is stuck somewhere: the
# stacks of every thread go to stderr and the process exits (status 1), well
# before systemd's TimeoutStopSec=30 would SIGKILL it without a word. Nothing
# unacknowledged is lost: the broker delivers it again.
SHUTDOWN_WATCHDOG_SECONDS = 20.0
ERROR_LOG_INTERVAL_SECONDS = 30.0
OFFLINE_CHECK_SECONDS = 5.0  # how often silent devices are looked for (offline alarms)


class Command(BaseCommand):
    help = "Consume sensor readings from MQTT and store them (runs until SIGTERM/SIGINT)."

    def handle(self, *args: object, **options: object) -> None:
        self.shutdown = False
        signal.signal(signal.SIGTERM, self.on_signal)
        signal.signal(signal.SIGINT, self.on_signal)
        # A process that runs for months keeps one connection per database;
        # close_old_connections() still replaces it once it has failed.
        for alias in connections:
            connections[alias].settings_dict["CONN_MAX_AGE"] = None
        self.setup()
        self.start_metrics_server()
        self.connection.start()
        if self.webhook is not None:
            self.webhook.start()
        while not self.shutdown:
            self.run_once()
        self.finish()

    def on_signal(self, signum: int, frame: object) -> None:
        logger.info("Received %s, finishing...", signal.Signals(signum).name)
        if not self.shutdown:
            faulthandler.dump_traceback_later(SHUTDOWN_WATCHDOG_SECONDS, exit=True, file=sys.stderr)
        self.shutdown = True
        events = getattr(self, "events", None)  # None: before setup()
        if events is not None:
            # Wake the loop. CPython 3.11's SimpleQueue.get(timeout=...) waits
            # for good when a signal handler runs past its deadline (it
            # recomputes a negative timeout, which means "forever"); only a
            # put ends that wait. put() is safe in a signal handler.
            events.put((STOP,))

    # --- set-up ------------------------------------------------------------------

    def setup(self, *, outbox: CommandOutbox | None = None) -> None:
        """Build the units from the settings (``outbox`` replaces the real one in tests)."""
        self.shutdown = getattr(self, "shutdown", False)
        self.outbox = outbox if outbox is not None else self.make_outbox()
        self.alarm_outbox = AlarmOutbox(topic_prefix=settings.ALARM_TOPIC_PREFIX)
        self.webhook = (
            WebhookSender(
                url=settings.ALARM_WEBHOOK_URL,
                secret=settings.ALARM_WEBHOOK_SECRET,
                timeout=settings.ALARM_WEBHOOK_TIMEOUT_SECONDS,
                max_backoff=settings.ALARM_WEBHOOK_MAX_BACKOFF_SECONDS,
                give_up=settings.ALARM_WEBHOOK_GIVE_UP_SECONDS,
            )
            if settings.ALARM_WEBHOOK_URL
            else None
        )
        self.next_offline_check = 0.0
        self.events: queue.SimpleQueue = queue.SimpleQueue()
        self.window = IntakeWindow(settings.INGEST_MAX_PENDING)
        answer_filter = self.outbox.ack_topic_filter if self.outbox else None
        self.ingest = Ingest(
            topic_filter=settings.SENSOR_TOPIC,
            batch_size=settings.INGEST_BATCH_SIZE,
            max_age=settings.INGEST_BATCH_MAX_AGE_MS / 1000,
            max_clock_skew_seconds=settings.MAX_CLOCK_SKEW_SECONDS,
            store=self.store,
            record=self.record,
            answer=self.outbox.on_answer if self.outbox else None,
            answer_filter=answer_filter,
            is_outage=write_error_is_outage,
        )
        group = settings.MQTT_SHARED_GROUP
        topics = [shared_filter(settings.SENSOR_TOPIC, group)]
        if answer_filter:
            topics.append(shared_filter(answer_filter, group))
        self.connection = MqttConnection(
            MqttOptions(
                host=settings.MQTT_BROKER,
                port=settings.MQTT_PORT,
                client_id=settings.MQTT_CLIENT_ID,
                topics=tuple(topics),
                protocol=settings.MQTT_PROTOCOL,
                username=settings.MQTT_USERNAME,
                password=settings.MQTT_PASSWORD,
                tls_ca=settings.MQTT_TLS_CA,
                keepalive=settings.MQTT_KEEPALIVE_SECONDS,
                session_expiry=settings.MQTT_SESSION_EXPIRY_SECONDS,
                receive_maximum=settings.INGEST_MAX_PENDING,
                reconnect_min=settings.MQTT_RECONNECT_MIN_SECONDS,
                reconnect_max=settings.MQTT_RECONNECT_MAX_SECONDS,
            ),
            events=self.events,
            window=self.window,
        )
        self.status = services.WorkerStatus(
            client_id=settings.MQTT_CLIENT_ID,
            hostname=socket.gethostname(),
            pid=os.getpid(),
            started_at=timezone.now(),
        )
        self.next_heartbeat = 0.0
        self.error_logged_at: dict[str, float] = {}
        self.metrics = IngestMetrics(self.metrics_snapshot)
        self.metrics_server = None

    def start_metrics_server(self) -> None:
        """Serve the metrics on ``INGEST_METRICS_ADDRESS`` (unless empty).

        An address that cannot be bound (a port in use: most likely a second
        worker on this host with the same setting) is a configuration error:
        one line, exit status 2, which the systemd unit does not restart.
        """
        address = settings.INGEST_METRICS_ADDRESS
        if not address:
            return
        try:
            self.metrics_server = metrics_server_start(address, self.metrics.registry)
        except OSError as error:
            sys.stderr.write(
                f"autoforge: configuration error: INGEST_METRICS_ADDRESS cannot be bound "
                f"({address_text(address)}: {error.strerror or error}); "
                "each ingest worker on a host needs an address of its own\n"
            )
            raise SystemExit(2) from None

    def metrics_snapshot(self) -> IngestSnapshot:
        """The counts the metrics server reads at scrape time (from its own thread)."""
        counters = self.ingest.counters
        return IngestSnapshot(
            received=counters.received,
            stored=counters.stored,
            duplicates=counters.duplicates,
            rejected=counters.rejected,
            pending=self.ingest.pending,
            connected=self.connection.connected,
            connections=self.connection.connections,
        )

    def make_outbox(self) -> CommandOutbox | None:
        try:
            return CommandOutbox(
                control_topic=settings.CONTROL_TOPIC, ttl_seconds=settings.COMMAND_TTL_SECONDS
            )
        except Exception:
            # Telemetry must keep flowing even if device control cannot start.
            logger.exception("Device control is unavailable: the command outbox failed to start")
            return None

    # --- the loop ------------------------------------------------------------------

    def run_once(self) -> None:
        self.take_events()
        self.write_if_due()
        self.acknowledge()
        self.tick_outbox()
        self.tick_alarms()
        self.heartbeat_if_due()

    def take_events(self) -> None:
        """Wait briefly for events, then take what is queued, up to a full batch."""
        ingest = self.ingest
        wait = IDLE_WAIT_SECONDS
        flush_at = ingest.next_flush_at()
        if flush_at is not None:
            wait = max(0.0, min(wait, flush_at - time.monotonic()))
        try:
            event = self.events.get(timeout=wait) if wait > 0 else self.events.get_nowait()
        except queue.Empty:
            return
        receive = ingest.receive
        get_nowait = self.events.get_nowait
        room = max(ingest.batch_room, 1)
        gathered = False
        while True:
            if event[0] is MESSAGE:
                receive(event[1], event[2], event[3], event[4], event[5])
                room -= 1
            else:
                self.handle_event(event)
            if room <= 0:
                return
            try:
                event = get_nowait()
            except queue.Empty:
                if gathered:
                    return
                gathered = True
                time.sleep(GATHER_SECONDS)
                try:
                    event = get_nowait()
                except queue.Empty:
                    return

    def handle_event(self, event: tuple) -> None:
        kind = event[0]
        if kind == PUBLISHED:
            mine = self.outbox is not None and self.guarded(
                "outbox.on_published", self.outbox.on_published, event[1]
            )
            if not mine:
                self.guarded("alarm_outbox.on_published", self.alarm_outbox.on_published, event[1])
        elif kind == CONNECTED:
            self.status.connected = True
            self.next_heartbeat = 0.0  # report it now
        elif kind == DISCONNECTED:
            self.status.connected = False
            self.next_heartbeat = 0.0
            if self.outbox is not None:
                self.guarded("outbox.on_disconnect", self.outbox.on_disconnect)
            self.guarded("alarm_outbox.on_disconnect", self.alarm_outbox.on_disconnect)

    def write_if_due(self) -> None:
        if self.ingest.flush_due():
            close_old_connections()
            self.ingest.flush()
            self.status.last_error = self.ingest.last_error or self.status.last_error

    def acknowledge(self) -> None:
        entries = self.ingest.releasable()
        if entries:
            self.connection.ack(entries)
            self.window.release(len(entries))

    def tick_outbox(self) -> None:
        if self.outbox is None:
            return
        publish = self.connection.publish if self.connection.connected else None
        self.guarded("outbox.tick", self.outbox.tick, publish)

    def tick_alarms(self) -> None:
        """Publish alarm events; every few seconds, raise offline alarms."""
        publish = self.connection.publish if self.connection.connected else None
        self.guarded("alarm_outbox.tick", self.alarm_outbox.tick, publish)
        now = time.monotonic()
        if now >= self.next_offline_check:
            self.next_offline_check = now + OFFLINE_CHECK_SECONDS
            self.guarded("offline alarms", self._offline_alarms_raise)

    @staticmethod
    def _offline_alarms_raise() -> None:
        close_old_connections()
        # Under the readings' lock: never for a device whose reading is being committed.
        with readings_write_transaction():
            offline_alarms_raise(
                now=timezone.now(), offline_after_seconds=settings.DEVICE_OFFLINE_AFTER_SECONDS
            )

    def heartbeat_if_due(self) -> None:
        now = time.monotonic()
        if now < self.next_heartbeat:
            return
        self.next_heartbeat = now + settings.INGEST_HEARTBEAT_SECONDS
        self.heartbeat()

    def heartbeat(self) -> None:
        counters = self.ingest.counters
        status = self.status
        status.received = counters.received
        status.stored = counters.stored
        status.duplicates = counters.duplicates
        status.rejected = counters.rejected
        status.pending = self.ingest.pending
        status.failing_since = self.ingest.failing_since
        status.connected = self.connection.connected
        self.guarded("heartbeat", self._write_heartbeat)

    def _write_heartbeat(self) -> None:
        close_old_connections()
        services.worker_heartbeat(status=self.status)
        if self.outbox is not None:
            self.metrics.commands_pending.set(commands_pending_count(now=timezone.now()))
        for channel, count in notifications_pending_counts().items():
            self.metrics.alarm_notifications_pending.labels(channel).set(count)

    def guarded(self, what: str, function, *args: object) -> object:
        """Call ``function``; log an exception (with its traceback, at most
        every 30 s per ``what``) and record it, instead of letting it end the loop."""
        try:
            return function(*args)
        except Exception as error:
            now = time.monotonic()
            if now - self.error_logged_at.get(what, -1e9) >= ERROR_LOG_INTERVAL_SECONDS:
                self.error_logged_at[what] = now
                logger.exception("%s failed", what)
            stamp = datetime.now(UTC).isoformat(timespec="seconds")
            self.status.last_error = f"{stamp} {what}: {error}"[:2000]
            if isinstance(error, DatabaseError):
                close_old_connections()
            return None

    # --- shutdown ------------------------------------------------------------------

    def finish(self) -> None:
        """Stop taking messages, write and acknowledge what was taken, disconnect."""
        self.connection.stop_intake()
        while True:  # what paho handed over before the window closed
            try:
                event = self.events.get_nowait()
            except queue.Empty:
                break
            if event[0] is MESSAGE:
                self.ingest.receive(*event[1:])
            else:
                self.handle_event(event)
        deadline = time.monotonic() + SHUTDOWN_FLUSH_SECONDS
        while self.ingest.unwritten and time.monotonic() < deadline:
            close_old_connections()
            if self.ingest.flush():
                break
            retry_at = self.ingest.next_flush_at() or time.monotonic()
            time.sleep(
                max(0.05, min(1.0, retry_at - time.monotonic(), deadline - time.monotonic()))
            )
        if self.ingest.unwritten:
            logger.warning(
                "Exiting with %d messages not written and not acknowledged; "
                "the broker delivers them again",
                self.ingest.unwritten,
            )
        self.acknowledge()
        if self.webhook is not None:
            self.webhook.stop()
        self.connection.stop()
        self.status.connected = False
        self.heartbeat()
        if self.metrics_server is not None:
            self.metrics_server.shutdown()
            self.metrics_server.server_close()
        logger.info(
            "Stopped: %d received, %d stored, %d duplicates, %d rejected",
            self.ingest.counters.received,
            self.ingest.counters.stored,
            self.ingest.counters.duplicates,
            self.ingest.counters.rejected,
        )

    # --- the writers ---------------------------------------------------------------

    def store(self, readings):
        started = time.perf_counter()
        result = services.readings_store(readings=readings)
        self.metrics.batch_committed(readings, time.perf_counter() - started)
        return result

    def record(self, rejected):
        result = services.dead_letter_record(
            rejected=rejected, max_rows=settings.DEAD_LETTER_MAX_ROWS
        )
        self.metrics.dead_letters_committed(rejected, answer_filter=self.ingest.answer_filter)
        return result
