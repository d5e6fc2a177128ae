"""CORS: only the origins in CORS_ALLOWED_ORIGINS may call the API from a browser."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

DASHBOARD = "https://dashboard.example.com"


@pytest.fixture(autouse=True)
def _allowed_origins(settings) -> None:
    settings.CORS_ALLOWED_ORIGINS = [DASHBOARD]


def test_an_allowed_origin_gets_the_allow_origin_header(client) -> None:
    response = client.get("/api/sensors/stats", HTTP_ORIGIN=DASHBOARD)

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == DASHBOARD


def test_another_origin_does_not(client) -> None:
    response = client.get("/api/sensors/stats", HTTP_ORIGIN="https://evil.example.com")

    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response


def test_an_allowed_origin_gets_an_answer_to_its_preflight(client) -> None:
    response = client.options(
        "/api/sensors/history",
        HTTP_ORIGIN=DASHBOARD,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization",
    )

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == DASHBOARD
    assert "authorization" in response["Access-Control-Allow-Headers"]


def test_no_origin_is_allowed_by_default(client, settings) -> None:
    settings.CORS_ALLOWED_ORIGINS = []

    response = client.get("/api/health", HTTP_ORIGIN=DASHBOARD)

    assert "Access-Control-Allow-Origin" not in response
