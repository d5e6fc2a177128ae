"""``/api/sensors/stream``: stored readings as Server-Sent Events (CONTRACT §3 v2).

Each event is ``id: <reading id>``, ``event: reading``, ``data: <reading>``.
A stream resumes after an id (``Last-Event-ID``) by asking for the ids above
it: exact, without gaps or repeats, because ids are given in commit order
(``sensors.commit_order``). A comment line goes out whenever nothing else has
for ``STREAM_KEEPALIVE_SECONDS``, so proxies and clients see the stream alive.

Two ways to serve it, one format:

- under ASGI (production: gunicorn with uvicorn workers), :class:`ReadingHub`:
  one poller per process reads the new readings once and hands them to every
  open stream, so 500 streams cost one query per poll, not 500, and none
  holds a thread;
- under WSGI (``runserver``), :func:`reading_events_sync`: each stream polls
  the database itself, on the thread that serves it. Fine for development.

No extra service is needed (SQLite, no Redis): the database is the feed.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import logging
import time
import weakref
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import orjson
from django.db import connection

from sensors import selectors
from sensors.reading_formats import reading_dicts

logger = logging.getLogger(__name__)

#: Readings read at once, by a poll or by a stream catching up.
PAGE_ROWS = 1000
#: Sent first: the response starts at once, and the client learns the retry delay.
STREAM_OPENING = b"retry: 2000\n: connected\n\n"
KEEPALIVE = b": keep-alive\n\n"


class StreamEvent(NamedTuple):
    """One reading, ready to send."""

    id: int
    device_id: str
    data: bytes


def event_bytes(reading: dict) -> bytes:
    """A reading as one Server-Sent Event."""
    return b"id: %d\nevent: reading\ndata: %s\n\n" % (reading["id"], orjson.dumps(reading))


def events_after(after_id: int, device_id: str | None, limit: int = PAGE_ROWS) -> list[StreamEvent]:
    """The readings above ``after_id`` (of ``device_id``, or all), as events, in id order."""
    rows = selectors.readings_after_id(after_id=after_id, device_id=device_id, limit=limit)
    return [
        StreamEvent(reading["id"], reading["device_id"], event_bytes(reading))
        for reading in reading_dicts(rows)
    ]


def reading_events_sync(
    *,
    after_id: int | None,
    device_id: str | None,
    poll_seconds: float,
    keepalive_seconds: float,
) -> Iterator[bytes]:
    """The stream's body under WSGI: this thread polls the database itself."""
    if after_id is None:
        after_id = selectors.readings_newest_id()
    yield STREAM_OPENING
    quiet_since = time.monotonic()
    while True:
        events = events_after(after_id, device_id)
        if events:
            after_id = events[-1].id
            quiet_since = time.monotonic()
            yield b"".join(event.data for event in events)
            continue
        if time.monotonic() - quiet_since >= keepalive_seconds:
            quiet_since = time.monotonic()
            yield KEEPALIVE
        time.sleep(poll_seconds)


class ReadingHub:
    """Per process: polls for new readings while a stream is open, and keeps the latest.

    It holds the events with ids in ``(floor, head]``, all of them: the poll
    asks for the ids above ``head``, and ids are in commit order, so nothing
    can appear below ``head`` later. A stream whose last id is inside that
    range is served from memory; one further back (a resume after a long
    break) reads its pages from the database until it is inside.

    Database work runs on one thread of its own (and its one connection), so
    it never waits for, or holds, the threads of the API's requests.
    """

    def __init__(
        self,
        *,
        poll_seconds: float,
        keep: int = 10_000,
        fetch: Callable[[int, str | None, int], list[StreamEvent]] = events_after,
        newest: Callable[[], int] = selectors.readings_newest_id,
    ) -> None:
        self.poll_seconds = poll_seconds
        self.keep = keep
        self._fetch = fetch
        self._newest = newest
        self._executor: ThreadPoolExecutor | None = None
        self._ids: list[int] = []
        self._events: list[StreamEvent] = []
        self._floor: int | None = None  # None: not polling; the range is unknown
        self._head = 0
        self._streams = 0
        self._arrived = asyncio.Event()
        self._start_lock = asyncio.Lock()
        self._poller: asyncio.Task | None = None

    async def _run(self, function: Callable, *args: object):
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="reading-stream")
        return await asyncio.get_running_loop().run_in_executor(
            self._executor, _with_connection_check, function, *args
        )

    @contextlib.asynccontextmanager
    async def subscription(self):
        """While open, the poller runs; the last one to leave stops it."""
        self._streams += 1
        try:
            await self._start()
            yield self
        finally:
            self._streams -= 1

    async def _start(self) -> None:
        async with self._start_lock:
            if self._poller is not None and not self._poller.done():
                return
            newest = await self._run(self._newest)
            self._ids, self._events = [], []
            self._floor = self._head = newest
            self._arrived = asyncio.Event()
            self._poller = asyncio.get_running_loop().create_task(self._poll())

    @property
    def head(self) -> int:
        """The newest id the hub has seen (the stream's start without ``Last-Event-ID``)."""
        return self._head

    async def _poll(self) -> None:
        failing = False
        while self._streams > 0:
            try:
                events = await self._run(self._fetch, self._head, None, PAGE_ROWS)
            except Exception as error:
                if not failing:
                    logger.warning("Live stream: cannot read new readings: %s", error)
                failing = True
                await asyncio.sleep(max(self.poll_seconds, 1.0))
                continue
            if failing:
                logger.info("Live stream: reading new readings again")
                failing = False
            if events:
                self._add(events)
            if len(events) < PAGE_ROWS:
                await asyncio.sleep(self.poll_seconds)
        self._floor = None

    def _add(self, events: list[StreamEvent]) -> None:
        self._ids.extend(event.id for event in events)
        self._events.extend(events)
        self._head = events[-1].id
        if len(self._ids) > 2 * self.keep:
            cut = len(self._ids) - self.keep
            self._floor = self._ids[cut - 1]
            del self._ids[:cut], self._events[:cut]
        arrived, self._arrived = self._arrived, asyncio.Event()
        arrived.set()

    def _from_memory(self, after_id: int, device_id: str | None) -> tuple[list[bytes], int]:
        start = bisect.bisect_right(self._ids, after_id)
        events = self._events[start:]
        if device_id is not None:
            # Every held event up to the head was looked at: resume after it.
            return [e.data for e in events if e.device_id == device_id], max(after_id, self._head)
        return [e.data for e in events], (events[-1].id if events else after_id)

    async def next_events(
        self, after_id: int, device_id: str | None, *, timeout: float
    ) -> tuple[list[bytes], int]:
        """The events after ``after_id`` (waiting up to ``timeout`` for some), and
        the id to ask after next time."""
        floor = self._floor
        if floor is None or after_id < floor:
            events = await self._run(self._fetch, after_id, device_id, PAGE_ROWS)
            if events:
                return [e.data for e in events], events[-1].id
            # Nothing above after_id was committed when the query ran, so
            # nothing up to the floor (committed earlier) is missed.
            after_id = max(after_id, floor or after_id)
        arrived = self._arrived
        data, after_id = self._from_memory(after_id, device_id)
        if data:
            return data, after_id
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(arrived.wait(), timeout)
        return self._from_memory(after_id, device_id)


def _with_connection_check(function: Callable, *args: object):
    """Run ``function`` on the hub's thread; drop its connection when it broke, so
    the next poll opens a new one (no request cycle closes it here)."""
    try:
        return function(*args)
    except Exception:
        connection.close()
        raise


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, ReadingHub] = (
    weakref.WeakKeyDictionary()
)


def reading_hub(*, poll_seconds: float) -> ReadingHub:
    """The hub of the running event loop (gunicorn's uvicorn worker runs one per process)."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        hub = _hubs[loop] = ReadingHub(poll_seconds=poll_seconds)
    return hub


async def reading_events_async(
    *,
    after_id: int | None,
    device_id: str | None,
    poll_seconds: float,
    keepalive_seconds: float,
    hub: ReadingHub | None = None,
) -> AsyncIterator[bytes]:
    """The stream's body under ASGI, served by ``hub`` (by default, the event loop's)."""
    if hub is None:
        hub = reading_hub(poll_seconds=poll_seconds)
    async with hub.subscription():
        if after_id is None:
            after_id = hub.head
        yield STREAM_OPENING
        loop = asyncio.get_running_loop()
        quiet_since = loop.time()
        while True:
            wait = max(0.0, keepalive_seconds - (loop.time() - quiet_since))
            data, after_id = await hub.next_events(after_id, device_id, timeout=wait)
            if data:
                quiet_since = loop.time()
                yield b"".join(data)
            elif loop.time() - quiet_since >= keepalive_seconds:
                quiet_since = loop.time()
                yield KEEPALIVE
