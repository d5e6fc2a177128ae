"""``/api/schema`` (the OpenAPI 3 document) and ``/api/docs`` (Swagger UI).

drf-spectacular's views, with errors as JSON like the rest of the API. Apart
from ``autoforge.openapi``: drf-spectacular's views import the schema class
that module defines.
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation

from autoforge.renderers import JSONRenderer


class FormatParameterNegotiation(DefaultContentNegotiation):
    """An unknown ``?format=`` is a 400 naming it, not DRF's bare 404."""

    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except Http404:
            formats = ", ".join(sorted({renderer.format for renderer in renderers}))
            raise ValidationError({"format": [f"Must be one of: {formats}."]}) from None


class JSONErrorsMixin:
    """Errors as JSON with a ``message``, as everywhere in the API, whatever
    renders the successes (YAML, HTML)."""

    content_negotiation_class = FormatParameterNegotiation

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response


class SchemaView(JSONErrorsMixin, SpectacularAPIView):
    """``/api/schema``: the OpenAPI 3 document, YAML, or JSON with ``?format=json``."""


class SwaggerUIView(JSONErrorsMixin, SpectacularSwaggerSplitView):
    """``/api/docs``: Swagger UI. Its start-up script is a file of its own
    (``?script=``), since the Content-Security-Policy allows no inline script."""

    url_name = "schema"
    template_name = "autoforge/swagger_ui.html"
