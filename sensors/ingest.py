"""Batching and acknowledgement bookkeeping of ``mqtt_ingest``.

No paho and no ORM here: messages come in as plain values, the writers are
callables, and the clocks are injected, so every rule below is tested without
a broker or a database.

The rules:

* every QoS 1 message received gets an entry in an ordered ledger, whatever it
  is (a reading, a rejected message, a device's answer to a command);
* an entry is *done* once what it carries is committed (the batch of readings,
  the dead letter, the answer);
* acknowledgements are released from the head of the ledger up to the first
  entry not yet done, so PUBACKs go out in the order the messages came in, and
  never before the commit;
* a batch is written when it holds ``batch_size`` readings or when its oldest
  reading is ``max_age`` seconds old;
* a write that fails because the database is out of reach (``is_outage``)
  keeps everything and is retried with exponential backoff, without end;
* a write that fails otherwise (a constraint, an encoding, a value the
  database refuses) is split in halves, so that every message that can be
  stored is, and the messages that fail alone are found. Each of those gets
  ``MAX_ATTEMPTS`` tries in all (with the same backoff between them); then it
  is dead-lettered and acknowledged. No message can hold up the others for
  longer than that.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sensors.messages import RejectedMessage, StoreResult
from sensors.validation import Reading, Rejection, reading_from_message

logger = logging.getLogger(__name__)

RETRY_MIN_SECONDS = 0.5
RETRY_MAX_SECONDS = 15.0
#: Tries a message gets when its write fails for a reason other than an outage.
MAX_ATTEMPTS = 3


class Entry:
    """One received message in the ledger."""

    __slots__ = ("attempts", "done", "generation", "mid", "payload", "qos", "topic")

    def __init__(self, mid: int, qos: int, generation: int) -> None:
        self.mid = mid
        self.qos = qos
        self.generation = generation
        self.done = False  # even QoS 0: the entry also holds a place in the intake window
        self.attempts = 0  # failed writes of this message alone, outages not counted
        # Kept until the message is written, to dead-letter it as it came.
        self.topic = ""
        self.payload = b""


class AckLedger:
    """Received messages in order; hands out those whose turn to be acknowledged has come."""

    def __init__(self) -> None:
        self._entries: deque[Entry] = deque()

    def add(self, mid: int, qos: int, generation: int) -> Entry:
        entry = Entry(mid, qos, generation)
        self._entries.append(entry)
        return entry

    def release(self) -> list[Entry]:
        """Remove and return the done entries at the head, up to the first not done."""
        released = []
        entries = self._entries
        while entries and entries[0].done:
            released.append(entries.popleft())
        return released

    def __len__(self) -> int:
        return len(self._entries)


class IntakeWindow:
    """At most ``limit`` messages between the network thread and their acknowledgement.

    The network thread takes a place for each message before handing it over
    and waits while there is none, so that it stops reading from the socket
    (the broker keeps the rest) instead of filling memory; the main thread
    gives places back as entries leave the ledger. ``close()`` wakes every
    waiter for good: at shutdown nothing more is taken.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._used = 0
        self._closed = False
        self._condition = threading.Condition()

    def acquire(self, *, timeout: float | None = None) -> bool:
        """Take a place; False once closed (or after ``timeout`` seconds)."""
        with self._condition:
            if self._used < self.limit and not self._closed:  # the usual case, no wait
                self._used += 1
                return True
            deadline = None if timeout is None else time.monotonic() + timeout
            while self._used >= self.limit and not self._closed:
                remaining = 1.0 if deadline is None else deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._condition.wait(min(remaining, 1.0))
            if self._closed:
                return False
            self._used += 1
            return True

    def release(self, count: int = 1) -> None:
        if count <= 0:
            return
        with self._condition:
            self._used = max(0, self._used - count)
            self._condition.notify(count)

    def close(self) -> None:
        with self._condition:
            self._closed = True
            self._condition.notify_all()

    @property
    def used(self) -> int:
        return self._used

    @property
    def closed(self) -> bool:
        return self._closed


def topic_matches(topic_filter: str, topic: str) -> bool:
    """MQTT topic filter matching (``+`` one level, ``#`` the rest)."""
    filter_levels = topic_filter.split("/")
    topic_levels = topic.split("/")
    for index, wanted in enumerate(filter_levels):
        if wanted == "#":
            return True
        if index >= len(topic_levels):
            return False
        if wanted != "+" and wanted != topic_levels[index]:
            return False
    return len(filter_levels) == len(topic_levels)


@dataclass(slots=True)
class Counters:
    received: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0


class _Outage(Exception):
    """A write failed because the database is out of reach: retry everything later."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


class Ingest:
    """Validates received messages, batches them and keeps the ack ledger.

    ``store`` writes a batch of readings in one transaction, ``record`` the
    rejected messages; ``answer`` hands a device's answer to the command
    outbox and returns None when it counted, or why it did not (the answer
    is then dead-lettered). Each commits before it returns or raises.
    ``is_outage`` tells a failed write whose cause is the database being out
    of reach (retried without end) from one that the messages cause (each
    message gets ``MAX_ATTEMPTS`` tries, then it is dead-lettered).
    ``clock`` is monotonic seconds, ``wall_clock`` the aware UTC now used by
    validation.
    """

    def __init__(
        self,
        *,
        topic_filter: str,
        batch_size: int,
        max_age: float,
        max_clock_skew_seconds: float,
        store: Callable[[Sequence[Reading]], StoreResult],
        record: Callable[[Sequence[RejectedMessage]], object],
        answer: Callable[[str, bytes], str | None] | None = None,
        answer_filter: str | None = None,
        is_outage: Callable[[BaseException], bool] = lambda error: True,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.topic_filter = topic_filter
        self.batch_size = batch_size
        self.max_age = max_age
        self.max_clock_skew_seconds = max_clock_skew_seconds
        self._store = store
        self._record = record
        self._answer = answer
        self.answer_filter = answer_filter if answer is not None else None
        # The filter's literal head ("control/"): most topics fail on it cheaply.
        # "\0" for none: no topic starts with NUL.
        self._answer_prefix = (
            self.answer_filter.split("+", 1)[0].split("#", 1)[0] if self.answer_filter else "\0"
        )
        self._is_outage = is_outage
        self._clock = clock
        self._wall_clock = wall_clock

        self.ledger = AckLedger()
        self.counters = Counters()
        self.last_error = ""
        #: Wall-clock time of the first failed write since the last full success.
        self.failing_since: datetime | None = None
        self._readings: list[Reading] = []
        self._reading_entries: list[Entry] = []
        self._rejected: list[tuple[RejectedMessage, Entry]] = []
        self._answers: deque[Entry] = deque()
        self._oldest: float | None = None  # clock() when the oldest unwritten message came
        self._retry_at: float | None = None
        self._retry_delay = RETRY_MIN_SECONDS
        self._failures = 0

    # --- taking messages -------------------------------------------------------

    def receive(self, topic: str, payload: bytes, mid: int, qos: int, generation: int) -> None:
        """Take one message: a reading for the batch, a rejection, or an answer."""
        entry = self.ledger.add(mid, qos, generation)
        entry.topic = topic
        entry.payload = payload
        self.counters.received += 1
        if self._oldest is None:
            self._oldest = self._clock()
        if topic.startswith(self._answer_prefix) and topic_matches(self.answer_filter, topic):
            self._answers.append(entry)
            return
        now = self._wall_clock()
        try:
            result = reading_from_message(
                topic,
                payload,
                topic_filter=self.topic_filter,
                now=now,
                max_clock_skew_seconds=self.max_clock_skew_seconds,
            )
        except Exception as error:  # validation is total; a bug there must not stop the stream
            logger.exception("Validation failed on a message on %s", topic)
            result = Rejection(f"internal error in validation: {type(error).__name__}")
        if type(result) is Reading:
            self._readings.append(result)
            self._reading_entries.append(entry)
        else:
            self._reject(entry, result.reason)

    def _reject(self, entry: Entry, reason: str, *, log: bool = True) -> None:
        """Queue ``entry``'s message for the dead-letter table."""
        if log:
            logger.warning("Rejected message on %s: %s", entry.topic, reason)
        message = RejectedMessage(entry.topic, entry.payload, reason, self._wall_clock())
        entry.attempts = 0  # the dead letter's own write gets its own tries
        self._rejected.append((message, entry))

    # --- writing ---------------------------------------------------------------

    @property
    def batch_room(self) -> int:
        """Readings the open batch can still take before it is due by size."""
        return self.batch_size - len(self._readings)

    @property
    def unwritten(self) -> int:
        """Messages taken but not yet committed."""
        return len(self._readings) + len(self._rejected) + len(self._answers)

    @property
    def pending(self) -> int:
        """Messages taken but not yet acknowledged (or dropped)."""
        return len(self.ledger)

    def next_flush_at(self) -> float | None:
        """When ``flush_due`` turns true by age alone (clock seconds), or None."""
        if self._oldest is None:
            return None
        due = self._oldest + self.max_age
        if self._retry_at is not None:
            due = max(due, self._retry_at)
        return due

    def flush_due(self, *, now: float | None = None) -> bool:
        if self._oldest is None:
            return False
        now = self._clock() if now is None else now
        if self._retry_at is not None and now < self._retry_at:
            return False
        if self._answers or len(self._readings) >= self.batch_size:
            return True
        return now - self._oldest >= self.max_age

    def flush(self) -> bool:
        """Write everything taken so far. True when all of it is committed.

        On an outage everything is kept and retried after a growing delay.
        Messages that fail alone for another reason are kept for another try
        after the same delay, while every other message is committed; at
        their ``MAX_ATTEMPTS``-th failure they are dead-lettered. Returns
        False while anything is left to retry.
        """
        try:
            failure = self._flush_readings()
            failure = self._flush_answers() or failure
            failure = self._flush_rejected() or failure
        except _Outage as outage:
            self._failed(outage.error, outage=True)
            return False
        if failure is not None:
            self._failed(failure, outage=False)
            return False
        if self._failures:
            logger.info("Database writes succeed again after %d failed attempts", self._failures)
        self._failures = 0
        self._retry_at = None
        self._retry_delay = RETRY_MIN_SECONDS
        self._oldest = None
        self.failing_since = None
        return True

    def _write_isolating(
        self, items: list, write: Callable[[list], object], done: Callable[[list, object], None]
    ) -> list[tuple[object, BaseException]]:
        """``write(items)`` in one go or, when that fails for a reason other
        than an outage, in halves, down to single items. ``done(part,
        result)`` is called for each part that was committed. Returns the
        items that failed alone, each with its error; raises ``_Outage``."""
        try:
            result = write(items)
        except Exception as error:
            if self._is_outage(error):
                raise _Outage(error) from error
            if len(items) == 1:
                return [(items[0], error)]
            middle = len(items) // 2
            return self._write_isolating(items[:middle], write, done) + self._write_isolating(
                items[middle:], write, done
            )
        done(items, result)
        return []

    def _failed_alone(self, entry: Entry, error: BaseException, what: str) -> bool:
        """Count a failed try of ``entry``'s message; True when it has had its last."""
        entry.attempts += 1
        if entry.attempts < MAX_ATTEMPTS:
            logger.warning(
                "Writing %s from %s failed (attempt %d of %d): %s",
                what,
                entry.topic,
                entry.attempts,
                MAX_ATTEMPTS,
                error,
            )
            return False
        logger.error(
            "Writing %s from %s failed %d times; dead-lettered: %s",
            what,
            entry.topic,
            entry.attempts,
            error,
            exc_info=error,
        )
        return True

    def _flush_readings(self) -> BaseException | None:
        if not self._readings:
            return None
        pairs = list(zip(self._readings, self._reading_entries, strict=True))

        def write(part: list) -> StoreResult:
            return self._store([reading for reading, _ in part])

        def done(part: list, result: StoreResult) -> None:
            self.counters.stored += result.stored
            self.counters.duplicates += result.duplicates
            for _, entry in part:
                entry.done = True
                entry.payload = b""

        self._readings = []
        self._reading_entries = []
        try:
            failed = self._write_isolating(pairs, write, done)
        except _Outage:
            # Keep what is left, in order, ahead of what came since.
            left = [pair for pair in pairs if not pair[1].done]
            self._readings = [reading for reading, _ in left]
            self._reading_entries = [entry for _, entry in left]
            raise
        last_error = None
        for (reading, entry), error in failed:
            if self._failed_alone(entry, error, "a reading"):
                self._reject(entry, _could_not_store(error))
            else:
                self._readings.append(reading)
                self._reading_entries.append(entry)
                last_error = error
        return last_error

    def _flush_answers(self) -> BaseException | None:
        last_error = None
        retry: deque[Entry] = deque()
        while self._answers:
            entry = self._answers[0]
            try:
                not_counted = self._answer(entry.topic, entry.payload)
            except Exception as error:
                if self._is_outage(error):
                    self._answers.extend(retry)  # the retried ones go after, as before
                    raise _Outage(error) from error
                self._answers.popleft()
                if self._failed_alone(entry, error, "an answer"):
                    self._reject(entry, _could_not_store(error))
                else:
                    retry.append(entry)
                    last_error = error
                continue
            self._answers.popleft()
            if not_counted:
                self._reject(entry, not_counted, log=False)  # the outbox said why
            else:
                entry.done = True
                entry.payload = b""
        self._answers = retry
        return last_error

    def _flush_rejected(self) -> BaseException | None:
        if not self._rejected:
            return None
        pending = self._rejected
        self._rejected = []

        def write(part: list) -> object:
            return self._record([message for message, _ in part])

        def done(part: list, result: object) -> None:
            self.counters.rejected += len(part)
            for _, entry in part:
                entry.done = True
                entry.payload = b""

        try:
            failed = self._write_isolating(pending, write, done)
        except _Outage:
            self._rejected = [pair for pair in pending if not pair[1].done] + self._rejected
            raise
        last_error = None
        for (message, entry), error in failed:
            if self._failed_alone(entry, error, "a dead letter"):
                # Nowhere left to keep it: the log line above is its record.
                self.counters.rejected += 1
                entry.done = True
                entry.payload = b""
            else:
                self._rejected.append((message, entry))
                last_error = error
        return last_error

    def _failed(self, error: BaseException, *, outage: bool) -> None:
        self._failures += 1
        if self.failing_since is None:
            self.failing_since = self._wall_clock()
        cause = "database" if outage else "write"
        self.last_error = f"{datetime.now(UTC).isoformat(timespec='seconds')} {cause}: {error}"
        self.last_error = self.last_error[:2000]
        if outage and (self._failures == 1 or self._failures % 10 == 0):
            logger.error(
                "Writing %d messages failed (attempt %d); not acknowledged, retrying in %.1f s",
                self.unwritten,
                self._failures,
                self._retry_delay,
                exc_info=error,
            )
        self._retry_at = self._clock() + self._retry_delay
        self._retry_delay = min(self._retry_delay * 2, RETRY_MAX_SECONDS)

    # --- acknowledging ---------------------------------------------------------

    def releasable(self) -> list[Entry]:
        """Entries now due to be acknowledged, in the order received."""
        return self.ledger.release()


#: How the dead-letter reason of a message the database refused begins.
COULD_NOT_STORE = "could not be stored after"


def _could_not_store(error: BaseException) -> str:
    """The dead-letter reason for a message the database refused."""
    detail = " ".join(str(error).split()) or type(error).__name__
    return f"{COULD_NOT_STORE} {MAX_ATTEMPTS} attempts: {detail}"[:255]
