"""Run ``manage.py mqtt_ingest`` as a real process against the test broker and database."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

PROJECT_DIR = Path(__file__).resolve().parents[2]
BASE_TIME = datetime(2026, 1, 1, tzinfo=UTC)


def reading_payload(number: int, *, device_id: str = "dev-1", **changes) -> bytes:
    """A valid reading; ``number`` makes its timestamp (and so its key) unique."""
    document = {
        "temperature": 20.0 + number % 10,
        "vibration": 1.0,
        "gas": 400.0,
        "power": 200.0,
        "timestamp": (BASE_TIME + timedelta(milliseconds=number)).isoformat(),
    }
    document.update(changes)
    return json.dumps(document).encode()


def wait_until(predicate: Callable[[], object], *, timeout: float = 30.0, what: str = "") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")


class IngestProcess:
    """One ``mqtt_ingest`` process; its output goes to a log file the tests read."""

    #: Unless ``env`` says otherwise: frequent heartbeats, quick reconnects.
    DEFAULTS = {
        "INGEST_HEARTBEAT_SECONDS": "1",
        "MQTT_RECONNECT_MIN_SECONDS": "1",
        "MQTT_RECONNECT_MAX_SECONDS": "2",
        "LOG_LEVEL": "INFO",
    }

    def __init__(self, env: dict[str, str], log_path: Path, **settings: object) -> None:
        self.env = {**self.DEFAULTS, **env}
        self.env.update({key: str(value) for key, value in settings.items()})
        self.log_path = log_path
        self.process: subprocess.Popen | None = None
        self._offset = 0

    def start(self, *, wait_subscribed: bool = True) -> IngestProcess:
        self._offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "mqtt_ingest"],
            cwd=PROJECT_DIR,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        if wait_subscribed:
            self.wait_for_log("Subscribed to")
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[self._offset :]

    def wait_for_log(self, text: str, *, timeout: float = 30.0) -> None:
        def seen() -> bool:
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(
                    f"mqtt_ingest exited ({self.process.returncode}):\n{self.log()}"
                )
            return text in self.log()

        wait_until(seen, timeout=timeout, what=f"{text!r} in the ingest's log")

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def terminate(self, *, timeout: float = 30.0) -> int:
        """SIGTERM, then the exit code; a process still running after
        ``timeout`` seconds is killed and the test fails with its log."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
            message = f"mqtt_ingest did not exit within {timeout:.0f} s of SIGTERM"
            raise AssertionError(f"{message}:\n{self.log()[-20000:]}") from None

    def stop(self, *, timeout: float = 15.0) -> int | None:
        """SIGTERM, then SIGKILL if it has not exited within ``timeout``; its exit code."""
        process, self.process = self.process, None
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                return process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        return process.returncode

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def rss_kib(self) -> int:
        status = Path(f"/proc/{self.pid}/status").read_text()
        line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
        return int(line.split()[1])


class Publisher:
    """A QoS 1 publisher that waits until the broker has every message."""

    def __init__(self, host: str, port: int, *, client_id: str = "") -> None:
        self.client = paho.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv5
        )
        self.client.max_inflight_messages_set(0)
        self.connected = threading.Event()
        self.client.on_connect = lambda *args: self.connected.set()
        self.client.connect(host, port)
        self.client.loop_start()
        if not self.connected.wait(10):
            raise AssertionError("publisher could not connect")

    def publish(self, messages: Iterable[tuple[str, bytes]], *, timeout: float = 60.0) -> int:
        infos = [self.client.publish(topic, payload, qos=1) for topic, payload in messages]
        deadline = time.monotonic() + timeout
        for info in infos:
            info.wait_for_publish(max(0.1, deadline - time.monotonic()))
            assert info.is_published(), "the broker did not acknowledge every publish"
        return len(infos)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def readings(count: int, *, start: int = 0, device_id: str = "dev-1") -> list[tuple[str, bytes]]:
    return [
        (f"sensors/{device_id}/data", reading_payload(number, device_id=device_id))
        for number in range(start, start + count)
    ]


def start_ingest(
    request, env: dict[str, str], log_path: Path, *, wait_subscribed: bool = True, **settings
) -> IngestProcess:
    """Start an ingest process that the test's teardown kills if it still runs."""
    process = IngestProcess(env, log_path, **settings)
    request.addfinalizer(process.kill)
    return process.start(wait_subscribed=wait_subscribed)


def open_publisher(request, broker) -> Publisher:
    publisher = Publisher(broker.host, broker.port)
    request.addfinalizer(publisher.close)
    return publisher
