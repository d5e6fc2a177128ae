"""Routes: the REST API under /api (one DRF router), its OpenAPI docs, the admin,
the Prometheus metrics and the dashboard."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from rest_framework.routers import SimpleRouter

from alarms.views import AlarmRuleViewSet, AlarmViewSet
from autoforge.api_docs import SchemaView, SwaggerUIView
from autoforge.metrics_view import metrics
from control.views import CommandViewSet
from devices.views import DeviceCredentialsView
from sensors.device_views import DeviceViewSet
from sensors.views import HealthView, SensorReadingViewSet

router = SimpleRouter(trailing_slash=False)
router.register("sensors", SensorReadingViewSet, basename="sensors")
router.register("control", CommandViewSet, basename="command")
router.register("devices", DeviceViewSet, basename="device")
router.register("alarm-rules", AlarmRuleViewSet, basename="alarm-rule")
router.register("alarms", AlarmViewSet, basename="alarm")

urlpatterns = [
    path("api/health", HealthView.as_view(), name="health"),
    path(
        "api/devices/<str:device_id>/credentials",
        DeviceCredentialsView.as_view(),
        name="device-credentials",
    ),
    path("api/", include(router.urls)),
    path("api/schema", SchemaView.as_view(), name="schema"),
    path("api/docs", SwaggerUIView.as_view(), name="docs"),
    path("admin/", admin.site.urls),
    # Prometheus text format; outside /api (not in the schema nor the throttle).
    path("metrics", metrics, name="metrics"),
    # The dashboard at / and its login/logout (HTML pages).
    path("", include("dashboard.urls")),
]

handler400 = "autoforge.api_errors.bad_request"
handler404 = "autoforge.api_errors.not_found"
handler500 = "autoforge.api_errors.server_error"
