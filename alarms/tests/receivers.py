"""What the alarm tests listen with: an MQTT subscriber and a webhook receiver."""

from __future__ import annotations

import json
import queue
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from conftest import free_port


class AlarmSubscriber:
    """Collects what is published on ``alarms/#``."""

    def __init__(self, broker) -> None:
        self.messages: queue.Queue[tuple[str, dict, int, bool]] = queue.Queue()
        subscribed = threading.Event()
        self.client = paho.Client(CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
        self.client.on_connect = lambda client, *args: client.subscribe("alarms/#", qos=1)
        self.client.on_subscribe = lambda *args: subscribed.set()
        self.client.on_message = lambda client, userdata, message: self.messages.put(
            (message.topic, json.loads(message.payload), message.qos, message.retain)
        )
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()
        if not subscribed.wait(10):
            raise AssertionError("the alarm subscriber could not subscribe")

    def next(self, timeout: float = 30.0) -> tuple[str, dict, int, bool]:
        return self.messages.get(timeout=timeout)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class WebhookReceiver:
    """An HTTP receiver on a port that can be closed (down), slow, failing or fine.

    ``mode`` is "ok", "slow" (answers 200 after ``slow_seconds``) or "error"
    (500). Every POST is kept: (mode, headers with lower-case names, body).
    """

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/alarms"
        self.mode = "ok"
        self.slow_seconds = 3.0
        self.posts: list[tuple[str, dict[str, str], bytes]] = []
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                mode = receiver.mode
                receiver.posts.append((mode, {k.lower(): v for k, v in self.headers.items()}, body))
                if mode == "slow":
                    time.sleep(receiver.slow_seconds)
                self.send_response(500 if mode == "error" else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
