"""The writes of device control: create a command and move it through its life cycle.

Life cycle (CONTRACT §2-3)::

    pending --PUBACK--> sent --device "ok"--> acknowledged
       |                  \\--device "error"--> failed
       \\--------------------\\--no answer within the TTL--> expired

Every transition is one conditional UPDATE (``WHERE status IN (...)``), so it
is atomic on every database and safe with several ingest workers: whichever
worker gets there first wins, the others change nothing. A final status
(acknowledged, failed, expired) never changes again.

Delivery is at least once: a worker claims a pending command for
``lease_seconds`` before publishing it; if it dies before the broker's PUBACK,
the claim lapses and the command is published again (by any worker). Devices
drop a command whose ``id`` they have already handled.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import DateTimeField, F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from control.models import Command

OPEN = Command.OPEN_STATUSES


def command_create(
    *,
    device_id: str,
    command: str,
    parameters: dict | None = None,
    created_by: AbstractBaseUser | None = None,
    ttl_seconds: int,
    now: datetime | None = None,
) -> Command:
    """Store a new ``pending`` command; the outbox publishes it."""
    now = now or timezone.now()
    user = created_by if created_by is not None and created_by.is_authenticated else None
    return Command.objects.create(
        device_id=device_id,
        command=command,
        parameters=parameters or {},
        created_by=user,
        created_at=now,
        expires_at=now + timedelta(seconds=ttl_seconds),
    )


def command_claim(*, command_id: int, now: datetime, lease_seconds: float) -> bool:
    """Take a pending, unexpired, unclaimed command for publishing.

    True when this caller got it (and must publish it now); False when another
    worker holds it or it is no longer pending.
    """
    claimed = (
        Command.objects.filter(id=command_id, status=Command.Status.PENDING, expires_at__gt=now)
        .exclude(claimed_until__gt=now)
        .update(
            claimed_until=now + timedelta(seconds=lease_seconds),
            publish_count=F("publish_count") + 1,
        )
    )
    return claimed == 1


def commands_release(*, command_ids: list[int]) -> int:
    """Give back claims on commands that were not (or may not have been)
    delivered to the broker, so they are published again at once."""
    if not command_ids:
        return 0
    return Command.objects.filter(id__in=command_ids, status=Command.Status.PENDING).update(
        claimed_until=None
    )


def command_mark_sent(*, command_id: int, now: datetime) -> bool:
    """The broker accepted the publish (PUBACK): ``pending`` -> ``sent``.

    False when the command had moved on already (answered, expired, or a
    second PUBACK for a republished copy).
    """
    updated = Command.objects.filter(id=command_id, status=Command.Status.PENDING).update(
        status=Command.Status.SENT, sent_at=now, claimed_until=None
    )
    return updated == 1


class AnswerOutcome(Enum):
    """What recording a device's answer did."""

    RECORDED = "recorded"
    UNKNOWN_COMMAND = "unknown command"
    WRONG_DEVICE = "command is for another device"
    ALREADY_FINISHED = "command is already finished"


def command_record_answer(
    *, device_id: str, command_id: int, ok: bool, detail: Any, now: datetime
) -> AnswerOutcome:
    """The device answered: ``pending``/``sent`` -> ``acknowledged`` or ``failed``.

    An answer can overtake the PUBACK, so a pending command can be answered
    too; ``sent_at`` is then filled in with the time of the answer.
    """
    updated = Command.objects.filter(id=command_id, device_id=device_id, status__in=OPEN).update(
        status=Command.Status.ACKNOWLEDGED if ok else Command.Status.FAILED,
        acknowledged_at=now,
        sent_at=Coalesce(F("sent_at"), Value(now, output_field=DateTimeField())),
        detail=detail,
        claimed_until=None,
    )
    if updated == 1:
        return AnswerOutcome.RECORDED
    found = Command.objects.filter(id=command_id).values_list("device_id", flat=True).first()
    if found is None:
        return AnswerOutcome.UNKNOWN_COMMAND
    if found != device_id:
        return AnswerOutcome.WRONG_DEVICE
    return AnswerOutcome.ALREADY_FINISHED


def commands_expire(*, command_ids: list[int], now: datetime) -> int:
    """``pending``/``sent`` commands past their expiry time -> ``expired``."""
    if not command_ids:
        return 0
    return Command.objects.filter(id__in=command_ids, status__in=OPEN, expires_at__lte=now).update(
        status=Command.Status.EXPIRED, claimed_until=None
    )
