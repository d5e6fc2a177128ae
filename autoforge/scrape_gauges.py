"""Gauges that the web's ``/metrics`` computes at scrape time, from the database.

A gauge kept in a web worker's memory would be one worker's view, and under
several gunicorn workers Prometheus would see whichever answered. What the
database knows (devices online, and so on) is asked when scraped instead.

An app adds one in its ``AppConfig.ready()``::

    scrape_gauge_register(
        "autoforge_devices_online", "Devices with a reading stored recently.", devices_online_now
    )
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ScrapeGauge:
    name: str
    documentation: str
    value: Callable[[], float]


_gauges: dict[str, ScrapeGauge] = {}


def scrape_gauge_register(name: str, documentation: str, value: Callable[[], float]) -> None:
    """Add (or replace) the gauge ``name``; ``value()`` is called at each scrape."""
    _gauges[name] = ScrapeGauge(name, documentation, value)


class ScrapeGaugeCollector(Collector):
    """Collects every registered gauge. One that fails (the database is down)
    is left out of that scrape and logged; the others are still served."""

    def collect(self) -> Iterator[Metric]:
        for gauge in list(_gauges.values()):
            try:
                value = gauge.value()
            except Exception:
                logger.exception("Metric %s could not be computed", gauge.name)
                continue
            yield GaugeMetricFamily(gauge.name, gauge.documentation, value=value)
