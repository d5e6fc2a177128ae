"""Alarm notifications POSTed to ``ALARM_WEBHOOK_URL``, signed, from their outbox.

``WebhookSender`` runs on its own thread in ``mqtt_ingest``: a slow or dead
receiver delays only the notifications, never the storing of readings.
Notifications go out one at a time in id order (a receiver sees a raise
before its clear); the head of the queue is retried with exponential backoff
(1 s, 2 s, 4 s, ... at most ``max_backoff`` apart) until it is delivered or
``give_up`` seconds after it was made. Every try is recorded (``WebhookAttempt``).
With several ingest workers, a conditional UPDATE (a claim with a lease) lets
one of them post the head at a time.

The body is the ``<alarm>`` JSON; ``X-AutoForge-Signature: sha256=<hex>`` is
HMAC-SHA256 of the exact body bytes under ``ALARM_WEBHOOK_SECRET``;
``X-AutoForge-Delivery`` is the notification's id, the same on every retry,
so that a receiver can drop a repeat (delivery is at least once: a receiver
that stored a POST but answered too late gets it again).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import close_old_connections, connection
from django.db.models import F, Q
from django.utils import timezone

from alarms.models import AlarmNotification, WebhookAttempt

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-AutoForge-Signature"
IDLE_SECONDS = 1.0
ERROR_PAUSE_SECONDS = 5.0


def signature(secret: str, body: bytes) -> str:
    """The value of ``X-AutoForge-Signature`` for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class PostResult:
    status_code: int | None
    error: str
    duration_ms: int

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def post(
    url: str, body: bytes, *, secret: str, timeout: float, headers: dict[str, str]
) -> PostResult:
    """POST ``body`` signed; what came of it (never raises for a network error)."""
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "AutoForge-alarms",
            SIGNATURE_HEADER: signature(secret, body),
            **headers,
        },
    )
    started = time.monotonic()
    status, error = None, ""
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status = response.status
    except urllib.error.HTTPError as failure:
        status, error = failure.code, f"HTTP {failure.code}"
    except (urllib.error.URLError, OSError, ValueError) as failure:
        reason = getattr(failure, "reason", failure)
        error = f"{type(failure).__name__}: {reason}"[:500]
    return PostResult(status, error, int((time.monotonic() - started) * 1000))


class WebhookSender:
    """Delivers the webhook outbox; ``step`` is one unit of work, ``start`` runs it on a thread."""

    def __init__(
        self,
        *,
        url: str,
        secret: str,
        timeout: float,
        max_backoff: float,
        give_up: float,
    ) -> None:
        self.url = url
        self.secret = secret
        self.timeout = timeout
        self.max_backoff = max_backoff
        self.give_up = give_up
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @staticmethod
    def pending() -> Q:
        return Q(webhook_due=True, webhook_delivered_at=None, webhook_failed_at=None)

    def backoff(self, attempts: int) -> float:
        """Seconds before the next try after ``attempts`` failed ones."""
        return min(2.0 ** max(attempts - 1, 0), self.max_backoff)

    def step(self, now: datetime | None = None) -> float:
        """Try the head of the queue if it is due; the seconds to wait before the next step."""
        now = now or timezone.now()
        head = AlarmNotification.objects.filter(self.pending()).order_by("id").first()
        if head is None:
            return IDLE_SECONDS
        if now - head.created_at > timedelta(seconds=self.give_up):
            AlarmNotification.objects.filter(id=head.id).update(webhook_failed_at=now)
            logger.error(
                "Gave up the webhook for alarm notification %s after %d attempts",
                head.id,
                head.webhook_attempts,
            )
            return 0.0
        if head.webhook_next_attempt_at is not None and head.webhook_next_attempt_at > now:
            return min((head.webhook_next_attempt_at - now).total_seconds(), IDLE_SECONDS)
        lease = timedelta(seconds=self.timeout + 30)
        claimed = (
            AlarmNotification.objects.filter(id=head.id)
            .filter(self.pending())
            .filter(Q(webhook_claimed_until__isnull=True) | Q(webhook_claimed_until__lte=now))
            .update(webhook_claimed_until=now + lease)
        )
        if not claimed:
            return IDLE_SECONDS  # another worker is posting it
        result = post(
            self.url,
            head.body.encode(),
            secret=self.secret,
            timeout=self.timeout,
            headers={"X-AutoForge-Delivery": str(head.id), "X-AutoForge-Event": head.event},
        )
        done = timezone.now()
        WebhookAttempt.objects.create(
            notification_id=head.id,
            attempted_at=done,
            status_code=result.status_code,
            error=result.error,
            duration_ms=result.duration_ms,
        )
        attempts = head.webhook_attempts + 1
        if result.delivered:
            AlarmNotification.objects.filter(id=head.id).update(
                webhook_delivered_at=done,
                webhook_attempts=F("webhook_attempts") + 1,
                webhook_claimed_until=None,
            )
            return 0.0
        wait = self.backoff(attempts)
        AlarmNotification.objects.filter(id=head.id).update(
            webhook_attempts=F("webhook_attempts") + 1,
            webhook_next_attempt_at=done + timedelta(seconds=wait),
            webhook_claimed_until=None,
        )
        logger.warning(
            "Webhook for alarm notification %s failed (%s); try %d again in %.0f s",
            head.id,
            result.error or result.status_code,
            attempts + 1,
            wait,
        )
        return 0.0

    # --- the thread -------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="alarm-webhook", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    close_old_connections()
                    wait = self.step()
                except Exception:
                    logger.exception("Alarm webhook delivery failed; trying again shortly")
                    connection.close()
                    wait = ERROR_PAUSE_SECONDS
                if wait > 0:
                    self._stop.wait(wait)
        finally:
            connection.close()
