"""One error shape for the whole API: ``{"message": ..., "errors": {...}}``.

DRF's default handler answers ``{"detail": ...}`` or a bare dict of field
errors; dashboards want one human sentence to show, plus the details keyed by
the parameter or field at fault.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)


def _first_message(detail: Any) -> str:
    while isinstance(detail, (list, dict)) and detail:
        detail = detail[0] if isinstance(detail, list) else next(iter(detail.values()))
    return str(detail)


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's handler, with every error body reshaped to carry ``message``.

    A database that cannot be reached (or is locked past its timeout) is a
    503 the client may retry, not a 500: the request itself was fine.
    """
    if isinstance(exc, (OperationalError, InterfaceError)):
        logger.error("Database unavailable: %s", exc, exc_info=exc)
        return Response(
            {"message": "The database is unavailable; try again later."},
            status=503,
            headers={"Retry-After": "5"},
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ValidationError) and isinstance(response.data, dict):
        errors = response.data
        field, detail = next(iter(errors.items()), ("request", "invalid"))
        where = "request body" if field == "non_field_errors" else f"'{field}'"
        response.data = {"message": f"Invalid {where}: {_first_message(detail)}", "errors": errors}
    elif isinstance(exc, ValidationError):
        response.data = {"message": _first_message(response.data), "errors": response.data}
    elif isinstance(response.data, dict) and "detail" in response.data:
        response.data = {"message": str(response.data["detail"])}
    return response


def bad_request(request, exception=None) -> JsonResponse:
    """JSON 400 for what Django refuses before any view runs (a body over
    ``DATA_UPLOAD_MAX_MEMORY_SIZE``, a host not in ``DJANGO_ALLOWED_HOSTS``)."""
    if isinstance(exception, RequestDataTooBig):
        return JsonResponse({"message": "Request body too large"}, status=413)
    return JsonResponse({"message": "Bad request"}, status=400)


def not_found(request, exception=None) -> JsonResponse:
    """JSON 404 for paths outside the API's routes."""
    return JsonResponse({"message": "Not found"}, status=404)


def server_error(request) -> JsonResponse:
    """JSON 500: the traceback goes to the log, never to the client."""
    return JsonResponse({"message": "Internal server error"}, status=500)
