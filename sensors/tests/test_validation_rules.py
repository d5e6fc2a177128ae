"""Every rule of CONTRACT §2, one row each: what is accepted, what is rejected and why."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta

import pytest

from sensors.validation import (
    MAX_PAYLOAD_BYTES,
    Reading,
    Rejection,
    device_id_from_topic,
    reading_from_message,
)

NOW = datetime(2026, 1, 29, 15, 0, 0, tzinfo=UTC)
GOOD = {
    "temperature": 24.5,
    "vibration": 12.3,
    "gas": 450.0,
    "power": 250.5,
    "timestamp": "2026-01-29T14:30:45.123456",
}


def message(topic: str = "sensors/press-1/data", payload: object = None, **changes) -> object:
    """Validate ``GOOD`` with ``changes`` (a value of ``...`` drops the key)."""
    if payload is None:
        document = {**GOOD, **changes}
        payload = json.dumps({k: v for k, v in document.items() if v is not ...}).encode()
    return reading_from_message(topic, payload, now=NOW, max_clock_skew_seconds=86400)


def rejected(result: object, reason: str) -> bool:
    return isinstance(result, Rejection) and reason in result.reason


def test_it_accepts_the_contract_example() -> None:
    result = message()

    assert result == Reading(
        device_id="press-1",
        temperature=24.5,
        vibration=12.3,
        gas=450.0,
        power=250.5,
        timestamp=datetime(2026, 1, 29, 14, 30, 45, 123456, tzinfo=UTC),
    )


# --- device id and topic ------------------------------------------------------


@pytest.mark.parametrize(
    "device_id",
    ["a", "A" * 64, "press-1", "Press_1.line-2", "0", "...", "-_-"],
)
def test_it_accepts_a_device_id_of_the_allowed_characters(device_id: str) -> None:
    assert message(topic=f"sensors/{device_id}/data").device_id == device_id


@pytest.mark.parametrize(
    "device_id",
    [
        "",  # empty
        "A" * 65,  # too long
        "press 1",  # space
        "press:1",
        "presse\u0301",  # combining accent
        "préss",
        "press\x00",
        "press\n",
        "💥",
        "press*",
        "press$",
    ],
)
def test_it_rejects_a_device_id_outside_the_charset_or_length(device_id: str) -> None:
    assert rejected(message(topic=f"sensors/{device_id}/data"), "device id")


@pytest.mark.parametrize(
    "topic",
    [
        "sensors/press-1/status",
        "sensors/press-1",
        "sensors/press-1/data/extra",
        "other/press-1/data",
        "/sensors/press-1/data",
        "",
    ],
)
def test_it_rejects_a_topic_that_does_not_match_the_filter(topic: str) -> None:
    assert rejected(message(topic=topic), "topic does not match")


def test_it_takes_the_device_id_from_the_plus_level_of_any_filter() -> None:
    assert device_id_from_topic("plant/7/line/press-1", "plant/7/line/+") == "press-1"
    assert device_id_from_topic("a/press-1/b", "a/+/b") == "press-1"
    assert device_id_from_topic("a/press-1/c", "a/+/b") is None


# --- payload ------------------------------------------------------------------------


def test_it_accepts_a_payload_of_exactly_16_kib() -> None:
    document = dict(GOOD, padding="")
    base = len(json.dumps(document).encode())
    document["padding"] = "x" * (MAX_PAYLOAD_BYTES - base)
    payload = json.dumps(document).encode()
    assert len(payload) == MAX_PAYLOAD_BYTES

    assert isinstance(message(payload=payload), Reading)


def test_it_rejects_a_payload_over_16_kib() -> None:
    document = dict(GOOD, padding="x" * MAX_PAYLOAD_BYTES)

    assert rejected(message(payload=json.dumps(document).encode()), "more than 16384")


@pytest.mark.parametrize(
    "payload",
    [b"\xff\xfe{}", b'{"temperature": "\xe9"}', b"\xc3\x28", b"\xed\xa0\x80"],
)
def test_it_rejects_a_payload_that_is_not_utf8(payload: bytes) -> None:
    assert rejected(message(payload=payload), "not UTF-8")


@pytest.mark.parametrize(
    "payload",
    [b"", b"{", b"{'temperature': 1}", b"temperature=1", b'{"a": 1,}', b"NaN-ish", b"\x00"],
)
def test_it_rejects_a_payload_that_is_not_json(payload: bytes) -> None:
    assert rejected(message(payload=payload), "not valid JSON")


@pytest.mark.parametrize("payload", [b"[]", b"[1, 2]", b'"text"', b"42", b"null", b"true"])
def test_it_rejects_json_that_is_not_an_object(payload: bytes) -> None:
    assert rejected(message(payload=payload), "must be a JSON object")


@pytest.mark.parametrize(
    "payload",
    [
        b"[" * 8000 + b"]" * 8000,
        b'{"a":' * 2500 + b"1" + b"}" * 2500,
    ],
)
def test_it_rejects_deeply_nested_json(payload: bytes) -> None:
    assert len(payload) <= MAX_PAYLOAD_BYTES
    assert rejected(message(payload=payload), "nested too deeply")


def test_it_rejects_an_integer_too_long_to_parse() -> None:
    payload = b'{"temperature": ' + b"9" * 5000 + b"}"

    assert rejected(message(payload=payload), "not valid JSON")


def test_it_ignores_unknown_keys() -> None:
    result = message(firmware="1.2.3", extra={"nested": [1, 2, 3]}, temperature_unit="C")

    assert isinstance(result, Reading)
    assert result.temperature == 24.5


def test_it_accepts_a_utf8_bom_free_payload_with_unicode_in_ignored_keys() -> None:
    assert isinstance(message(note="température ✓ 💥"), Reading)


# --- metrics -------------------------------------------------------------------------

METRICS = ("temperature", "vibration", "gas", "power")


@pytest.mark.parametrize("metric", METRICS)
def test_it_rejects_a_missing_metric(metric: str) -> None:
    assert rejected(message(**{metric: ...}), f"missing '{metric}'")


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("value", [True, False, None, [], {}, [1.0], {"value": 1.0}])
def test_it_rejects_a_metric_that_is_not_a_number(metric: str, value: object) -> None:
    assert rejected(message(**{metric: value}), f"'{metric}' must be a number")


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize(
    "value",
    ["", "abc", "12,5", "1.2.3", "0x10", "NaN", "inf", "1e", "- 1", "1_000", "١٢", "\uff11\uff12"],
)
def test_it_rejects_a_non_numeric_string(metric: str, value: str) -> None:
    assert rejected(message(**{metric: value}), f"'{metric}' must be a number")


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize(
    ("value", "expected"),
    [("24.5", 24.5), ("-3", -3.0), (" 7 ", 7.0), ("1e3", 1000.0), (".5", 0.5), ("+2.", 2.0)],
)
def test_it_accepts_a_numeric_string(metric: str, value: str, expected: float) -> None:
    assert getattr(message(**{metric: value}), metric) == expected


@pytest.mark.parametrize("metric", METRICS)
def test_it_converts_an_integer_metric_to_float(metric: str) -> None:
    value = getattr(message(**{metric: 3}), metric)

    assert value == 3.0
    assert type(value) is float


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity", b"1e400", b"-1e400"])
def test_it_rejects_a_metric_that_is_not_finite(metric: str, literal: bytes) -> None:
    # json.dumps would refuse these, so the payload is written by hand, as a device would.
    payload = json.dumps(dict(GOOD, **{metric: 0})).encode()
    payload = payload.replace(f'"{metric}": 0'.encode(), f'"{metric}": '.encode() + literal)

    assert rejected(message(payload=payload), f"'{metric}' must be finite")


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_it_rejects_a_numeric_string_that_is_not_finite(metric: str, value: str) -> None:
    assert isinstance(message(**{metric: value}), Rejection)


@pytest.mark.parametrize("metric", METRICS)
def test_it_rejects_an_integer_too_large_for_a_float(metric: str) -> None:
    assert rejected(message(**{metric: 10**400}), f"'{metric}' is out of range")


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("digits", [19, 20, 30, 300])
def test_it_accepts_an_integer_past_64_bits_as_its_float_value(metric: str, digits: int) -> None:
    value = int("9" * digits)

    result = message(**{metric: value})

    assert isinstance(result, Reading)
    assert getattr(result, metric) == float(value)


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("value", [1.7976931348623157e308, -1.7976931348623157e308, 5e-324, 0])
def test_it_accepts_an_extreme_but_finite_metric(metric: str, value: float) -> None:
    result = getattr(message(**{metric: value}), metric)

    assert result == value
    assert math.isfinite(result)


# --- timestamp -------------------------------------------------------------------------


def test_it_rejects_a_missing_timestamp() -> None:
    assert rejected(message(timestamp=...), "missing 'timestamp'")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-01-29T14:30:45.123456", datetime(2026, 1, 29, 14, 30, 45, 123456, tzinfo=UTC)),
        ("2026-01-29T14:30:45", datetime(2026, 1, 29, 14, 30, 45, tzinfo=UTC)),
        ("2026-01-29 14:30:45", datetime(2026, 1, 29, 14, 30, 45, tzinfo=UTC)),
        ("2026-01-29T14:30:45Z", datetime(2026, 1, 29, 14, 30, 45, tzinfo=UTC)),
        ("2026-01-29T14:30:45.5Z", datetime(2026, 1, 29, 14, 30, 45, 500000, tzinfo=UTC)),
        ("2026-01-29T16:30:45+02:00", datetime(2026, 1, 29, 14, 30, 45, tzinfo=UTC)),
        ("2026-01-29T09:30:45-05:00", datetime(2026, 1, 29, 14, 30, 45, tzinfo=UTC)),
        ("2026-01-29", datetime(2026, 1, 29, tzinfo=UTC)),
    ],
)
def test_it_reads_an_iso_timestamp_without_offset_as_utc_and_converts_offsets(
    value: str, expected: datetime
) -> None:
    timestamp = message(timestamp=value).timestamp

    assert timestamp == expected
    assert timestamp.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1769697045, datetime(2026, 1, 29, 14, 30, 45, tzinfo=UTC)),
        (1769697045.5, datetime(2026, 1, 29, 14, 30, 45, 500000, tzinfo=UTC)),
        (946684800, datetime(2000, 1, 1, tzinfo=UTC)),
    ],
)
def test_it_reads_an_epoch_timestamp_as_utc_seconds(value: float, expected: datetime) -> None:
    assert message(timestamp=value).timestamp == expected


@pytest.mark.parametrize(
    "value",
    [
        "yesterday",
        "",
        "2026-13-01T00:00:00",
        "29/01/2026 14:30",
        "2026-01-29T25:00:00",
        "1769697045",
        "2026-11-30T12:00:00\x00",
        "2026-11-30T12:00:00\x00\x00",
        "2026-11-30T12:00:00Z\x00",
        "\uff12\uff10\uff12\uff16-11-30T12:00:00",  # fullwidth digits
    ],
)
def test_it_rejects_a_timestamp_string_that_is_not_iso(value: str) -> None:
    assert rejected(message(timestamp=value), "not an ISO 8601 date-time")


@pytest.mark.parametrize("value", [True, None, [], {}, [1769697045]])
def test_it_rejects_a_timestamp_of_another_type(value: object) -> None:
    assert rejected(message(timestamp=value), "ISO 8601 string or epoch seconds")


@pytest.mark.parametrize(
    "value",
    [946684799, 946684799.999999, 0, -1, "1999-12-31T23:59:59.999999", "1999-12-31T23:30:00-00:29"],
)
def test_it_rejects_a_timestamp_before_2000(value: object) -> None:
    assert rejected(message(timestamp=value), "before 2000-01-01")


def test_it_accepts_a_timestamp_exactly_at_the_clock_skew_limit() -> None:
    limit = NOW + timedelta(seconds=86400)

    assert message(timestamp=limit.isoformat()).timestamp == limit


@pytest.mark.parametrize(
    "value",
    [
        (NOW + timedelta(seconds=86400, microseconds=1)).isoformat(),
        (NOW + timedelta(days=365)).timestamp(),
        "9999-12-31T23:59:59",
    ],
)
def test_it_rejects_a_timestamp_beyond_the_clock_skew(value: object) -> None:
    assert rejected(message(timestamp=value), "in the future")


def test_it_uses_the_clock_skew_it_is_given() -> None:
    payload = json.dumps(dict(GOOD, timestamp=(NOW + timedelta(seconds=61)).isoformat())).encode()

    result = reading_from_message("sensors/a/data", payload, now=NOW, max_clock_skew_seconds=60)

    assert rejected(result, "more than 60 s in the future")


@pytest.mark.parametrize(
    "literal", [b"1e400", b"-1e400", b"NaN", b"Infinity", b"1" + b"0" * 30, b"-1" + b"0" * 30]
)
def test_it_rejects_an_epoch_timestamp_out_of_range(literal: bytes) -> None:
    payload = json.dumps(dict(GOOD, timestamp=0)).encode()
    payload = payload.replace(b'"timestamp": 0', b'"timestamp": ' + literal)

    assert rejected(message(payload=payload), "'timestamp' is out of range")


def test_it_rejects_an_iso_timestamp_whose_utc_time_is_out_of_range() -> None:
    assert rejected(message(timestamp="0001-01-01T00:00:00+01:00"), "'timestamp' is out of range")
