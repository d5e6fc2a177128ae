"""A command row holding lone surrogates in its JSON, on the engines that can hold one.

A device's answer ``{"detail": "\\ud800"}`` decodes to text that is no
Unicode. The ingest now refuses such answers, but a row stored before may
hold one: SQLite keeps the JSON text with the escape, and loading it gives
the lone surrogate back. PostgreSQL's jsonb and MariaDB's ``JSON_VALID``
check refuse that text, from the ORM and from raw SQL alike; there the
tests check the refusal and skip, since no such row can exist.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import DataError, IntegrityError, connection, transaction

from control.models import Command
from control.services import command_create

BAD_PARAMETERS = {"x": "\ud800", "\udfff": 1}
SHOWN_PARAMETERS = {"x": "\ufffd", "\ufffd": 1}
# (stored detail, as the API shows it)
BAD_DETAILS = [
    ("\ud800", "\ufffd"),
    ({"\udfff": "ok"}, {"\ufffd": "ok"}),
    (
        {"trace": ["a\udc00b", {"n": 1, "k\ud83d": None}]},
        {"trace": ["a\ufffdb", {"n": 1, "k\ufffd": None}]},
    ),
]
REFUSED_BY = {
    "postgresql": "PostgreSQL's jsonb refuses a lone surrogate",
    "mysql": "MariaDB's JSON_VALID check refuses a lone surrogate",
}


def store_command_with_lone_surrogates(detail: Any) -> Command:
    """A failed command with :data:`BAD_PARAMETERS` and ``detail``, loaded back."""
    command = command_create(device_id="dev-1", command="reboot", ttl_seconds=300)
    try:
        with transaction.atomic():
            Command.objects.filter(pk=command.pk).update(
                status=Command.Status.FAILED, parameters=BAD_PARAMETERS, detail=detail
            )
    except (DataError, IntegrityError):
        _store_with_raw_sql_or_skip(command.pk, detail)
    stored = Command.objects.get(pk=command.pk)
    assert (stored.parameters, stored.detail) == (BAD_PARAMETERS, detail)
    return stored


def _store_with_raw_sql_or_skip(command_id: int, detail: Any) -> None:
    table = connection.ops.quote_name(Command._meta.db_table)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET status = %s, parameters = %s, detail = %s WHERE id = %s",
                ["failed", json.dumps(BAD_PARAMETERS), json.dumps(detail), command_id],
            )
        return
    except (DataError, IntegrityError) as error:
        refusal = str(error).splitlines()[0]
    assert connection.vendor in REFUSED_BY, refusal  # SQLite must hold it: test it there
    pytest.skip(f"{REFUSED_BY[connection.vendor]}: no such row can be stored ({refusal})")
