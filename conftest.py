"""Fixtures shared by every app's tests: a private Mosquitto and subprocess settings."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from autoforge.dev_broker import stop_process

PROJECT_DIR = Path(__file__).resolve().parent
SHIPPED_BROKER_CONF = PROJECT_DIR / "deploy" / "mosquitto.conf"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, *, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout} s")


class Broker:
    """A private Mosquitto on a free port, configured as ``deploy/mosquitto.conf``.

    Tests stop and start it to inject broker outages; with persistence on,
    sessions and queued messages survive a ``stop()``/``start()``.
    """

    def __init__(self, workdir: Path, *, extra_conf: str = "") -> None:
        self.host = "127.0.0.1"
        self.port = free_port()
        self.workdir = workdir
        self.conf_path = workdir / "mosquitto.conf"
        self.log_path = workdir / "mosquitto.log"
        lines = [f"listener {self.port} 127.0.0.1", "allow_anonymous true"]
        lines.append(f"persistence_location {workdir}/")
        if os.getuid() == 0:
            lines.append("user root")  # else it drops to 'mosquitto', who cannot write here
        lines.append(SHIPPED_BROKER_CONF.read_text())
        lines.append(extra_conf)
        self.conf_path.write_text("\n".join(lines) + "\n")
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [binary, "-c", str(self.conf_path)], stdout=log, stderr=subprocess.STDOUT
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        """Stop gracefully (SIGTERM): Mosquitto writes its persistence file."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=10)
        self.process = None

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


class WebServer:
    """The web app as deployed: gunicorn with uvicorn workers (deploy/gunicorn.conf.py, ASGI)."""

    def __init__(self, env: dict[str, str], log_path: Path, *, workers: int = 2) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        with log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "--config",
                    "deploy/gunicorn.conf.py",
                    "autoforge.asgi:application",
                ],
                cwd=PROJECT_DIR,
                env={
                    **env,
                    "DJANGO_DEBUG": "false",
                    "API_THROTTLE_ANON": "",
                    "GUNICORN_BIND": f"127.0.0.1:{self.port}",
                    "GUNICORN_WORKERS": str(workers),
                },
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        stop_process(self.process)


@contextlib.contextmanager
def web_server_running(env: dict[str, str], log_path: Path, *, workers: int = 2):
    """A :class:`WebServer` that answers, stopped on leaving."""
    server = WebServer(env, log_path, workers=workers)
    try:
        wait_for_port(server.port, timeout=30)
        yield server
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Throttle counters live in the cache: start every test with none."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _static_files_without_manifest(settings) -> None:
    """Pages render ``{% static %}`` without a ``collectstatic`` run first.

    The hashed-name storage (settings.STORAGES) needs the manifest that
    ``collectstatic`` writes, and would fail every page test on a fresh clone
    or after a new static file; Django's plain storage finds the files where
    they are. The browser tests (dashboard/tests) run a real server with the
    real storage, after ``collectstatic``.
    """
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Nor does ServeStatic index STATIC_ROOT, which it would do for every test
    # client (thousands of files after a collectstatic): no test-client test
    # fetches a static file.
    settings.SERVESTATIC_USE_STATIC_ROOT = False


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Broker]:
    """A fresh private broker for one test, stopped afterwards."""
    broker = Broker(tmp_path)
    broker.start()
    try:
        yield broker
    finally:
        broker.kill()


def database_url_for_subprocess() -> str:
    """``DATABASE_URL`` of the database the tests are using right now."""
    from django.db import connection

    db = connection.settings_dict
    engine = db["ENGINE"].rsplit(".", 1)[-1]
    if engine == "sqlite3":
        return f"sqlite:///{db['NAME']}"
    scheme = {"postgresql": "postgres", "mysql": "mysql"}[engine]
    user = quote(db.get("USER") or "", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"{scheme}://{auth}{db.get('HOST') or 'localhost'}{port}/{db['NAME']}"


@pytest.fixture
def subprocess_env(mosquitto: Broker, transactional_db) -> dict[str, str]:
    """Environment for a ``manage.py`` subprocess: the test database and broker."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url_for_subprocess(),
        MQTT_BROKER=mosquitto.host,
        MQTT_PORT=str(mosquitto.port),
        DJANGO_SECRET_KEY=env.get("DJANGO_SECRET_KEY") or "test-secret-key",
        LOG_FILE="",
        PYTHONUNBUFFERED="1",
        # Off, so that several ingest processes of one test (or of tests run
        # at once) do not compete for the default port; a test that scrapes
        # gives its process a free port.
        INGEST_METRICS_ADDRESS="",
    )
    return env
