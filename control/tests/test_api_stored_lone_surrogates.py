"""A command stored with lone surrogates in its JSON renders in the API, as U+FFFD.

Which engines can hold such a row: see ``control/tests/stored_surrogates.py``.
"""

from __future__ import annotations

import pytest

from control.services import command_create
from control.tests.stored_surrogates import (
    BAD_DETAILS,
    SHOWN_PARAMETERS,
    store_command_with_lone_surrogates,
)
from control.tests.test_api_send_command import token_client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("detail", "shown"), BAD_DETAILS)
def test_one_command_renders_with_replacement_characters(viewer, detail, shown):
    command = store_command_with_lone_surrogates(detail)

    response = token_client(viewer).get(f"/api/control/{command.id}")

    assert response.status_code == 200
    assert response.json()["detail"] == shown
    assert response.json()["parameters"] == SHOWN_PARAMETERS
    assert response.json()["status"] == "failed"


@pytest.mark.parametrize(("detail", "shown"), BAD_DETAILS)
def test_the_command_list_renders_with_replacement_characters(viewer, detail, shown):
    store_command_with_lone_surrogates(detail)
    command_create(device_id="dev-2", command="ping", parameters={"é": "😀"}, ttl_seconds=300)

    response = token_client(viewer).get("/api/control")

    assert response.status_code == 200
    newest, oldest = response.json()["data"]
    assert newest["parameters"] == {"é": "😀"}
    assert (oldest["detail"], oldest["parameters"]) == (shown, SHOWN_PARAMETERS)


def test_a_response_without_surrogates_is_untouched(viewer):
    parameters = {"é": "😀 \u2028"}
    command_create(device_id="dev-2", command="ping", parameters=parameters, ttl_seconds=300)

    response = token_client(viewer).get("/api/control")

    assert "é".encode() in response.content
    assert b"\\u2028" in response.content  # DRF's escape of a JavaScript line break
    assert response.json()["data"][0]["parameters"] == parameters
