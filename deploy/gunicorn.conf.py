"""gunicorn settings for ``gunicorn --config deploy/gunicorn.conf.py autoforge.wsgi``.

Every value can be overridden from the environment (GUNICORN_BIND,
GUNICORN_WORKERS, ...), so the systemd unit stays as shipped.
"""

from __future__ import annotations

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# The API is database-bound: a couple of workers per core.
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
