from __future__ import annotations

from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """The page at ``/``: server-rendered, kept live by ``dashboard.js`` through the JSON API."""

    name = "dashboard"
    verbose_name = "Dashboard"
