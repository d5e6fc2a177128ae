"""``manage.py simulate_devices``: publish realistic readings of simulated machines (CONTRACT §1).

Thin: the machines are ``sensors.simulation`` (pure), the MQTT publisher
``sensors.simulation_mqtt``. SIGTERM/SIGINT only set a flag; the loop then
stops, waits briefly for the broker's outstanding PUBACKs and prints a summary.
"""

from __future__ import annotations

import random
import signal
import sys
import time
from argparse import ArgumentParser, ArgumentTypeError
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from tqdm import tqdm

from sensors.simulation import DEFAULT_ANOMALY_RATE, Fleet, sensor_topic
from sensors.simulation_mqtt import PublisherOptions, ReadingPublisher

SLEEP_SLICE_SECONDS = 0.2  # a signal is seen within this
DRAIN_SECONDS = 10.0  # how long to wait for the last PUBACKs


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ArgumentTypeError("must be at least 1")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0 or value == float("inf"):
        raise ArgumentTypeError("must be a positive number of seconds")
    return value


def _probability(text: str) -> float:
    value = float(text)
    if not 0 < value <= 1:
        raise ArgumentTypeError("must be above 0 and at most 1")
    return value


class Command(BaseCommand):
    help = "Publish realistic readings of simulated devices to the broker (until SIGINT/SIGTERM)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--devices", type=_positive_int, default=5, help="devices (5)")
        parser.add_argument(
            "--interval",
            type=_positive_float,
            default=1.0,
            help="seconds between two readings of one device (1.0)",
        )
        parser.add_argument(
            "--count",
            type=_positive_int,
            default=None,
            help="readings per device, then stop (default: until SIGINT/SIGTERM)",
        )
        parser.add_argument(
            "--seed", type=int, default=None, help="same seed, same readings (default: random)"
        )
        parser.add_argument(
            "--anomalies",
            action="store_true",
            help="now and then inject a temperature excursion, a vibration burst or a gas leak",
        )
        parser.add_argument(
            "--anomaly-rate",
            type=_probability,
            default=DEFAULT_ANOMALY_RATE,
            help=f"with --anomalies: chance per reading and device ({DEFAULT_ANOMALY_RATE})",
        )

    def handle(self, *args: object, **options: object) -> None:
        self.shutdown = False
        signal.signal(signal.SIGTERM, self.on_signal)
        signal.signal(signal.SIGINT, self.on_signal)
        devices: int = options["devices"]
        interval: float = options["interval"]
        count: int | None = options["count"]
        seed: int = options["seed"] if options["seed"] is not None else random.randrange(10**6)
        anomaly_rate = options["anomaly_rate"] if options["anomalies"] else 0.0
        fleet = Fleet(devices, seed=seed, anomaly_rate=anomaly_rate)
        publisher = ReadingPublisher(
            PublisherOptions(
                host=settings.MQTT_BROKER,
                port=settings.MQTT_PORT,
                protocol=settings.MQTT_PROTOCOL,
                username=settings.MQTT_USERNAME,
                password=settings.MQTT_PASSWORD,
                tls_ca=settings.MQTT_TLS_CA,
            )
        )
        progress = tqdm(
            total=devices * count if count else None,
            unit="reading",
            disable=options["verbosity"] == 0 or not sys.stderr.isatty(),
            file=sys.stderr,
        )
        self.stderr.write(
            f"Simulating {devices} devices (seed {seed}), a reading each every {interval:g} s, "
            f"to {settings.MQTT_BROKER}:{settings.MQTT_PORT}"
        )
        started = time.monotonic()
        anomalies = 0
        publisher.start()
        try:
            ticks = 0
            next_at = time.monotonic()
            while not self.shutdown and (count is None or ticks < count):
                for reading in fleet.readings_at(self.next_timestamp()):
                    topic = sensor_topic(settings.SENSOR_TOPIC, reading.device_id)
                    if not publisher.publish(
                        topic, reading.payload(), should_stop=lambda: self.shutdown
                    ):
                        break
                    anomalies += reading.anomaly is not None
                    progress.update(1)
                ticks += 1
                if count is None or ticks < count:
                    next_at = max(next_at + interval, time.monotonic() - interval)
                    self.sleep_until(next_at)
            publisher.drain(timeout=DRAIN_SECONDS)
        finally:
            progress.close()
            publisher.close()
        missing = publisher.sent - publisher.acknowledged
        self.stdout.write(
            f"Sent {publisher.sent} readings of {devices} devices, "
            f"{publisher.acknowledged} acknowledged by the broker"
            + (f" ({missing} not acknowledged)" if missing else "")
            + (f", {anomalies} of them anomalous" if anomaly_rate else "")
            + f", in {time.monotonic() - started:.1f} s (seed {seed})."
        )

    def on_signal(self, signum: int, frame: object) -> None:
        self.stderr.write(f"Received {signal.Signals(signum).name}, finishing...")
        self.shutdown = True

    def next_timestamp(self) -> datetime:
        """Now, in UTC, and always after the previous one: a reading is stored
        once per (device_id, timestamp)."""
        now = datetime.now(UTC)
        previous = getattr(self, "_previous_timestamp", None)
        if previous is not None and now <= previous:
            now = previous + timedelta(microseconds=1)
        self._previous_timestamp = now
        return now

    def sleep_until(self, moment: float) -> None:
        """Sleep until ``moment`` (monotonic) in slices, so a signal is seen at once."""
        while not self.shutdown:
            remaining = moment - time.monotonic()
            if remaining <= 0:
                return
            time.sleep(min(SLEEP_SLICE_SECONDS, remaining))
