"""A database or log file that cannot work stops a command with one line, exit status 2."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.utils import load_backend

from autoforge import cli
from conftest import free_port

PROJECT_DIR = Path(__file__).resolve().parents[2]


def manage_env(**changes: str) -> dict[str, str]:
    env = dict(os.environ)
    # No metrics port: ingest processes of other tests may hold the default one.
    env.update(DJANGO_SECRET_KEY="test-secret", DJANGO_DEBUG="false", LOG_FILE="")
    env.update(INGEST_METRICS_ADDRESS="")
    env.update(changes)
    return env


def run_manage(*args: str, **env_changes: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_DIR,
        env=manage_env(**env_changes),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def the_one_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_migrate_with_an_sqlite_file_in_a_missing_folder_stops_with_one_line() -> None:
    result = run_manage("migrate", DATABASE_URL="sqlite:////nonexistent/dir/db.sqlite3")

    assert the_one_line(result) == (
        "autoforge: configuration error: DATABASE_URL names a file in a folder "
        "that does not exist (/nonexistent/dir)"
    )


@pytest.mark.parametrize("scheme", ["postgres", "mysql"])
def test_migrate_with_an_unreachable_database_server_stops_with_one_line(scheme) -> None:
    port = free_port()
    url = f"{scheme}://autoforge:s3cret@127.0.0.1:{port}/x"

    result = run_manage("migrate", "--no-input", DATABASE_URL=url)

    line = the_one_line(result)
    assert line.startswith(
        "autoforge: database error: cannot connect to DATABASE_URL "
        f"({scheme}://autoforge:***@127.0.0.1:{port}/x): "
    )
    assert "refused" in line.lower()
    assert "s3cret" not in result.stderr


@pytest.mark.parametrize(
    ("log_file", "folder"),
    [
        ("/nonexistent/autoforge.log", "/nonexistent"),
        ("no-such-folder/autoforge.log", str(PROJECT_DIR / "no-such-folder")),
    ],
)
def test_a_log_file_in_a_missing_folder_stops_any_command_with_one_line(log_file, folder) -> None:
    result = run_manage("check", LOG_FILE=log_file)

    assert the_one_line(result) == (
        f"autoforge: configuration error: LOG_FILE names a file in a folder "
        f"that does not exist ({folder})"
    )


def test_a_log_file_that_is_a_folder_stops_start_up_with_one_line(tmp_path) -> None:
    result = run_manage("check", LOG_FILE=str(tmp_path))

    assert the_one_line(result) == (
        f"autoforge: configuration error: LOG_FILE names a folder, not a file ({tmp_path})"
    )


def test_the_ingest_with_an_sqlite_file_in_a_missing_folder_stops_with_one_line() -> None:
    result = run_manage(
        "mqtt_ingest",
        DATABASE_URL="sqlite:////nonexistent/dir/db.sqlite3",
        MQTT_BROKER="127.0.0.1",
        MQTT_PORT=str(free_port()),
    )

    line = the_one_line(result)
    assert "DATABASE_URL" in line
    assert "/nonexistent/dir" in line


def test_the_ingest_keeps_retrying_a_database_server_that_is_down() -> None:
    env = manage_env(
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{free_port()}/x",
        MQTT_BROKER="127.0.0.1",
        MQTT_PORT=str(free_port()),
    )
    ingest = subprocess.Popen(
        [sys.executable, "manage.py", "mqtt_ingest"],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(3)  # a failing start would be over by now
        assert ingest.poll() is None
        ingest.send_signal(signal.SIGTERM)
        _, stderr = ingest.communicate(timeout=30)
    finally:
        if ingest.poll() is None:
            ingest.kill()
            ingest.wait(timeout=10)

    assert ingest.returncode == 0, stderr
    assert "autoforge: database error" not in stderr


@pytest.mark.django_db
def test_an_error_after_connecting_is_not_taken_for_a_connection_failure() -> None:
    with (
        pytest.raises(DatabaseError) as caught,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT * FROM no_such_table_anywhere")

    assert not cli.failed_to_connect(caught.value)


def test_a_refused_connection_is_a_connection_failure(django_db_blocker) -> None:
    settings_dict = dict(connection.settings_dict)
    if connection.vendor == "sqlite":
        settings_dict["NAME"] = "/nonexistent/dir/db.sqlite3"
    else:
        settings_dict.update(HOST="127.0.0.1", PORT=str(free_port()))
    probe = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, alias="probe")

    with pytest.raises(DatabaseError) as caught, django_db_blocker.unblock():
        probe.ensure_connection()

    assert cli.failed_to_connect(caught.value)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgres://u:secret@db:5432/x", "postgres://u:***@db:5432/x"),
        ("mysql://u:p@ss@db/x", "mysql://u:***@db/x"),
        ("postgres://u@db/x", "postgres://u@db/x"),
        ("sqlite:////srv/db.sqlite3", "sqlite:////srv/db.sqlite3"),
    ],
)
def test_the_database_url_is_shown_without_its_password(url, shown) -> None:
    assert cli.masked_url(url) == shown
