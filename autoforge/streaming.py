"""Streamed response bodies that suit the server they run under.

Under ASGI, Django reads a *synchronous* iterator of a ``StreamingHttpResponse``
into one list before it sends a byte (with a warning): an export of 10M rows
would sit in memory whole. :func:`streaming_body` gives such a server an
asynchronous iterator instead, which pulls one chunk at a time from the
iterator on the request's own thread (where its database connection is).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest

_END = object()


def served_by_asgi(request: HttpRequest) -> bool:
    """Whether ``request`` (Django's, or DRF's wrapping it) came through ASGI."""
    return isinstance(getattr(request, "_request", request), ASGIRequest)


async def _pulled_in_thread(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    pull = sync_to_async(next)
    try:
        while (chunk := await pull(chunks, _END)) is not _END:
            yield chunk
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            await sync_to_async(close)()


def streaming_body(request: HttpRequest, chunks: Iterator[bytes]) -> Iterator | AsyncIterator:
    """``chunks`` as the server wants them: as is under WSGI, pulled one at a time under ASGI."""
    if served_by_asgi(request):
        return _pulled_in_thread(chunks)
    return chunks
