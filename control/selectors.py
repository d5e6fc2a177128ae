"""The reads of device control: for the API and for the outbox's poll."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet

from control.models import Command


def command_get(*, command_id: int) -> Command | None:
    """One command by id, or None."""
    return Command.objects.select_related("created_by").filter(id=command_id).first()


def command_list(*, device_id: str | None = None) -> QuerySet[Command]:
    """Commands, newest first; one device's when ``device_id`` is given."""
    commands = Command.objects.select_related("created_by")
    if device_id is not None:
        commands = commands.filter(device_id=device_id)
    return commands.order_by("-created_at", "-id")


def commands_to_publish(*, now: datetime, limit: int) -> list[Command]:
    """Pending, unexpired commands that no worker holds, oldest first.

    Served by the (status, expires_at) index; when nothing is pending it reads
    no rows, which is what keeps a poll every half second cheap.
    """
    return list(
        Command.objects.filter(status=Command.Status.PENDING, expires_at__gt=now)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
        .order_by("created_at", "id")
        .only("id", "device_id", "command", "parameters", "created_at")[:limit]
    )


def commands_overdue_ids(*, now: datetime, limit: int) -> list[int]:
    """Ids of pending or sent commands whose expiry time has passed."""
    return list(
        Command.objects.filter(status__in=Command.OPEN_STATUSES, expires_at__lte=now).values_list(
            "id", flat=True
        )[:limit]
    )


def commands_pending_count(*, now: datetime) -> int:
    """Pending commands not yet expired: the outbox's depth, across every worker."""
    return Command.objects.filter(status=Command.Status.PENDING, expires_at__gt=now).count()
