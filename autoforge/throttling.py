"""Rate limits whose rates are read from Django settings at request time.

DRF's own throttle classes copy ``DEFAULT_THROTTLE_RATES`` when the module is
imported; these read ``API_THROTTLE_ANON`` / ``API_THROTTLE_USER`` whenever a
request is checked (DRF makes a throttle per request), so a changed setting —
in tests, the ``settings`` fixture — applies at once. An empty rate means no
limit. Counters live in Django's cache (per process with the default
local-memory cache; configure a shared cache to limit across workers).
Anonymous clients are counted by :func:`autoforge.client_address.client_address`,
which trusts ``X-Forwarded-For`` only as far as ``API_TRUSTED_PROXIES`` says.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework import throttling

from autoforge.client_address import client_address


class AnonRateThrottle(throttling.AnonRateThrottle):
    """Anonymous clients, by IP address: ``API_THROTTLE_ANON`` (e.g. ``600/min``)."""

    def get_rate(self) -> str | None:
        return settings.API_THROTTLE_ANON or None

    def get_ident(self, request) -> str | None:
        # DRF's own rule trusts any X-Forwarded-For when NUM_PROXIES is unset,
        # so a client could pick a fresh identity per request.
        return client_address(request)


class UserRateThrottle(throttling.UserRateThrottle):
    """Authenticated users, by user id: ``API_THROTTLE_USER`` (empty: unlimited)."""

    def get_rate(self) -> str | None:
        return settings.API_THROTTLE_USER or None
