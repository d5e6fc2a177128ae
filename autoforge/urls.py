"""Routes: the REST API under /api (one DRF router) and the admin."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from rest_framework.routers import SimpleRouter

from control.views import CommandViewSet
from sensors.views import HealthView, SensorReadingViewSet

router = SimpleRouter(trailing_slash=False)
router.register("sensors", SensorReadingViewSet, basename="sensors")
router.register("control", CommandViewSet, basename="command")

urlpatterns = [
    path("api/health", HealthView.as_view(), name="health"),
    path("api/", include(router.urls)),
    path("admin/", admin.site.urls),
]

handler400 = "autoforge.api_errors.bad_request"
handler404 = "autoforge.api_errors.not_found"
handler500 = "autoforge.api_errors.server_error"
