"""What goes over MQTT for device commands (CONTRACT §2).

Pure: no Django settings, no database, no paho. Builds the command payload
and turns a device's answer into an ``Answer`` or a ``Rejection``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from autoforge.storable_json import storable_json_problem
from autoforge.timefmt import iso_utc
from devices.identity import ack_topic_filter as ack_topic_filter  # the outbox's name for it
from devices.identity import device_id_check, device_topic

#: A device's answer is a few fields; anything bigger is not one.
MAX_ANSWER_BYTES = 16 * 1024
#: ``detail`` as JSON, at most (CONTRACT §2).
MAX_DETAIL_BYTES = 1024
#: Ids are 64-bit database keys; a bigger number cannot be one.
MAX_COMMAND_ID = 2**63


@dataclass(frozen=True, slots=True)
class Answer:
    """A well-formed answer from a device to one of its commands."""

    device_id: str
    command_id: int
    ok: bool
    detail: Any


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a message on the ack topic is not an answer."""

    reason: str


def command_topic(control_topic: str, device_id: str) -> str:
    """The topic one device receives its commands on."""
    return device_topic(control_topic, device_id)


def command_payload(
    *, command_id: int, command: str, parameters: dict, issued_at: datetime
) -> bytes:
    """The JSON a device receives (CONTRACT §2)."""
    document = {
        "id": command_id,
        "command": command,
        "parameters": parameters,
        "issued_at": iso_utc(issued_at),
    }
    return json.dumps(document, separators=(",", ":")).encode("utf-8")


def answer_from_message(topic: str, payload: bytes, *, topic_filter: str) -> Answer | Rejection:
    """Validate ``{"id", "status": "ok"|"error", "detail"?}`` on ``topic`` (CONTRACT §2).

    Strict JSON only (orjson): no NaN or Infinity, no number that overflows
    to infinity, no lone surrogate, valid UTF-8. ``id`` must be a JSON
    integer; ``detail``, when present, at most 1 KiB of JSON that every
    supported database can store (``storable_json``).
    """
    device_id, problem = device_id_check(topic, topic_filter)
    if problem:
        return Rejection(problem)
    if len(payload) > MAX_ANSWER_BYTES:
        return Rejection(f"payload is {len(payload)} bytes, more than {MAX_ANSWER_BYTES}")
    try:
        document = orjson.loads(payload)
    except orjson.JSONDecodeError as error:
        return Rejection(f"payload is not valid UTF-8 JSON ({error})"[:200])
    if not isinstance(document, dict):
        return Rejection("payload must be a JSON object")
    command_id = document.get("id")
    if type(command_id) is not int or not 0 < command_id < MAX_COMMAND_ID:
        return Rejection("'id' must be a positive JSON integer (the command's id)")
    status = document.get("status")
    if status not in ("ok", "error"):
        return Rejection('\'status\' must be "ok" or "error"')
    detail = document.get("detail")
    problem = _detail_problem(detail)
    if problem:
        return Rejection(problem)
    return Answer(device_id=device_id, command_id=command_id, ok=status == "ok", detail=detail)


def _detail_problem(detail: Any) -> str:
    """Why ``detail`` cannot be kept, or ""."""
    size = len(orjson.dumps(detail))
    if size > MAX_DETAIL_BYTES:
        return f"'detail' is {size} bytes of JSON, more than {MAX_DETAIL_BYTES}"
    problem = storable_json_problem(detail)
    return f"'detail' {problem}" if problem else ""
