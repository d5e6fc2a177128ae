"""Whatever arrives on the wire, validation answers a Reading or a Rejection."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sensors.validation import (
    DEVICE_ID_RE,
    EARLIEST_TIMESTAMP,
    Reading,
    Rejection,
    reading_from_message,
)

NOW = datetime(2026, 1, 29, 15, 0, 0, tzinfo=UTC)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=20,
)
metric_values = (
    st.floats(allow_nan=True, allow_infinity=True)
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.from_regex(r"\s*[+-]?\d{0,400}(\.\d*)?([eE][+-]?\d{1,4})?\s*", fullmatch=True)
    | json_values
)
timestamp_values = (
    st.datetimes(timezones=st.timezones() | st.none()).map(lambda moment: moment.isoformat())
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.text(max_size=40)
    | json_values
)
topics = st.text(max_size=80) | st.builds(
    "sensors/{}/data".format, st.text(max_size=70) | st.from_regex(DEVICE_ID_RE, fullmatch=True)
)


def assert_valid_outcome(result: object) -> None:
    assert isinstance(result, (Reading, Rejection))
    if isinstance(result, Reading):
        assert DEVICE_ID_RE.fullmatch(result.device_id)
        for value in (result.temperature, result.vibration, result.gas, result.power):
            assert type(value) is float
            assert math.isfinite(value)
        assert result.timestamp.utcoffset() == timedelta(0)
        assert EARLIEST_TIMESTAMP <= result.timestamp <= NOW + timedelta(days=1)
    else:
        assert result.reason


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(topic=topics, payload=st.binary(max_size=20_000))
def test_it_never_raises_on_arbitrary_bytes(topic: str, payload: bytes) -> None:
    assert_valid_outcome(reading_from_message(topic, payload, now=NOW))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(topic=topics, document=json_values)
def test_it_never_raises_on_arbitrary_json(topic: str, document: object) -> None:
    payload = json.dumps(document).encode()

    assert_valid_outcome(reading_from_message(topic, payload, now=NOW))


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(
    topic=topics,
    temperature=metric_values,
    vibration=metric_values,
    gas=metric_values,
    power=metric_values,
    timestamp=timestamp_values,
    extra=st.dictionaries(st.text(max_size=10), json_values, max_size=3),
)
def test_it_never_raises_on_reading_shaped_json(
    topic: str,
    temperature: object,
    vibration: object,
    gas: object,
    power: object,
    timestamp: object,
    extra: dict,
) -> None:
    document = {
        **extra,
        "temperature": temperature,
        "vibration": vibration,
        "gas": gas,
        "power": power,
        "timestamp": timestamp,
    }
    payload = json.dumps(document).encode()

    assert_valid_outcome(reading_from_message(topic, payload, now=NOW))


@settings(max_examples=200)
@given(topic=st.text(), payload=st.binary(max_size=64))
def test_it_never_raises_on_odd_unicode_topics(topic: str, payload: bytes) -> None:
    assert_valid_outcome(reading_from_message(topic, payload, now=NOW, topic_filter="+"))
