"""autoforge/asgi.py: which of Django's handlers serves what, and the lifespan."""

from __future__ import annotations

import http.client
import importlib
import os
from urllib.parse import urlsplit

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from django.core.exceptions import ImproperlyConfigured
from django.core.handlers.wsgi import WSGIRequest
from django.db import connection
from django.db.backends.signals import connection_created

from conftest import web_server_running


class AsyncOnlyMiddleware:
    sync_capable = False
    async_capable = True

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    async def __call__(self, request):
        return await self.get_response(request)


@pytest.fixture(scope="module")
def asgi():
    """The module, imported without leaving its ASGI flag for the rest of the run."""
    before = os.environ.get("AUTOFORGE_SERVED_BY_ASGI")
    module = importlib.import_module("autoforge.asgi")
    if before is None:
        os.environ.pop("AUTOFORGE_SERVED_BY_ASGI", None)
    return module


class Recorder:
    def __init__(self) -> None:
        self.paths: list[str] = []

    async def __call__(self, scope, receive, send) -> None:
        self.paths.append(scope["path"])


async def route(application, path: str, *, root_path: str = "") -> None:
    scope = {"type": "http", "method": "GET", "path": path, "root_path": root_path}
    await application(scope, None, None)


@async_to_sync
async def routed_paths(asgi) -> tuple[list[str], list[str]]:
    streaming, plain = Recorder(), Recorder()
    application = asgi.Application(
        streaming=streaming, plain=plain, streaming_paths=asgi.asgi_paths()
    )

    for path in (
        "/api/sensors/stream",
        "/api/sensors/export",
        "/static/dashboard/dashboard.js",
        "/api/health",
        "/api/sensors/stats",
        "/api/sensors/streams",  # not the stream: a prefix of the path is not enough...
        "/",
        "/admin/",
    ):
        await route(application, path)
    await route(application, "/iot/api/sensors/stream", root_path="/iot")
    await route(application, "/iot/api/health", root_path="/iot")

    return streaming.paths, plain.paths


def test_long_lived_responses_and_static_files_go_to_the_asgi_handler(asgi) -> None:
    streaming, plain = routed_paths(asgi)

    assert streaming == [
        "/api/sensors/stream",
        "/api/sensors/export",
        "/static/dashboard/dashboard.js",
        "/api/sensors/streams",  # ...is what it takes (Django answers 404 there)
        "/iot/api/sensors/stream",
    ]
    assert plain == ["/api/health", "/api/sensors/stats", "/", "/admin/", "/iot/api/health"]


def test_it_completes_the_lifespan(asgi) -> None:
    async_to_sync(lifespan)(asgi.application)


async def lifespan(application) -> None:
    communicator = ApplicationCommunicator(application, {"type": "lifespan"})
    await communicator.send_input({"type": "lifespan.startup"})
    assert await communicator.receive_output(5) == {"type": "lifespan.startup.complete"}
    await communicator.send_input({"type": "lifespan.shutdown"})
    assert await communicator.receive_output(5) == {"type": "lifespan.shutdown.complete"}
    await communicator.wait(5)


def test_the_plain_handler_runs_every_middleware_but_the_static_files(asgi, settings) -> None:
    expected = [path for path in settings.MIDDLEWARE if path != asgi.STATIC_FILES_MIDDLEWARE]

    assert asgi.STATIC_FILES_MIDDLEWARE in settings.MIDDLEWARE
    assert asgi.plain_middleware(settings.MIDDLEWARE) == expected
    asgi.PlainRequestHandler()
    assert asgi.STATIC_FILES_MIDDLEWARE in settings.MIDDLEWARE  # left as it was


def test_an_async_only_middleware_stops_start_up(asgi, settings) -> None:
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.AsyncOnlyMiddleware"]

    with pytest.raises(ImproperlyConfigured, match="AsyncOnlyMiddleware is asynchronous only"):
        asgi.PlainRequestHandler()


@async_to_sync
async def plain_request(application) -> tuple[dict, dict]:
    communicator = ApplicationCommunicator(
        application,
        {
            "type": "http",
            "method": "GET",
            "path": "/api/health",
            "query_string": b"",
            "headers": [(b"host", b"testserver")],
            "client": ("127.0.0.1", 5000),
            "server": ("testserver", 80),
        },
    )
    await communicator.send_input({"type": "http.request", "body": b""})
    start = await communicator.receive_output(10)
    body = await communicator.receive_output(10)
    return start, body


@pytest.mark.django_db
def test_a_plain_request_runs_through_the_wsgi_handler(asgi) -> None:
    start, body = plain_request(asgi.application)

    assert start["status"] in (200, 503)  # 503: no ingest worker reports here
    assert (b"content-type", b"application/json") in start["headers"]
    assert b'"database"' in body["body"]
    assert isinstance(asgi.application.plain.application, asgi.PlainRequestHandler)
    assert asgi.PlainRequestHandler.request_class is WSGIRequest


def test_as_deployed_a_kept_alive_connection_serves_request_after_request(
    subprocess_env, transactional_db, tmp_path
) -> None:
    with web_server_running(subprocess_env, tmp_path / "web.log", workers=1) as server:
        address = urlsplit(server.url)
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
        statuses = []
        for path in ["/api/health", "/api/sensors/stats", "/api/sensors/history?limit=x"] * 20:
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            statuses.append(response.status)
        connection.request("GET", "/api/sensors/stream")
        stream = connection.getresponse()
        content_type = stream.getheader("Content-Type")
        connection.close()
        log = server.log()

    assert statuses == [200, 200, 400] * 20, log
    assert stream.status == 200
    assert content_type == "text/event-stream"
    assert "Traceback" not in log
    assert "lifespan" not in log.lower()


@async_to_sync
async def get(application, path: str, query: bytes = b"") -> tuple[int, bytes]:
    communicator = ApplicationCommunicator(
        application,
        {
            "type": "http",
            "method": "GET",
            "path": path,
            "query_string": query,
            "headers": [(b"host", b"testserver")],
            "client": ("127.0.0.1", 5000),
            "server": ("testserver", 80),
        },
    )
    await communicator.send_input({"type": "http.request", "body": b""})
    start = await communicator.receive_output(10)
    body = b""
    while True:
        message = await communicator.receive_output(10)
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    await communicator.wait(10)
    return start["status"], body


@pytest.fixture
def opened(transactional_db):
    """The database connections opened from now on (any thread)."""
    wrappers = []

    def record(sender, connection, **kwargs) -> None:
        wrappers.append(connection)

    connection_created.connect(record)
    yield wrappers
    connection_created.disconnect(record)


def test_plain_requests_keep_the_thread_s_connection(asgi, opened) -> None:
    connection.ensure_connection()
    before = connection.connection
    opened.clear()

    statuses = [get(asgi.application, "/api/sensors/stats")[0] for _ in range(5)]

    assert statuses == [200] * 5
    assert opened == []  # no new connection: each request used this thread's
    assert connection.connection is before


def test_a_request_of_the_asgi_handler_closes_its_connections_when_it_ends(asgi, opened) -> None:
    status, body = get(asgi.application, "/api/sensors/export", b"format=csv")

    assert status == 200
    assert body.startswith(b"id,device_id,")
    assert opened  # its own thread connected...
    assert [wrapper.connection for wrapper in opened] == [None] * len(opened)  # ...and closed
