"""The admin login locks a username out from one address after 10 failures (django-axes).

Real posts to /admin/login/ against the test database; the lockout is kept in
axes' tables, and ``manage.py axes_reset_username`` lifts it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
PASSWORD = "right-password"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    """Every attempt hashes a password; Django's default costs ~0.3 s each."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def admin_user() -> User:
    User.objects.create_superuser("alice", password=PASSWORD)
    return User.objects.create_superuser("admin", password=PASSWORD)


def log_in(client: Client, username: str, password: str, **headers: str) -> int:
    """Post the login form; the status code (302 = logged in)."""
    response = client.post(LOGIN, {"username": username, "password": password}, **headers)
    return response.status_code


def fail(client: Client, times: int, username: str = "admin", **headers: str) -> list[int]:
    return [log_in(client, username, f"wrong-{n}", **headers) for n in range(times)]


def test_ten_failures_lock_the_username_out_of_that_address(admin_user):
    client = Client(REMOTE_ADDR="198.51.100.7")

    statuses = fail(client, 10)

    assert statuses == [200] * 9 + [429]
    response = client.post(LOGIN, {"username": "admin", "password": PASSWORD})
    assert response.status_code == 429
    assert "too many login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_nine_failures_do_not_lock_and_a_success_starts_the_count_again(admin_user):
    client = Client(REMOTE_ADDR="198.51.100.7")
    fail(client, 9)

    assert log_in(client, "admin", PASSWORD) == 302
    client.logout()
    assert fail(client, 9) == [200] * 9
    assert log_in(client, "admin", PASSWORD) == 302


def test_another_user_from_that_address_is_not_locked(admin_user):
    client = Client(REMOTE_ADDR="198.51.100.7")
    fail(client, 10)

    assert log_in(client, "alice", PASSWORD) == 302


def test_the_same_user_from_another_address_is_not_locked(admin_user):
    fail(Client(REMOTE_ADDR="198.51.100.7"), 10)

    assert log_in(Client(REMOTE_ADDR="203.0.113.9"), "admin", PASSWORD) == 302


def test_a_forwarded_for_header_does_not_dodge_the_lockout(admin_user, settings):
    settings.API_TRUSTED_PROXIES = 0
    client = Client(REMOTE_ADDR="198.51.100.7")

    statuses = [
        log_in(client, "admin", "wrong", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
        for n in range(1, 11)
    ]

    assert statuses[-1] == 429
    assert log_in(client, "admin", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.1") == 429


def test_a_new_user_agent_per_try_does_not_dodge_the_lockout(admin_user):
    client = Client(REMOTE_ADDR="198.51.100.7")

    statuses = [log_in(client, "admin", "wrong", HTTP_USER_AGENT=f"agent/{n}") for n in range(10)]

    assert statuses[-1] == 429
    assert log_in(client, "admin", PASSWORD, HTTP_USER_AGENT="agent/new") == 429


def test_behind_a_trusted_proxy_the_forwarded_client_is_locked(admin_user, settings):
    settings.API_TRUSTED_PROXIES = 1
    proxy = Client(REMOTE_ADDR="10.0.0.1")
    fail(proxy, 10, HTTP_X_FORWARDED_FOR="203.0.113.5")

    locked = log_in(proxy, "admin", PASSWORD, HTTP_X_FORWARDED_FOR="9.9.9.9, 203.0.113.5")
    other_client = log_in(proxy, "admin", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.6")

    assert (locked, other_client) == (429, 302)
    assert AccessAttempt.objects.get().ip_address == "203.0.113.5"


def test_the_lockout_ends_15_minutes_after_the_last_failure(admin_user):
    client = Client(REMOTE_ADDR="198.51.100.7")
    fail(client, 10)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=14))
    assert log_in(client, "admin", PASSWORD) == 429
    # That try, refused, started the 15 minutes again.
    assert AccessAttempt.objects.get().attempt_time > timezone.now() - timedelta(minutes=1)

    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=15, seconds=1))

    assert log_in(client, "admin", PASSWORD) == 302


def test_axes_reset_username_unlocks(admin_user):
    client = Client(REMOTE_ADDR="198.51.100.7")
    fail(client, 10)

    call_command("axes_reset_username", "admin")

    assert log_in(client, "admin", PASSWORD) == 302


def test_axes_reset_unlocks_everyone(admin_user):
    client = Client(REMOTE_ADDR="198.51.100.7")
    fail(client, 10)

    call_command("axes_reset")

    assert log_in(client, "admin", PASSWORD) == 302


def test_api_tokens_of_a_locked_out_user_keep_working(admin_user):
    fail(Client(REMOTE_ADDR="198.51.100.7"), 10)
    token = Token.objects.create(user=admin_user)

    response = Client(REMOTE_ADDR="198.51.100.7").get(
        "/api/control", HTTP_AUTHORIZATION=f"Token {token.key}"
    )

    assert response.status_code == 200
