"""``manage.py rebuild_rollups``: every rollup and the device registry, again from the readings.

Device by device, each in a transaction that holds the device's registry
row, so it is safe while the ingest runs; then the fleet's rows, holding the
readings' write lock. A progress bar on a terminal.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand
from tqdm import tqdm

from devices.models import Device
from sensors.models import SensorReading
from sensors.services import device_derived_rebuild, fleet_rollups_rebuild


class Command(BaseCommand):
    help = "Recompute every rollup and the device registry from the stored readings."

    def handle(self, *args: object, **options: object) -> None:
        device_ids = sorted(
            set(SensorReading.objects.order_by().values_list("device_id", flat=True).distinct())
            | set(Device.objects.values_list("device_id", flat=True))
        )
        rows = 0
        progress = tqdm(device_ids, unit="device", disable=not sys.stderr.isatty(), file=sys.stderr)
        for device_id in progress:
            progress.set_postfix_str(device_id)
            rows += device_derived_rebuild(device_id=device_id)
        # Then the whole fleet's rows, from the devices' rows just rebuilt.
        rows += fleet_rollups_rebuild()
        self.stdout.write(
            f"Rebuilt the rollups ({rows} rows) and registry of {len(device_ids)} devices."
        )
