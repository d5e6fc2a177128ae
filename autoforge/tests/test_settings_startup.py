"""A bad setting stops start-up with one line naming it, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]


def run_python(*args: str, **env_changes: str | None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.update(DJANGO_SECRET_KEY="test-secret", DJANGO_DEBUG="false", LOG_FILE="")
    for name, value in env_changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return subprocess.run(
        [sys.executable, *args],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MQTT_PORT", "abc"),
        ("MQTT_PORT", "70000"),
        ("LOG_LEVEL", "LOUD"),
        ("DJANGO_DEBUG", "maybe"),
        ("DATABASE_URL", "nonsense://x"),
        ("DATABASE_URL", "not a url"),
        ("MAX_CLOCK_SKEW_SECONDS", "-1"),
        ("SENSOR_TOPIC", "sensors/#"),
        ("API_READS_REQUIRE_AUTH", "perhaps"),
        ("COMMAND_TTL_SECONDS", "soon"),
        ("READINGS_RETENTION_DAYS", "-1"),
        ("READINGS_RETENTION_DAYS", "a month"),
        ("DATABASE_CONN_MAX_AGE", "-5"),
    ],
)
def test_a_malformed_setting_stops_manage_py_with_one_line_naming_it(name, value) -> None:
    result = run_python("manage.py", "check", **{name: value})

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert name in lines[0]


def test_a_missing_secret_key_with_debug_off_stops_start_up() -> None:
    # Empty rather than unset, so that a developer's .env cannot fill it in.
    result = run_python("manage.py", "check", DJANGO_SECRET_KEY="", DJANGO_DEBUG="false")

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        "autoforge: configuration error: DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off"
    ]


def test_good_settings_pass_the_checks() -> None:
    result = run_python("manage.py", "check")

    assert result.returncode == 0, result.stderr


# Loads the settings without reading a developer's .env, to see the true default.
_PRINT_DEBUG = """
import environ
environ.Env.read_env = classmethod(lambda cls, *args, **kwargs: None)
from autoforge import settings
print(settings.DEBUG)
"""


def test_debug_is_off_by_default() -> None:
    result = run_python("-c", _PRINT_DEBUG, DJANGO_DEBUG=None)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_debug_can_be_turned_on() -> None:
    result = run_python("-c", _PRINT_DEBUG, DJANGO_DEBUG="true")

    assert result.stdout.strip() == "True"


def test_an_admin_username_without_its_password_stops_start_up_in_one_line() -> None:
    result = run_python(
        "manage.py", "check", MQTT_ADMIN_USERNAME="autoforge-admin", MQTT_ADMIN_PASSWORD=None
    )

    assert result.returncode != 0
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "MQTT_ADMIN_PASSWORD" in lines[0]
