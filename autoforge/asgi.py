"""ASGI entry point: ``gunicorn --config deploy/gunicorn.conf.py autoforge.asgi:application``
(uvicorn workers), or ``uvicorn autoforge.asgi:application``.

The settings learn that they serve ASGI, where connections cannot persist per
thread: PostgreSQL then takes them from a pool (settings.py).
"""

from __future__ import annotations

import os

os.environ["AUTOFORGE_SERVED_BY_ASGI"] = "1"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "autoforge.settings")

from django.core.asgi import get_asgi_application

application = get_asgi_application()
