"""ASGI entry point: ``gunicorn --config deploy/gunicorn.conf.py autoforge.asgi:application``
(uvicorn workers), or ``uvicorn autoforge.asgi:application``.

One application over two of Django's handlers:

- **Django's ASGI handler** for the responses that last, and the static
  files: the live stream (``/api/sensors/stream``: an open stream is a
  coroutine, not a thread), the export (streamed chunk by chunk; a client
  that goes away stops it), and ``STATIC_URL`` (servestatic's middleware,
  which is asynchronous only).
- **Django's WSGI handler**, run whole on one thread hop, its response sent
  whole (``autoforge/buffered_wsgi.py``), for every other request. Under the
  ASGI handler Django moves each synchronous middleware hook of a request
  onto a thread and back, about twenty hops a request (half of
  ``/api/health``'s time over HTTP); here a request costs one. They run on
  the worker's one thread for synchronous code, as the ASGI handler runs
  synchronous views, so nothing about concurrency changes. Its middleware is
  ``MIDDLEWARE`` without the static files': an asynchronous middleware inside
  the thread would take each request back to the event loop and out again.

It also answers the server's lifespan messages (Django's handler refuses
them, and uvicorn would log that it does not support them).

Database connections: the plain requests share the worker's one thread, so
its connection persists (``DATABASE_CONN_MAX_AGE``), as under WSGI. Django's
ASGI handler runs each request on a thread of its own, whose connections
would be left open: they are closed when such a request ends. The settings
learn that they serve ASGI: PostgreSQL then takes connections from a pool.
"""

from __future__ import annotations

import os

os.environ["AUTOFORGE_SERVED_BY_ASGI"] = "1"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "autoforge.settings")

import django
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished
from django.db import connections
from django.utils.module_loading import import_string

from autoforge.buffered_wsgi import BufferedWsgiToAsgi

#: Paths (and what is below them) that Django's ASGI handler serves, with STATIC_URL.
LONG_LIVED_PATHS = ("/api/sensors/stream", "/api/sensors/export")
STATIC_FILES_MIDDLEWARE = "servestatic.middleware.ServeStaticMiddleware"


def asgi_paths() -> tuple[str, ...]:
    """The path prefixes served by Django's ASGI handler."""
    static = settings.STATIC_URL
    if "://" in static:  # static files served elsewhere
        return LONG_LIVED_PATHS
    return (*LONG_LIVED_PATHS, "/" + static.lstrip("/"))


def served_by_asgi_handler(scope: dict, prefixes: tuple[str, ...]) -> bool:
    """Whether the HTTP request of ``scope`` is for a path under one of ``prefixes``."""
    path = scope["path"]
    root = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    return path.startswith(prefixes)


def plain_middleware(middleware: list[str]) -> list[str]:
    """``middleware`` less the static files'; ImproperlyConfigured for any
    other that cannot run synchronously."""
    plain = [path for path in middleware if path != STATIC_FILES_MIDDLEWARE]
    for path in plain:
        if not getattr(import_string(path), "sync_capable", True):
            raise ImproperlyConfigured(
                f"{path} is asynchronous only; autoforge/asgi.py runs MIDDLEWARE "
                "synchronously (route what it serves to the ASGI handler)"
            )
    return plain


class PlainRequestHandler(WSGIHandler):
    """Django's WSGI handler with :func:`plain_middleware` of ``MIDDLEWARE``."""

    def load_middleware(self, is_async: bool = False) -> None:
        middleware = settings.MIDDLEWARE
        settings.MIDDLEWARE = plain_middleware(middleware)
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = middleware


class StreamingRequestHandler(ASGIHandler):
    """Django's ASGI handler; the connections of each request close when it ends."""


def _close_connections(**kwargs: object) -> None:
    """Close this thread's connections: sent at the end of a request of
    :class:`StreamingRequestHandler`, on that request's own thread."""
    connections.close_all()


request_finished.connect(
    _close_connections, sender=StreamingRequestHandler, dispatch_uid="autoforge.asgi"
)


class Application:
    """Routes each HTTP request to ``streaming`` (``streaming_paths``) or ``plain``;
    answers lifespan itself."""

    def __init__(self, *, streaming, plain, streaming_paths: tuple[str, ...]) -> None:
        self.streaming = streaming
        self.plain = plain
        self.streaming_paths = streaming_paths

    async def __call__(self, scope: dict, receive, send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
        elif scope["type"] == "http" and not served_by_asgi_handler(scope, self.streaming_paths):
            await self.plain(scope, receive, send)
        else:
            await self.streaming(scope, receive, send)


async def _lifespan(receive, send) -> None:
    """Nothing to start or stop: acknowledge both."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


django.setup(set_prefix=False)  # as get_asgi_application() does
application = Application(
    streaming=StreamingRequestHandler(),
    plain=BufferedWsgiToAsgi(PlainRequestHandler()),
    streaming_paths=asgi_paths(),
)
