from __future__ import annotations

from django.apps import AppConfig


class AlarmsConfig(AppConfig):
    name = "alarms"
    verbose_name = "Alarms"

    def ready(self) -> None:
        from alarms.selectors import alarms_active_count
        from autoforge.scrape_gauges import scrape_gauge_register

        scrape_gauge_register(
            "autoforge_alarms_active",
            "Alarms active now (threshold and offline).",
            alarms_active_count,
        )
