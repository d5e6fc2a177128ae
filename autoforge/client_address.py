"""Which address a request comes from: one rule for rate limits and login lockouts.

``X-Forwarded-For`` is written by whoever sends the request, so it is
trusted only as far as ``API_TRUSTED_PROXIES`` says: with 0 (the default)
the client is the peer of the connection (``REMOTE_ADDR``); with N proxies
in front, each appending the address it got the request from, the client is
the Nth address from the right, which the nearest proxy wrote and no client
can forge. This is DRF's rule for ``NUM_PROXIES`` (``settings.py`` sets that
to the same number), read at request time so that tests can change it.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str | None:
    """The client's IP address under ``API_TRUSTED_PROXIES``.

    A forwarded entry that is not an IP address (a proxy that does not set
    the header, counted anyway) falls back to ``REMOTE_ADDR``: callers store
    the address in IP address columns.
    """
    remote_addr = request.META.get("REMOTE_ADDR")
    proxies = settings.API_TRUSTED_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if not proxies or not forwarded:
        return remote_addr
    entries = forwarded.split(",")
    candidate = entries[-min(proxies, len(entries))].strip()
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        return remote_addr
    return candidate
