"""Serializer fields that every app's API uses: query integers, instants, UTC output.

Below the apps (``sensors``, ``control``, ``devices``), so that each can use
them without importing another.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from rest_framework import serializers

from autoforge.timefmt import iso_utc

#: Rows one page may hold, and where an offset stops making sense.
PAGE_LIMIT_MAX = 10_000
PAGE_LIMIT_DEFAULT = 100
OFFSET_MAX = 2**62

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_SECONDS_RE = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")
# "2026-01-29T14:30:45 01:00": the "+" of an offset that was not URL-encoded.
_SPACE_FOR_PLUS_RE = re.compile(r"(?<=\d) (?=\d{2}(:?\d{2})?$)")
_ASCII_INTEGER_RE = re.compile(r"[+-]?[0-9]+")


class QueryIntegerField(serializers.IntegerField):
    """An integer query parameter: ASCII digits 0-9, with an optional sign.

    DRF's IntegerField hands the text to ``int()``, which also reads the
    digits of other scripts (fullwidth, Arabic-Indic, ...), ``1_000``, padding
    and ``12.0``: a parameter then means something other than what it looks
    like to a proxy, a log reader or a cache key.
    """

    default_error_messages = {"invalid": "Must be a whole number written with the digits 0-9."}

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, str) and not _ASCII_INTEGER_RE.fullmatch(data):
            self.fail("invalid")
        return super().to_internal_value(data)


class UTCDateTimeField(serializers.DateTimeField):
    """A date-time rendered as :func:`iso_utc`, whatever the current time zone."""

    def to_representation(self, value: datetime | None) -> str | None:
        return None if value is None else iso_utc(value)


class InstantField(serializers.Field):
    """A moment given as ISO 8601 (no offset means UTC) or Unix epoch seconds."""

    default_error_messages = {
        "invalid": "Enter an ISO 8601 date-time or Unix epoch seconds.",
        "range": "Date-time is out of range.",
    }

    def to_internal_value(self, data: Any) -> datetime:
        if not isinstance(data, str):
            self.fail("invalid")
        text = data.strip()
        if _EPOCH_SECONDS_RE.fullmatch(text):
            return self._from_epoch(text)
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            try:
                moment = datetime.fromisoformat(_SPACE_FOR_PLUS_RE.sub("+", text))
            except ValueError:
                self.fail("invalid")
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            self.fail("range")

    def _from_epoch(self, text: str) -> datetime:
        # Decimal, not float: "1769697045.000001" keeps its microsecond.
        try:
            microseconds = int((Decimal(text) * 1_000_000).to_integral_value())
            return _EPOCH + timedelta(microseconds=microseconds)
        except (InvalidOperation, OverflowError):
            self.fail("range")

    def to_representation(self, value: datetime) -> str:
        return iso_utc(value)


def path_id(pk: str) -> int | None:
    """The id a path names (``[0-9]+``), or None past a 64-bit id: not found,
    rather than a database overflow or, past 4300 digits, Python's refusal
    to read the number (a 500)."""
    if len(pk.lstrip("0")) > 19:
        return None
    value = int(pk)
    return value if value < 2**63 else None
