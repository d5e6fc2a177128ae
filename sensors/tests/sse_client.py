"""A small Server-Sent Events client for the tests, on a raw HTTP connection."""

from __future__ import annotations

import http.client
import json
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class Event:
    """One event as sent; a comment-only block has ``comments`` and nothing else."""

    id: str | None = None
    event: str | None = None
    data: str | None = None
    comments: list[str] = field(default_factory=list)
    retry: str | None = None

    @property
    def reading(self) -> dict:
        return json.loads(self.data or "null")


class EventStream:
    """``GET url`` kept open; :meth:`next` returns each block of lines in turn."""

    def __init__(self, url: str, *, last_event_id: int | str | None = None, timeout: float = 10):
        parts = urlsplit(url)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        headers = {"Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        self.connection.request("GET", path, headers=headers)
        self.response = self.connection.getresponse()

    def next(self) -> Event:
        event = Event()
        data: list[str] = []
        while True:
            line = self.response.readline()
            if not line:
                raise EOFError("the stream ended")
            text = line.decode("utf-8").rstrip("\n")
            if text == "":
                if data:
                    event.data = "\n".join(data)
                if data or event.comments or event.retry or event.id:
                    return event
                continue
            name, _, value = text.partition(":")
            value = value.removeprefix(" ")
            if name == "":
                event.comments.append(value)
            elif name == "data":
                data.append(value)
            elif name in ("id", "event", "retry"):
                setattr(event, name, value)

    def readings(self, count: int, *, timeout: float = 20) -> list[Event]:
        """The next ``count`` reading events (comments skipped)."""
        found: list[Event] = []
        deadline = time.monotonic() + timeout
        while len(found) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(found)} of {count} events within {timeout} s")
            event = self.next()
            if event.event == "reading":
                found.append(event)
        return found

    def close(self) -> None:
        self.connection.close()
