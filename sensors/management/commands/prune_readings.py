"""``python manage.py prune_readings``: delete raw readings past retention (CONTRACT §1 v2).

Run daily by ``deploy/autoforge-prune.timer``. Safe while the ingest and the
API run: it deletes in short chunks (``sensors.retention``).
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from autoforge.timefmt import iso_utc
from sensors.retention import readings_prune, retention_cutoff


class Command(BaseCommand):
    help = "Delete raw readings older than READINGS_RETENTION_DAYS, in chunks; rollups stay."

    def handle(self, *args, **options) -> None:
        days = settings.READINGS_RETENTION_DAYS
        if days == 0:
            self.stdout.write("Retention is off (READINGS_RETENTION_DAYS=0): nothing deleted.")
            return
        cutoff = retention_cutoff(days=days)
        self.stdout.write(
            f"Deleting readings dated before {iso_utc(cutoff)} (READINGS_RETENTION_DAYS={days})..."
        )
        progress = {"deleted": 0}

        def report(deleted: int) -> None:
            progress["deleted"] += deleted
            if options["verbosity"] >= 2:
                self.stdout.write(f"  {progress['deleted']:,} deleted so far")

        total = readings_prune(older_than=cutoff, on_chunk=report)
        self.stdout.write(f"Deleted {total:,} readings dated before {iso_utc(cutoff)}.")
