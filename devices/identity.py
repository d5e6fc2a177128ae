"""What a device id is, and which device a topic names (CONTRACT §2).

The lowest layer of the project: readings (``sensors``) and commands
(``control``) both check device ids here, so neither imports the other for it.
"""

from __future__ import annotations

import re

DEVICE_ID_RE = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
DEVICE_ID_RULE = "device id must be 1-64 characters of A-Z a-z 0-9 _ - ."


def device_id_from_topic(topic: str, topic_filter: str) -> str | None:
    """The level of ``topic`` that the ``+`` of ``topic_filter`` matches, or None."""
    filter_levels = topic_filter.split("/")
    topic_levels = topic.split("/")
    if len(filter_levels) != len(topic_levels):
        return None
    device_id = None
    for wanted, got in zip(filter_levels, topic_levels, strict=True):
        if wanted == "+":
            device_id = got
        elif wanted != got:
            return None
    return device_id


def device_id_check(topic: str, topic_filter: str) -> tuple[str, str]:
    """The device id ``topic`` names under ``topic_filter``: (device id, "")
    or ("", why it names none)."""
    device_id = device_id_from_topic(topic, topic_filter)
    if device_id is None:
        return "", f"topic does not match {topic_filter!r}"
    if not DEVICE_ID_RE.fullmatch(device_id):
        return "", DEVICE_ID_RULE
    return device_id, ""


def device_topic(topic_filter: str, device_id: str) -> str:
    """The topic of one device under ``topic_filter``: its ``+`` replaced by the id."""
    return topic_filter.replace("+", device_id, 1)


def ack_topic_filter(control_topic: str) -> str:
    """The filter devices answer on: the command topic with its last level
    replaced by ``ack`` (``control/+/command`` -> ``control/+/ack``).

    When the device id is the last level (``cmd/+``), ``ack`` is appended.
    """
    levels = control_topic.split("/")
    if levels[-1] == "+":
        return f"{control_topic}/ack"
    return "/".join([*levels[:-1], "ack"])
