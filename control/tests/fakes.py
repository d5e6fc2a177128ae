"""Test doubles for the outbox's collaborators that are not the database or the broker."""

from __future__ import annotations

import json
from dataclasses import dataclass, field


@dataclass
class RecordingPublish:
    """Stands in for the ingest's publish function: records calls, returns mids."""

    calls: list[tuple[str, dict]] = field(default_factory=list)
    next_mid: int = 1
    answer: str = "mid"  # "mid", "none" (not queued) or "raise"

    def __call__(self, topic: str, payload: bytes) -> int | None:
        if self.answer == "raise":
            raise OSError("socket closed")
        if self.answer == "none":
            return None
        self.calls.append((topic, json.loads(payload)))
        mid = self.next_mid
        self.next_mid += 1
        return mid

    @property
    def ids(self) -> list[int]:
        return [document["id"] for _, document in self.calls]
