"""Request counts and latency of the web process, by method, view and status.

The view label is the URL pattern's name (``sensors-latest``, ``device-detail``),
never the path, so a device id or any other part of a URL cannot become a
label; a request that matched no route is ``unmatched``. Under gunicorn these
metrics live in prometheus-client's multiprocess files (deploy/gunicorn.conf.py)
and ``/metrics`` adds up every worker's.

Latency is until the response is handed on: for the live stream that is when
it starts, not when it ends.
"""

from __future__ import annotations

import time

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponseBase
from prometheus_client import Counter, Histogram

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)

REQUESTS = Counter(
    "autoforge_http_requests",
    "HTTP requests answered, by method, view and status.",
    ["method", "view", "status"],
)
LATENCY = Histogram(
    "autoforge_http_request_duration_seconds",
    "Time to answer an HTTP request (to the start of a streamed one), by method and view.",
    ["method", "view"],
    buckets=LATENCY_BUCKETS,
)


def request_labels(request: HttpRequest) -> tuple[str, str]:
    """``(method, view)`` of a request, from a small fixed set of values each."""
    method = request.method if request.method in METHODS else "other"
    match = getattr(request, "resolver_match", None)
    view = (match.view_name or "unnamed") if match is not None else "unmatched"
    return method, view


def request_observe(request: HttpRequest, response: HttpResponseBase, seconds: float) -> None:
    method, view = request_labels(request)
    REQUESTS.labels(method, view, str(response.status_code)).inc()
    LATENCY.labels(method, view).observe(seconds)


class HttpMetricsMiddleware:
    """Counts and times every response that passes it (sync or async)."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest):
        if self.is_async:
            return self._async_call(request)
        started = time.perf_counter()
        response = self.get_response(request)
        request_observe(request, response, time.perf_counter() - started)
        return response

    async def _async_call(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        response = await self.get_response(request)
        request_observe(request, response, time.perf_counter() - started)
        return response
