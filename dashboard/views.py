"""``GET /``: the dashboard.

The page is rendered here with what the registry knows (every device, online
or offline, last seen), so it is useful without JavaScript; ``dashboard.js``
then keeps it live and draws the charts from the JSON API (``/api/devices``,
``/api/sensors/aggregate``, ``/api/control``, ``/api/alarms``) like any other client. Nothing
else of the other apps is imported: the view reads the registry's model, and
the permissions decide which parts are rendered.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from devices.models import Device

#: /api/devices gives at most this many a page; the page lists that many.
MAX_DEVICES = 1000

RANGES = [("1h", "1 hour"), ("24h", "24 hours"), ("7d", "7 days"), ("30d", "30 days")]
RANGES.append(("custom", "Custom"))
METRICS = [("temperature", "Temperature"), ("vibration", "Vibration"), ("gas", "Gas")]
METRICS.append(("power", "Power"))


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    user = request.user
    if settings.API_READS_REQUIRE_AUTH and not user.is_authenticated:
        # The API would refuse the page's reads: ask for a login first.
        return redirect_to_login(request.get_full_path())

    offline_before = timezone.now() - timedelta(seconds=settings.DEVICE_OFFLINE_AFTER_SECONDS)
    devices = list(Device.objects.order_by("device_id")[:MAX_DEVICES])
    for device in devices:
        device.online = device.last_seen is not None and device.last_seen >= offline_before

    selected_id = request.GET.get("device") or None
    selected = next((d for d in devices if d.device_id == selected_id), None)
    if selected is None and selected_id:
        selected = Device.objects.filter(device_id=selected_id).first()
    chosen_range = request.GET.get("range")
    if chosen_range not in dict(RANGES):
        chosen_range = "24h"

    can_send = user.has_perm("control.add_command")
    can_view_commands = can_send or user.has_perm("control.view_command")
    config = {
        "urls": {
            "devices": reverse("device-list"),
            "aggregate": reverse("sensors-aggregate"),
            "stream": reverse("sensors-stream"),
            "commands": reverse("command-list"),
            "alarms": reverse("alarm-list"),
        },
        "device": selected_id,
        "range": chosen_range,
        "since": request.GET.get("since") or "",
        "until": request.GET.get("until") or "",
        "canViewCommands": can_view_commands,
        "canSendCommands": can_send,
        # The stream brings readings as they are stored; the poll catches what it
        # cannot (a device going offline, command status).
        "pollSeconds": 10,
        "maxDevices": MAX_DEVICES,
    }
    context = {
        "devices": devices,
        "selected": selected,
        "selected_id": selected_id,
        "ranges": RANGES,
        "chosen_range": chosen_range,
        "config": config,
        "can_send_commands": can_send,
        "can_view_commands": can_view_commands,
        "metrics": METRICS,
    }
    return render(request, "dashboard/index.html", context)
