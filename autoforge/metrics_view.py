"""``GET /metrics``: Prometheus text format for the web process (CONTRACT §3).

Not part of the REST API: a plain Django view, so it is in neither the
OpenAPI document nor the API's throttle. With ``METRICS_TOKEN`` set it wants
``Authorization: Bearer <METRICS_TOKEN>`` (compared in constant time);
empty, it is public.
"""

from __future__ import annotations

import hmac
import os

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_safe
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.multiprocess import MultiProcessCollector

from autoforge.scrape_gauges import ScrapeGaugeCollector

_scrape_gauges = CollectorRegistry()
_scrape_gauges.register(ScrapeGaugeCollector())


def bearer_token_matches(authorization: str, token: str) -> bool:
    """Whether an ``Authorization`` header carries ``Bearer <token>``."""
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(credentials.strip().encode(), token.encode())


def metrics_text() -> bytes:
    """Every metric of the web process: each worker's counters added up, then
    the gauges computed from the database now."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        counters = generate_latest(registry)
    else:  # one process (runserver, the tests' client)
        counters = generate_latest(REGISTRY)
    return counters + generate_latest(_scrape_gauges)


@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    token = settings.METRICS_TOKEN
    if token and not bearer_token_matches(request.headers.get("Authorization", ""), token):
        response = JsonResponse({"message": "A valid metrics token is required."}, status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(metrics_text(), content_type=CONTENT_TYPE_PLAIN_0_0_4)
