"""DJANGO_HTTPS turns on secure cookies behind a TLS proxy; plain http stays usable without it."""

from __future__ import annotations

from autoforge.tests.test_settings_startup import run_python

# Loads the settings without reading a developer's .env.
_PRINT_SECURITY = """
import environ
environ.Env.read_env = classmethod(lambda cls, *args, **kwargs: None)
from autoforge import settings as s
print(getattr(s, "SESSION_COOKIE_SECURE", False), getattr(s, "CSRF_COOKIE_SECURE", False),
      getattr(s, "SECURE_PROXY_SSL_HEADER", None), s.SECURE_HSTS_SECONDS)
"""


def test_cookies_are_not_secure_by_default_so_http_development_works() -> None:
    result = run_python("-c", _PRINT_SECURITY, DJANGO_HTTPS=None, DJANGO_HSTS_SECONDS=None)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False", "None", "0"]


def test_https_makes_the_cookies_secure_and_trusts_the_proxy_header() -> None:
    result = run_python("-c", _PRINT_SECURITY, DJANGO_HTTPS="true", DJANGO_HSTS_SECONDS="3600")

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "True",
        "True",
        "('HTTP_X_FORWARDED_PROTO',",
        "'https')",
        "3600",
    ]


def test_the_deploy_checks_pass_with_https_and_hsts_configured() -> None:
    result = run_python(
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SECRET_KEY="k" * 20 + "-a-long-and-random-enough-production-secret-key",
        DJANGO_ALLOWED_HOSTS="api.example.com",
        DJANGO_HTTPS="true",
        DJANGO_HSTS_SECONDS="31536000",
    )

    reported = {code for code in ("W004", "W008", "W012", "W016") if code in result.stderr}
    assert reported == set(), result.stderr


def test_a_malformed_hsts_setting_stops_start_up_with_one_line() -> None:
    result = run_python("manage.py", "check", DJANGO_HSTS_SECONDS="a year")

    assert result.returncode != 0
    assert result.stderr.splitlines() == [
        "autoforge: configuration error: DJANGO_HSTS_SECONDS must be a whole number (got 'a year')"
    ]
