"""DATABASE_CONN_MAX_AGE: persistent, health-checked database connections by default."""

from __future__ import annotations

import pytest

from autoforge.tests.test_settings_startup import run_python

# Loads the settings without reading a developer's .env, to see the true default.
_PRINT_CONNECTION = """
import environ
environ.Env.read_env = classmethod(lambda cls, *args, **kwargs: None)
from autoforge import settings
database = settings.DATABASES["default"]
print(database["CONN_MAX_AGE"], database["CONN_HEALTH_CHECKS"])
"""


def test_connections_are_kept_60_seconds_and_checked_by_default() -> None:
    result = run_python("-c", _PRINT_CONNECTION, DATABASE_CONN_MAX_AGE=None)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["60", "True"]


@pytest.mark.parametrize(("value", "expected"), [("0", "0"), ("600", "600"), ("", "60")])
def test_the_age_can_be_set(value: str, expected: str) -> None:
    result = run_python("-c", _PRINT_CONNECTION, DATABASE_CONN_MAX_AGE=value)

    assert result.stdout.split() == [expected, "True"]


@pytest.mark.parametrize("value", ["-1", "forever", "1.5"])
def test_a_bad_age_stops_start_up_with_one_line_naming_it(value: str) -> None:
    result = run_python("manage.py", "check", DATABASE_CONN_MAX_AGE=value)

    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "DATABASE_CONN_MAX_AGE" in lines[0]


_PRINT_POSTGRES_OPTIONS = """
import environ
environ.Env.read_env = classmethod(lambda cls, *args, **kwargs: None)
from autoforge import settings
print(settings.DATABASES["default"]["OPTIONS"].get("options"))
"""


def test_postgresql_connections_run_without_jit() -> None:
    result = run_python(
        "-c", _PRINT_POSTGRES_OPTIONS, DATABASE_URL="postgres://user@db.invalid:5432/autoforge"
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "-c jit=off"
