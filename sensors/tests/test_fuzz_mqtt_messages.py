"""Fuzzing the real ingest: whatever bytes arrive on either topic, readings keep being stored.

One ``mqtt_ingest`` process, one private broker and the test database for the
whole run; hypothesis sends each example's messages on the sensor and the
answer topics, then one valid reading, which must be stored within seconds
while the process stays alive. Bounded (``max_examples``) so that CI stays
quick; derandomized so that a failure in CI is a failure on every run.
"""

from __future__ import annotations

import itertools
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from control.models import Command
from control.services import command_create
from sensors.models import DeadLetter, SensorReading
from sensors.tests.ingest_process import open_publisher, reading_payload, start_ingest, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

DEVICE_IDS = st.sampled_from(["dev-1", "dev-2", "a.b_c-9", "bad id", "x" * 65, "ü", "dev-1/x"])

# JSON values written as text, so that what json.dumps would never write (NaN,
# 1e309, lone surrogates, NUL, deep nesting) reaches the ingest too.
SCALAR_TEXT = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(
        ["NaN", "Infinity", "-Infinity", "1e309", "-1e309", "true", "null", "1e-400", "0x10"]
    ),
    st.sampled_from(['"\\ud800"', '"\\udfff"', '"a\\u0000"', '"\\u0000"', '"24.5"', '"  7 "']),
    st.text(max_size=20).map(json.dumps),
    st.sampled_from(['"2026-11-30T12:00:00\\u0000"', '"2026-01-01T00:00:00"', "1767225600"]),
)
JSON_TEXT = st.recursive(
    SCALAR_TEXT,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(lambda items: "[" + ",".join(items) + "]"),
        st.dictionaries(
            st.sampled_from(['"a"', '"\\udfff"', '"detail"', '"t"']), inner, max_size=3
        ).map(lambda d: "{" + ",".join(f"{k}:{v}" for k, v in d.items()) + "}"),
    ),
    max_leaves=8,
)
READING_KEYS = ["temperature", "vibration", "gas", "power", "timestamp"]


@st.composite
def reading_like(draw) -> bytes:
    """A reading with some of its fields replaced by any JSON text, or left out."""
    fields = {key: draw(SCALAR_TEXT) for key in READING_KEYS if draw(st.booleans())}
    for key in READING_KEYS:
        fields.setdefault(key, '"2026-06-01T00:00:00"' if key == "timestamp" else "1.5")
    if draw(st.booleans()):
        fields.pop(draw(st.sampled_from(READING_KEYS)))
    return ("{" + ",".join(f'"{k}":{v}' for k, v in fields.items()) + "}").encode(
        "utf-8", "surrogatepass"
    )


@st.composite
def answer_like(draw, command_ids: list[int]) -> bytes:
    """An answer whose id, status and detail are each right or any JSON text."""
    command_id = draw(st.one_of(st.sampled_from(command_ids).map(str), SCALAR_TEXT))
    status = draw(st.one_of(st.sampled_from(['"ok"', '"error"']), SCALAR_TEXT))
    parts = [f'"id":{command_id}', f'"status":{status}']
    if draw(st.booleans()):
        parts.append(f'"detail":{draw(JSON_TEXT)}')
    return ("{" + ",".join(parts) + "}").encode("utf-8", "surrogatepass")


def messages(command_ids: list[int]):
    payloads = st.one_of(
        st.binary(max_size=512),
        reading_like(),
        answer_like(command_ids),
        JSON_TEXT.map(lambda text: text.encode("utf-8", "surrogatepass")),
        st.sampled_from([b"", b"\x00" * 64, b"[" * 5000, b"{" + b" " * 17000 + b"}"]),
    )
    topics = st.one_of(
        DEVICE_IDS.map(lambda device: f"sensors/{device}/data"),
        DEVICE_IDS.map(lambda device: f"control/{device}/ack"),
    )
    return st.lists(st.tuples(topics, payloads), min_size=1, max_size=6)


def test_no_message_stops_or_stalls_the_storing_of_valid_readings(
    request, mosquitto, subprocess_env, tmp_path
):
    commands = [
        command_create(device_id=device, command="reboot", ttl_seconds=3600)
        for device in ("dev-1", "dev-1", "dev-2")
    ]
    ingest = start_ingest(request, subprocess_env, tmp_path / "ingest.log")
    publisher = open_publisher(request, mosquitto)
    wait_until(lambda: not Command.objects.filter(status="pending").exists(), what="commands sent")
    numbers = itertools.count()
    sent = {"fuzz": 0, "valid": 0}

    @settings(
        max_examples=60,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(batch=messages([command.id for command in commands]))
    def each_example(batch) -> None:
        number = next(numbers)
        publisher.publish([*batch, ("sensors/marker/data", reading_payload(number))])
        sent["fuzz"] += len(batch)
        sent["valid"] += 1
        wait_until(
            lambda: SensorReading.objects.filter(device_id="marker").count() == sent["valid"],
            timeout=15,
            what=f"valid reading {number} stored after the fuzzed messages",
        )
        assert ingest.running

    each_example()

    assert ingest.terminate() == 0
    assert DeadLetter.objects.count() <= sent["fuzz"]
    assert "Traceback" not in ingest.log()
