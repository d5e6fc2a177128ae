"""gunicorn, with ``deploy/gunicorn.conf.py``, stops on a bad setting instead of looping.

Without the checks there, each worker printed the settings' one line and
exited 2, and the master started another in its place, forever.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from conftest import database_url_for_subprocess, free_port

PROJECT_DIR = Path(__file__).resolve().parents[2]
COMMAND = [sys.executable, "-m", "gunicorn", "--config", "deploy/gunicorn.conf.py"]

# Loads like the real settings until the flag file exists.
SETTINGS_THAT_GO_BAD = """
import os
import sys

from autoforge.settings import *  # noqa: F403

if os.path.exists({flag!r}):
    sys.stderr.write("autoforge: configuration error: TEST_SETTING went bad\\n")
    raise SystemExit(2)
"""


def gunicorn_env(tmp_path: Path, port: int, **changes: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("AUTOFORGE_SETTINGS_CHECKED", None)
    env.update(
        DJANGO_SECRET_KEY="test-secret",
        DJANGO_DEBUG="false",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        LOG_FILE="",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS="2",
        # gunicorn 24+ opens a control socket, by default one per user.
        XDG_RUNTIME_DIR=str(tmp_path),
        PYTHONUNBUFFERED="1",
    )
    env.update(changes)
    return env


@contextmanager
def gunicorn(tmp_path: Path, env: dict[str, str], *options: str) -> Iterator[subprocess.Popen]:
    """A gunicorn in its own process group, its stderr in ``tmp_path/stderr``."""
    with (tmp_path / "stderr").open("w") as stderr:
        process = subprocess.Popen(
            [*COMMAND, *options, "autoforge.asgi:application"],
            cwd=PROJECT_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def health_status(port: int, *, timeout: float = 30.0) -> int:
    """The status of ``/api/health`` once a worker answers."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=5) as r:
                return r.status
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        # Empty rather than unset, so that a developer's .env cannot fill it in.
        ("DJANGO_SECRET_KEY", ""),
        ("LOG_FILE", "/nonexistent/autoforge.log"),
        # gunicorn reads LOG_LEVEL too, and would reject it in its own words.
        ("LOG_LEVEL", "LOUD"),
    ],
)
def test_gunicorn_stops_at_once_with_the_one_line_of_a_bad_setting(tmp_path, name, value) -> None:
    env = gunicorn_env(tmp_path, free_port(), **{name: value})

    with gunicorn(tmp_path, env) as process:
        returncode = process.wait(timeout=30)
    stderr = (tmp_path / "stderr").read_text()

    assert returncode == 2, stderr
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith(f"autoforge: configuration error: {name} ")


@pytest.mark.django_db(transaction=True)
def test_gunicorn_with_good_settings_answers_the_health_check(tmp_path) -> None:
    port = free_port()
    env = gunicorn_env(tmp_path, port, DATABASE_URL=database_url_for_subprocess())

    with gunicorn(tmp_path, env) as process:
        assert health_status(port) == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0


def settings_that_go_bad(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """Environment changes for settings that fail once the returned flag file exists."""
    flag = tmp_path / "gone-bad"
    (tmp_path / "settings_that_go_bad.py").write_text(SETTINGS_THAT_GO_BAD.format(flag=str(flag)))
    changes = {
        "DJANGO_SETTINGS_MODULE": "settings_that_go_bad",
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(PROJECT_DIR)]),
        "DATABASE_URL": database_url_for_subprocess(),
    }
    return changes, flag


@pytest.mark.django_db(transaction=True)
def test_a_setting_that_went_bad_stops_gunicorn_on_sighup(tmp_path) -> None:
    port = free_port()
    changes, flag = settings_that_go_bad(tmp_path)
    env = gunicorn_env(tmp_path, port, **changes)

    with gunicorn(tmp_path, env) as process:
        assert health_status(port) == 200
        flag.touch()
        process.send_signal(signal.SIGHUP)
        returncode = process.wait(timeout=30)
    stderr = (tmp_path / "stderr").read_text()

    assert returncode == 2, stderr
    assert "Traceback" not in stderr
    assert stderr.count("autoforge: configuration error: TEST_SETTING went bad") == 1, stderr


@pytest.mark.django_db(transaction=True)
def test_a_worker_that_cannot_load_the_settings_stops_gunicorn(tmp_path) -> None:
    port = free_port()
    changes, flag = settings_that_go_bad(tmp_path)
    env = gunicorn_env(tmp_path, port, GUNICORN_WORKERS="1", **changes)

    # Each worker is recycled after one request, and a successor that starts
    # after the flag is set cannot load the settings.
    with gunicorn(tmp_path, env, "--max-requests", "1", "--max-requests-jitter", "0") as process:
        assert health_status(port) == 200
        flag.touch()
        deadline = time.monotonic() + 30
        while process.poll() is None and time.monotonic() < deadline:
            with suppress(OSError):  # refused, or an HTTP error: either will do
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=5).close()
            time.sleep(0.1)
        returncode = process.wait(timeout=10)
    stderr = (tmp_path / "stderr").read_text()

    assert returncode == 3, stderr  # gunicorn's "worker failed to boot"
    assert "Traceback" not in stderr
    assert stderr.count("autoforge: configuration error: TEST_SETTING went bad") == 1, stderr
