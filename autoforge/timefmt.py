"""The one way the API and the MQTT payloads write a moment."""

from __future__ import annotations

from datetime import UTC, datetime


def iso_utc(moment: datetime) -> str:
    """``2026-01-29T14:30:45.123456Z``: always UTC, always microseconds."""
    if moment.tzinfo is UTC:  # the usual case, a third of the time (1,440 buckets a response)
        return moment.isoformat(timespec="microseconds")[:-6] + "Z"
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
