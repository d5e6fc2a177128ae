"""Integer query parameters take the ASCII digits 0-9 only: fullwidth ``limit=12`` is a 400.

Python's ``int()`` reads every script's digits, so DRF's IntegerField took
fullwidth twelve (U+FF11 U+FF12) as 12. Every integer parameter of the API shares one field
class; each is checked here.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from sensors.tests.readings_factory import add_reading

pytestmark = pytest.mark.django_db

PARAMETERS = [
    ("/api/sensors/history", "limit"),
    ("/api/sensors/history", "offset"),
    ("/api/sensors/ml-data", "limit"),
    ("/api/control", "limit"),
    ("/api/control", "offset"),
]
NOT_ASCII_DIGITS = [
    "\uff11\uff12",  # fullwidth
    "\u0661\u0662",  # Arabic-Indic
    "\u0967\u0968",  # Devanagari
    "1\uff12",  # mixed
    "\U0001d7cf\U0001d7d0",  # mathematical bold
    "12\u3000",  # ideographic space
    " 12",
    "1_2",
    "12.0",
]


@pytest.fixture
def client() -> APIClient:
    """A client allowed to read commands too."""
    user = User.objects.create(username="viewer")  # no password: no slow hashing
    user.user_permissions.add(Permission.objects.get(codename="view_command"))
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return api


@pytest.mark.parametrize("value", NOT_ASCII_DIGITS)
@pytest.mark.parametrize(("path", "name"), PARAMETERS)
def test_a_number_not_in_ascii_digits_is_a_400_naming_the_parameter(client, path, name, value):
    response = client.get(path, {name: value})

    assert response.status_code == 400
    assert response.json()["message"] == (
        f"Invalid '{name}': Must be a whole number written with the digits 0-9."
    )
    assert list(response.json()["errors"]) == [name]


@pytest.mark.parametrize(("path", "name"), PARAMETERS)
def test_ascii_digits_are_accepted(client, path, name):
    for second in range(3):
        add_reading(seconds=second)

    response = client.get(path, {name: "2"})

    assert response.status_code == 200
    if path != "/api/sensors/ml-data":
        assert response.json()[name] == 2


def test_a_signed_number_still_gets_its_range_message(client):
    response = client.get("/api/sensors/history", {"limit": "-1"})

    assert response.status_code == 400
    assert "greater than or equal to 1" in response.json()["message"]
