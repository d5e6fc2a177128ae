from __future__ import annotations

from django.apps import AppConfig


class DevicesConfig(AppConfig):
    name = "devices"
    verbose_name = "Devices"

    def ready(self) -> None:
        from autoforge.scrape_gauges import scrape_gauge_register
        from devices.selectors import devices_online_now

        scrape_gauge_register(
            "autoforge_devices_online",
            "Devices with a reading stored within DEVICE_OFFLINE_AFTER_SECONDS.",
            devices_online_now,
        )
