"""autoforge/buffered_wsgi.py: a WSGI application over ASGI, its answer sent whole."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator

from autoforge.buffered_wsgi import BufferedWsgiToAsgi, wsgi_environ

SCOPE = {
    "type": "http",
    "http_version": "1.1",
    "method": "POST",
    "scheme": "https",
    "path": "/iot/api/control/ä",
    "root_path": "/iot",
    "query_string": b"a=1&b=%20",
    "headers": [
        (b"host", b"plant.example"),
        (b"content-type", b"application/json"),
        (b"content-length", b"11"),
        (b"x-forwarded-for", b"10.0.0.1"),
        (b"x-forwarded-for", b"10.0.0.2"),
        (b"cookie", b"a=1"),
        (b"cookie", b"b=2"),
    ],
    "client": ("192.0.2.7", 51000),
    "server": ("127.0.0.1", 8000),
}


class Application:
    """A WSGI application that answers what it saw, and records its close()."""

    def __init__(self, chunks=(b"hello, ", b"world")) -> None:
        self.chunks = chunks
        self.environ: dict = {}
        self.body = b""
        self.closed = False

    def __call__(self, environ, start_response):
        self.environ = environ
        self.body = environ["wsgi.input"].read()
        headers = [("Content-Type", "text/plain"), ("X-Thing", "1"), ("Set-Cookie", " a=1; Path=/")]
        start_response("201 Created", headers)
        return self

    def __iter__(self):
        return iter(self.chunks)

    def close(self) -> None:
        self.closed = True


def test_the_environ_is_the_scope_s() -> None:
    environ = wsgi_environ(SCOPE, body=None)

    assert environ["REQUEST_METHOD"] == "POST"
    assert environ["SCRIPT_NAME"] == "/iot"
    assert environ["PATH_INFO"] == "/api/control/ä".encode().decode("latin-1")
    assert environ["QUERY_STRING"] == "a=1&b=%20"
    assert environ["wsgi.url_scheme"] == "https"
    assert environ["SERVER_NAME"] == "127.0.0.1"
    assert environ["SERVER_PORT"] == "8000"
    assert environ["SERVER_PROTOCOL"] == "HTTP/1.1"
    assert environ["REMOTE_ADDR"] == "192.0.2.7"
    assert environ["CONTENT_TYPE"] == "application/json"
    assert environ["CONTENT_LENGTH"] == "11"
    assert environ["HTTP_HOST"] == "plant.example"
    assert environ["HTTP_X_FORWARDED_FOR"] == "10.0.0.1,10.0.0.2"
    assert environ["HTTP_COOKIE"] == "a=1; b=2"


async def scenario_a_request_in_parts_and_the_answer_whole() -> None:
    application = Application()
    communicator = ApplicationCommunicator(BufferedWsgiToAsgi(application), SCOPE)
    await communicator.send_input({"type": "http.request", "body": b'{"a"', "more_body": True})
    await communicator.send_input({"type": "http.request", "body": b": 10}"})

    start = await communicator.receive_output(5)
    body = await communicator.receive_output(5)
    await communicator.wait(5)

    assert start == {
        "type": "http.response.start",
        "status": 201,
        "headers": [
            (b"content-type", b"text/plain"),
            (b"x-thing", b"1"),
            (b"set-cookie", b"a=1; Path=/"),  # as Django's WSGI handler writes it, but stripped
        ],
    }
    assert body == {"type": "http.response.body", "body": b"hello, world"}
    assert application.body == b'{"a": 10}'
    assert application.closed


async def scenario_a_client_gone_before_its_body_gets_no_answer() -> None:
    application = Application()
    communicator = ApplicationCommunicator(BufferedWsgiToAsgi(application), SCOPE)
    await communicator.send_input({"type": "http.request", "body": b"{", "more_body": True})
    await communicator.send_input({"type": "http.disconnect"})
    await communicator.wait(5)

    assert await communicator.receive_nothing()
    assert application.environ == {}  # never called


async def scenario_the_answer_is_closed_when_its_body_fails() -> None:
    def failing():
        yield b"part"
        raise RuntimeError("boom")

    application = Application(chunks=failing())
    communicator = ApplicationCommunicator(BufferedWsgiToAsgi(application), SCOPE)
    await communicator.send_input({"type": "http.request", "body": b""})

    with pytest.raises(RuntimeError, match="boom"):
        await communicator.wait(5)
    assert application.closed
    assert communicator.output_queue.empty()  # no half answer: the server answers 500


def test_a_request_in_parts_and_the_answer_whole() -> None:
    async_to_sync(scenario_a_request_in_parts_and_the_answer_whole)()


def test_a_client_gone_before_its_body_gets_no_answer() -> None:
    async_to_sync(scenario_a_client_gone_before_its_body_gets_no_answer)()


def test_the_answer_is_closed_when_its_body_fails() -> None:
    async_to_sync(scenario_the_answer_is_closed_when_its_body_fails)()
