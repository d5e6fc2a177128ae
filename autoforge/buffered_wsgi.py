"""A WSGI application served over ASGI in one thread hop, its response sent whole.

asgiref's ``WsgiToAsgi`` sends each chunk from the worker thread back to the
event loop (``async_to_sync``); the executor that leaves in the request's
context is copied into the next request of a kept-alive connection under
uvicorn, which then fails with "CurrentThreadExecutor already quit". Here the
thread only runs the application and collects its answer; the event loop
reads the request body before and sends the response after. That suits
responses held in memory anyway (everything but the streamed ones, which
``autoforge/asgi.py`` gives to Django's ASGI handler).
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings

WSGIApplication = Callable[..., Any]


class BufferedWsgiToAsgi:
    """ASGI (HTTP scopes only) around ``application``, run on the thread that
    asgiref keeps for synchronous code (``thread_sensitive``)."""

    def __init__(self, application: WSGIApplication) -> None:
        self.application = application

    async def __call__(self, scope: dict, receive, send) -> None:
        if scope["type"] != "http":
            raise ValueError(f"only HTTP is served here, not {scope['type']!r}")
        with tempfile.SpooledTemporaryFile(
            max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE, mode="w+b"
        ) as body:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return  # the client went away before sending its request
                body.write(message.get("body", b""))
                if not message.get("more_body"):
                    break
            body.seek(0)
            status, headers, content = await sync_to_async(self._run, thread_sensitive=True)(
                wsgi_environ(scope, body)
            )
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": content})

    def _run(self, environ: dict) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        started: list = []

        def start_response(status: str, headers: list, exc_info: Any = None) -> Callable:
            started[:] = [status, headers]
            return _no_write

        result = self.application(environ, start_response)
        try:
            content = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()  # Django: request_finished (database connections)
        status, headers = started
        return (
            int(status.split(" ", 1)[0]),
            # Django's WSGI handler writes Set-Cookie values with a leading space
            # (a WSGI server strips it; an HTTP/1.1 server refuses it).
            [
                (name.lower().encode("latin-1"), value.strip().encode("latin-1"))
                for name, value in headers
            ],
            content,
        )


def _no_write(data: bytes) -> None:
    raise NotImplementedError("write() is not supported; return the body instead")


def wsgi_environ(scope: dict, body) -> dict:
    """The WSGI environ of an ASGI HTTP ``scope`` (PEP 3333 and the ASGI spec)."""
    root = scope.get("root_path", "")
    path = scope["path"]
    if root and path.startswith(root):
        path = path[len(root) :]
    server = scope.get("server") or ("localhost", 80)
    environ = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": root.encode("utf-8").decode("latin-1"),
        "PATH_INFO": path.encode("utf-8").decode("latin-1"),
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_NAME": server[0],
        "SERVER_PORT": str(server[1] if server[1] is not None else 80),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": body,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if scope.get("client"):
        environ["REMOTE_ADDR"] = scope["client"][0]
        environ["REMOTE_PORT"] = str(scope["client"][1])
    for raw_name, raw_value in scope.get("headers", []):
        name = raw_name.decode("latin-1").upper().replace("-", "_")
        if name not in ("CONTENT_LENGTH", "CONTENT_TYPE"):
            name = f"HTTP_{name}"
        value = raw_value.decode("latin-1")
        if name in environ:  # a repeated header, joined as Django's ASGI handler joins it
            separator = "; " if name == "HTTP_COOKIE" else ","
            value = environ[name] + separator + value
        environ[name] = value
    return environ
