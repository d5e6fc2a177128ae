"""gunicorn settings for ``gunicorn --config deploy/gunicorn.conf.py autoforge.asgi:application``.

Uvicorn workers (ASGI): each runs an event loop, so an open live stream
(/api/sensors/stream) costs a coroutine, not a worker or a thread, and the
rest of the API stays responsive while hundreds are open. The other views
are synchronous; each request of those runs whole on the worker's thread for
synchronous code (autoforge/asgi.py).

Every value can be overridden from the environment (GUNICORN_BIND,
GUNICORN_WORKERS, ...), so the systemd unit stays as shipped.

A bad setting stops the master with the settings' one line and exit status 2
(below), instead of each worker printing it and exiting while the master
starts another in its place, forever.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gunicorn.arbiter import Arbiter
    from gunicorn.workers.base import Worker

PROJECT_DIR = Path(__file__).resolve().parent.parent
SETTINGS_MODULE = os.environ.get("DJANGO_SETTINGS_MODULE", "autoforge.settings")


def settings_status() -> int:
    """Load the settings in a child process: 0, or the status it exited with.

    A bad setting makes the child print its one line (on our stderr) and exit 2.
    A child, so that the master holds no settings of its own: each worker still
    reads them afresh, as it would without this check.
    """
    load = "import importlib, sys; importlib.import_module(sys.argv[1])"
    check = subprocess.run(
        [sys.executable, "-c", load, SETTINGS_MODULE],
        cwd=PROJECT_DIR,
        check=False,
    )
    return check.returncode if check.returncode >= 0 else 1


def on_reload(server: Arbiter) -> None:
    """On SIGHUP, stop (old workers first) rather than start workers that cannot load."""
    status = settings_status()
    if status:
        server.halt(reason="configuration error", exit_status=status)


def post_fork(server: Arbiter, worker: Worker) -> None:
    """Make a worker that cannot load the settings exit with gunicorn's boot-error status.

    That status (3) stops the master; the settings' own (2) would have it start
    another worker in its place, forever. The master checks the settings at
    start-up and on SIGHUP, so this is for a ``.env`` that went bad in between,
    found by a worker recycled after ``max_requests``.
    """
    try:
        importlib.import_module(SETTINGS_MODULE)
    except SystemExit as stop:
        if stop.code:
            raise SystemExit(server.WORKER_BOOT_ERROR) from None
        raise


# Before the master has logged anything: a bad setting stops it with the
# settings' one line and their status (2, which systemd does not restart).
# gunicorn reads this file again on SIGHUP, mid-reload, where exiting would
# strand the workers: on_reload checks then.
if not os.environ.get("AUTOFORGE_SETTINGS_CHECKED"):
    if status := settings_status():
        raise SystemExit(status)
    os.environ["AUTOFORGE_SETTINGS_CHECKED"] = "1"

# Prometheus multiprocess mode (autoforge/metrics_view.py): each worker keeps
# its counters and histograms in files in this folder, and GET /metrics, in
# whichever worker answers it, adds up every worker's, those of workers
# recycled since included. Set before any worker imports prometheus_client.
# Unless the environment names one, a folder of this master's own (under the
# unit's PrivateTmp), so that two masters on one host never mix their counts.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="autoforge-metrics-")
    os.environ["AUTOFORGE_METRICS_DIR_OWNED"] = "1"


def on_starting(server: Arbiter) -> None:
    """Start the counts from zero: files of an earlier master would be added in."""
    folder = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()


def child_exit(server: Arbiter, worker: Worker) -> None:
    """A worker is gone: its live gauges go with it (its counters stay in the sums)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server: Arbiter) -> None:
    if os.environ.get("AUTOFORGE_METRICS_DIR_OWNED"):
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)


worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "uvicorn_worker.UvicornWorker")
if worker_class.startswith("uvicorn"):
    # Before a worker loads the settings (post_fork below does, ahead of the
    # app): no persistent connections under ASGI, a pool on PostgreSQL.
    os.environ["AUTOFORGE_SERVED_BY_ASGI"] = "1"

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# The API is database-bound: a couple of workers per core. (``threads`` is
# for the sync worker class only; uvicorn workers run sync views on threads.)
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# /api/sensors/ml-data can return 100k readings: allow time for it.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 25  # below the unit's TimeoutStopSec
keepalive = 5
# Recycle workers now and then, so a slow leak can never grow for months.
max_requests = 2000
max_requests_jitter = 200
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# gunicorn 24+ opens a control socket under $XDG_RUNTIME_DIR or ~/.gunicorn;
# nothing here uses it (gunicornc), and the unit's ProtectHome hides ~.
control_socket_disable = True
