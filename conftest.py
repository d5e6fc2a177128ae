"""Fixtures shared by every app's tests: a private Mosquitto and subprocess settings."""

from __future__ import annotations

import contextlib
import json
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

from autoforge.broker_config import development_config, secure_config
from autoforge.dev_broker import stop_process

PROJECT_DIR = Path(__file__).resolve().parent


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
    """A private Mosquitto on a free port, with the delivery settings of
    ``deploy/mosquitto.conf`` and, as in development, anonymous clients on
    127.0.0.1 (``SecureBroker``: the shipped access rules too).

    Tests stop and start it to inject broker outages; with persistence on,
    sessions and queued messages survive a ``stop()``/``start()``.
    """

    def __init__(self, workdir: Path, *, extra_conf: str = "") -> None:
        self.host = "127.0.0.1"
        self.port = free_port()
        self.workdir = workdir
        self.conf_path = workdir / "mosquitto.conf"
        self.log_path = workdir / "mosquitto.log"
        self.conf_path.write_text(self.config() + extra_conf + "\n")
        self.process: subprocess.Popen | None = None

    def config(self) -> str:
        return development_config(
            port=self.port, address=self.host, workdir=self.workdir, as_root=os.getuid() == 0
        )

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


class SecureBroker(Broker):
    """A private Mosquitto with ``deploy/mosquitto.conf`` as shipped (no anonymous
    clients, the dynamic security plugin) but for its port and security file,
    which starts with the backend's admin and ingest accounts."""

    ADMIN = ("autoforge-admin", "admin-password")
    INGEST = ("autoforge-ingest", "ingest-password")

    def config(self) -> str:
        from devices.dynsec import Topics, security_file

        self.security_file = self.workdir / "dynamic-security.json"
        document = security_file(
            admin_username=self.ADMIN[0],
            admin_password=self.ADMIN[1],
            ingest_username=self.INGEST[0],
            ingest_password=self.INGEST[1],
            topics=Topics(),
        )
        self.security_file.write_text(json.dumps(document))
        return secure_config(
            port=self.port,
            address=self.host,
            workdir=self.workdir,
            as_root=os.getuid() == 0,
            security_file=self.security_file,
        )

    def settings(self) -> dict[str, str]:
        """The backend's settings for this broker (environment variables)."""
        return {
            "MQTT_BROKER": self.host,
            "MQTT_PORT": str(self.port),
            "MQTT_USERNAME": self.INGEST[0],
            "MQTT_PASSWORD": self.INGEST[1],
            "MQTT_ADMIN_USERNAME": self.ADMIN[0],
            "MQTT_ADMIN_PASSWORD": self.ADMIN[1],
        }


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


def _running(broker: Broker) -> Iterator[Broker]:
    broker.start()
    try:
        yield broker
    finally:
        broker.kill()


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Broker]:
    """A fresh private broker for one test, stopped afterwards."""
    yield from _running(Broker(tmp_path))


@pytest.fixture
def secure_mosquitto(tmp_path: Path) -> Iterator[SecureBroker]:
    """A fresh private broker configured as shipped, stopped afterwards."""
    yield from _running(SecureBroker(tmp_path))


def user_with_permission(username: str, codename: str):
    """A user (password ``<username>-password``) with one permission, not a superuser."""
    from django.contrib.auth.models import Permission, User

    user = User.objects.create_user(username, password=f"{username}-password")
    user.user_permissions.add(Permission.objects.get(codename=codename))
    return user


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


def environment_for(broker: Broker) -> dict[str, str]:
    """Environment for a ``manage.py`` subprocess: the test database and ``broker``."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url_for_subprocess(),
        MQTT_BROKER=broker.host,
        MQTT_PORT=str(broker.port),
        DJANGO_SECRET_KEY=env.get("DJANGO_SECRET_KEY") or "test-secret-key",
        LOG_FILE="",
        PYTHONUNBUFFERED="1",
        # Off, so that several ingest processes of one test (or of tests run
        # at once) do not compete for the default port; a test that scrapes
        # gives its process a free port.
        INGEST_METRICS_ADDRESS="",
    )
    if isinstance(broker, SecureBroker):
        env.update(broker.settings())
    return env


@pytest.fixture
def subprocess_env(mosquitto: Broker, transactional_db) -> dict[str, str]:
    """Environment for a ``manage.py`` subprocess: the test database and broker."""
    return environment_for(mosquitto)


@pytest.fixture
def secure_subprocess_env(secure_mosquitto: SecureBroker, transactional_db) -> dict[str, str]:
    """The same for the secure broker, with the backend's accounts on it."""
    return environment_for(secure_mosquitto)
