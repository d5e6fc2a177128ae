"""The JSON renderer (orjson) writes the bytes DRF's own renderer writes."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from uuid import UUID

import numpy as np
import pytest
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import ErrorDetail
from rest_framework.renderers import JSONRenderer as DRFJSONRenderer
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from autoforge.renderers import JSONFragment, JSONRenderer

SAME_BYTES = [
    {"count": 2, "data": [{"id": 1, "temperature": 24.5, "device_id": "press-1"}], "next": None},
    {"flags": [True, False], "text": "é ü 漢字 🙂", "empty": {}, "nested": [[1], []]},
    {"at": datetime(2026, 1, 29, 14, 30, 45, 123456, tzinfo=UTC), "day": date(2026, 1, 29)},
    {"clock": time(14, 30, 45, 123), "for": timedelta(seconds=90)},
    {"decimal": Decimal("1.10"), "uuid": UUID("12345678-1234-5678-1234-567812345678")},
    {"lazy": gettext_lazy("Not found."), "error": ErrorDetail("bad", code="invalid")},
    ReturnDict({"a": 1}, serializer=None),
    ReturnList([{"b": 2}], serializer=None),
    {"separators": "a\u2028b\u2029c"},
    {1: "integer key"},
    {"big": 2**70, "tuple": (1, 2)},
    {"floats": [0.1 + 0.2, 1e20, -0.0, 250.5, 20.0]},
    ["a list at the top"],
]


@pytest.mark.parametrize("data", SAME_BYTES)
def test_it_writes_the_same_bytes_as_drf(data) -> None:
    assert JSONRenderer().render(data) == DRFJSONRenderer().render(data)


def test_numpy_arrays_read_back_as_their_lists() -> None:
    column = np.array([24.5, 1e-05, 0.1 + 0.2, 250.0])

    rendered = JSONRenderer().render({"temperatures": column})

    assert json.loads(rendered) == {"temperatures": column.tolist()}


def test_a_lone_surrogate_becomes_a_replacement_character() -> None:
    rendered = JSONRenderer().render({"detail": "a\ud800b"})

    assert json.loads(rendered) == {"detail": "a\ufffdb"}


def test_an_indented_response_is_still_indented() -> None:
    rendered = JSONRenderer().render({"a": 1}, "application/json; indent=2")

    assert rendered == b'{\n  "a": 1\n}'


def test_nothing_renders_as_an_empty_body() -> None:
    assert JSONRenderer().render(None) == b""


def test_a_json_fragment_is_written_as_it_is() -> None:
    rendered = JSONRenderer().render(
        {"timestamps": JSONFragment(b'["2026-01-29T14:30:45.000000Z"]')}
    )

    assert rendered == b'{"timestamps":["2026-01-29T14:30:45.000000Z"]}'


def test_a_json_fragment_in_an_indented_response_is_indented_with_the_rest() -> None:
    data = {"count": 1, "items": JSONFragment(b'[1,{"a":2.5}]')}

    rendered = JSONRenderer().render(data, "application/json; indent=2")

    assert rendered == json.dumps({"count": 1, "items": [1, {"a": 2.5}]}, indent=2).encode()
