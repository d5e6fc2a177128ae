"""The network thread of the ingest's MQTT client, on paho's external-loop API.

Why not ``loop_start()``: paho's own loop calls ``select()`` and its
keepalive bookkeeping before every packet it reads, and every packet that
another thread queues (each PUBACK the main thread sends) writes a byte to a
socket pair to wake it. At 20k messages a second those system calls are a
good part of the client's CPU. This loop waits once per burst: when the
socket turns readable it reads packet after packet (``loop_read()`` reads at
most one) for as long as each one brings a message, and the PUBACKs queued
together wake it once (paho calls ``on_socket_register_write`` only when it
goes from nothing to write to something).

It keeps what ``loop_forever()`` gives: reconnection with exponential
backoff (``reconnect_min`` doubling up to ``reconnect_max``, back to the
minimum after a successful connection), keepalive pings (``loop_misc()``),
TLS (bytes the TLS layer already holds are read without waiting). An
exception inside the loop is logged with its traceback and the connection is
made again: the thread never ends but by ``stop()``.
"""

from __future__ import annotations

import contextlib
import logging
import select
import socket
import threading
import time
from collections.abc import Callable

import paho.mqtt.client as paho
from paho.mqtt.enums import MQTTErrorCode

logger = logging.getLogger(__name__)

WAIT_SECONDS = 0.5  # the longest select(): keepalive is checked at least this often
BURST_PACKETS = 1000  # packets read between two select() calls at most


class NetworkLoop:
    """Runs one paho client's network I/O in a thread of its own.

    ``progress`` returns a number that grows with each message handed to the
    application (the burst reading goes on while it grows);
    ``on_connect_fail`` is called with the error of each failed attempt, and
    ``on_loop_error`` when an error inside the loop dropped the connection
    (paho's ``on_disconnect`` does not come then).
    """

    def __init__(
        self,
        client: paho.Client,
        *,
        reconnect_min: float,
        reconnect_max: float,
        progress: Callable[[], int],
        on_connect_fail: Callable[[BaseException], None],
        on_loop_error: Callable[[], None],
    ) -> None:
        self.client = client
        self.reconnect_min = reconnect_min
        self.reconnect_max = reconnect_max
        self._progress = progress
        self._on_connect_fail = on_connect_fail
        self._on_loop_error = on_loop_error
        self._delay: float | None = None
        self._disconnecting = False
        self._stopping = threading.Event()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        client.on_socket_register_write = self._wake
        self._thread: threading.Thread | None = None

    def start(self, name: str) -> None:
        """Connect (``connect_async()`` was called) and serve, in a new thread."""
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def connected_once(self) -> None:
        """A connection succeeded: the next failure waits ``reconnect_min`` again."""
        self._delay = None

    def disconnect(self) -> None:
        """Send DISCONNECT; the thread writes it, then stops reconnecting."""
        self._disconnecting = True
        self.client.disconnect()

    def stop(self, timeout: float = 5.0) -> None:
        """End the thread, connected or not."""
        self._stopping.set()
        self._wake()
        if self._thread is not None:
            self._thread.join(timeout)
        self.client.on_socket_register_write = None
        self._wake_r.close()
        self._wake_w.close()

    def _wake(self, *args: object) -> None:
        # BlockingIOError: woken already (the buffer is full); OSError: closed at the end.
        with contextlib.suppress(OSError):
            self._wake_w.send(b"\0")

    # --- the thread -------------------------------------------------------------

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._connect_and_serve()
            except Exception:
                logger.exception("Error in the MQTT network loop; connecting again")
                self._close()
                self._on_loop_error()
            if self._stopping.is_set() or self._disconnecting:
                return
            self._backoff()

    def _connect_and_serve(self) -> None:
        try:
            self.client.reconnect()
        except OSError as error:  # refused, unreachable, timed out, TLS handshake
            self._on_connect_fail(error)
            return
        self._serve()

    def _backoff(self) -> None:
        self._delay = (
            self.reconnect_min if self._delay is None else min(self._delay * 2, self.reconnect_max)
        )
        self._stopping.wait(self._delay)

    def _close(self) -> None:
        sock = self.client.socket()
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()

    def _serve(self) -> None:
        """Read, write and keep alive until the connection closes."""
        client = self.client
        sock = client.socket()
        wake = self._wake_r
        pending = getattr(sock, "pending", None)  # TLS: decrypted bytes select() cannot see
        misc_at = 0.0
        while client.socket() is sock and not self._stopping.is_set():
            buffered = pending is not None and pending() > 0
            wanted = [sock] if client.want_write() else []
            try:
                readable, _, _ = select.select(
                    [sock, wake], wanted, [], 0.0 if buffered else WAIT_SECONDS
                )
            except (OSError, ValueError):  # closed under us
                if client.socket() is not sock:
                    return
                raise
            if wake in readable:
                with contextlib.suppress(BlockingIOError):
                    wake.recv(4096)
            if buffered or sock in readable:
                self._read_burst(sock)
            if client.socket() is sock and client.want_write():
                client.loop_write()
            now = time.monotonic()
            if now >= misc_at and client.socket() is sock:
                client.loop_misc()
                misc_at = now + WAIT_SECONDS

    def _read_burst(self, sock: socket.socket) -> None:
        client = self.client
        progress = self._progress
        for _ in range(BURST_PACKETS):
            before = progress()
            if client.loop_read() != MQTTErrorCode.MQTT_ERR_SUCCESS or client.socket() is not sock:
                return
            if progress() == before:
                return  # no whole message came: the socket is drained, or holds a part
