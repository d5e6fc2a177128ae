"""ReadingHub, the live stream's per-process feed, on its own (no database:
``fetch`` and ``newest`` are given a list that plays the table)."""

from __future__ import annotations

import asyncio

from sensors.stream import KEEPALIVE, STREAM_OPENING, ReadingHub, StreamEvent, reading_events_async


class Table:
    """Readings as the database would give them: ids in commit order."""

    def __init__(self) -> None:
        self.rows: list[StreamEvent] = []
        self.queries = 0

    def add(self, device_id: str, count: int = 1) -> None:
        for _ in range(count):
            reading_id = len(self.rows) + 1
            self.rows.append(StreamEvent(reading_id, device_id, b"<%d>" % reading_id))

    def fetch(self, after_id: int, device_id: str | None, limit: int) -> list[StreamEvent]:
        self.queries += 1
        rows = [r for r in self.rows if r.id > after_id]
        if device_id is not None:
            rows = [r for r in rows if r.device_id == device_id]
        return rows[:limit]

    def newest(self) -> int:
        return self.rows[-1].id if self.rows else 0


def hub_on(table: Table, **options) -> ReadingHub:
    return ReadingHub(poll_seconds=0.01, fetch=table.fetch, newest=table.newest, **options)


def run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, 10))


def test_a_stream_gets_what_is_stored_after_it_opened_and_nothing_before():
    table = Table()
    table.add("a", 3)

    async def scenario():
        hub = hub_on(table)
        async with hub.subscription():
            after = hub.head
            assert after == 3
            table.add("a", 2)
            data, after = await hub.next_events(after, None, timeout=2)
            return data, after

    assert run(scenario()) == ([b"<4>", b"<5>"], 5)


def test_it_resumes_from_the_database_when_the_id_is_older_than_it_holds():
    table = Table()
    table.add("a", 50)

    async def scenario():
        hub = hub_on(table)
        async with hub.subscription():
            sent: list[bytes] = []
            after = 10  # Last-Event-ID from before the hub started
            while after < 50:
                data, after = await hub.next_events(after, None, timeout=1)
                sent.extend(data)
            return sent

    assert run(scenario()) == [b"<%d>" % n for n in range(11, 51)]


def test_one_device_only_and_no_rescan_of_what_others_sent():
    table = Table()

    async def scenario():
        hub = hub_on(table)
        async with hub.subscription():
            after = hub.head
            table.add("a", 3)
            table.add("b", 1)
            table.add("a", 3)
            sent: list[bytes] = []
            while len(sent) < 1:
                data, after = await hub.next_events(after, "b", timeout=1)
                sent.extend(data)
            return sent, after

    sent, after = run(scenario())
    assert sent == [b"<4>"]
    assert after >= 4


def test_many_streams_cost_one_query_per_poll():
    table = Table()

    async def one_stream(hub: ReadingHub, results: list) -> None:
        async with hub.subscription():
            after = hub.head
            got: list[bytes] = []
            while len(got) < 20:
                data, after = await hub.next_events(after, None, timeout=2)
                got.extend(data)
            results.append(got)

    async def scenario():
        hub = hub_on(table)
        results: list = []
        streams = [asyncio.create_task(one_stream(hub, results)) for _ in range(100)]
        await asyncio.sleep(0.05)
        before = table.queries
        for _ in range(4):
            table.add("a", 5)
            await asyncio.sleep(0.03)
        await asyncio.gather(*streams)
        return results, table.queries - before

    results, queries = run(scenario())
    assert len(results) == 100
    assert all(got == [b"<%d>" % n for n in range(1, 21)] for got in results)
    # The poller's queries (every 10 ms for ~0.2 s), not 100 streams' worth.
    assert queries < 100


def test_it_keeps_a_bounded_window_and_older_ids_come_from_the_database():
    table = Table()

    async def scenario():
        hub = hub_on(table, keep=10)
        async with hub.subscription():
            table.add("a", 45)
            while hub.head < 45:
                await asyncio.sleep(0.01)
            held = len(hub._ids)
            data, after = await hub.next_events(3, None, timeout=1)
            return held, data, after

    held, data, after = run(scenario())
    assert held <= 20
    assert data[0] == b"<4>"
    assert after == int(data[-1].strip(b"<>"))


def test_the_body_opens_then_keeps_alive_when_nothing_comes():
    table = Table()

    async def scenario():
        hub = hub_on(table)
        body = reading_events_async(
            after_id=None, device_id=None, poll_seconds=0.01, keepalive_seconds=0.1, hub=hub
        )
        chunks = [await anext(body), await anext(body)]
        table.add("a")
        chunks.append(await anext(body))
        await body.aclose()
        return chunks, hub

    chunks, hub = run(scenario())
    assert chunks == [STREAM_OPENING, KEEPALIVE, b"<1>"]
    assert hub._streams == 0  # closing the body left the subscription


def test_the_poller_stops_with_the_last_stream_and_starts_afresh():
    table = Table()

    async def scenario():
        hub = hub_on(table)
        async with hub.subscription():
            pass
        await asyncio.sleep(0.05)
        first = hub._poller
        table.add("a", 5)
        async with hub.subscription():
            head = hub.head
        return first.done(), head

    done, head = run(scenario())
    assert done
    assert head == 5


def test_a_failing_database_is_retried_and_the_stream_goes_on():
    table = Table()
    failures = {"left": 2}

    def flaky(after_id, device_id, limit):
        if failures["left"]:
            failures["left"] -= 1
            raise OSError("connection refused")
        return table.fetch(after_id, device_id, limit)

    async def scenario():
        hub = ReadingHub(poll_seconds=0.01, fetch=flaky, newest=table.newest)
        async with hub.subscription():
            after = hub.head
            table.add("a", 2)
            got: list[bytes] = []
            while len(got) < 2:
                data, after = await hub.next_events(after, None, timeout=3)
                got.extend(data)
            return got

    assert run(scenario()) == [b"<1>", b"<2>"]
