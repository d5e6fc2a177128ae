"""Value types that the ingest core and the write layer both speak.

They live below both, so that ``sensors.services`` (the writes) needs nothing
from ``sensors.ingest`` (the batching) and the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class StoreResult:
    """What one ``readings_store`` call did."""

    stored: int
    duplicates: int


@dataclass(frozen=True, slots=True)
class RejectedMessage:
    """A message the ingest refused or could not store, as the dead-letter table keeps it."""

    topic: str
    payload: bytes
    reason: str
    received_at: datetime
