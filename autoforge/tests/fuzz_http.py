"""What the HTTP fuzz tests share: their Hypothesis settings and the closed-API checks.

The property of every fuzz test: the API never answers 5xx, and every error
is a JSON object with a human ``message`` string.

Hypothesis runs derandomized and without its example database: CI tests the
same examples on every run, whatever ran before on that machine, so a red
build is reproducible from its log alone. To search wider by hand,
``AUTOFORGE_FUZZ_SEARCH=<n>`` multiplies the examples by ``n``, draws them at
random and skips the explicit ``@example`` cases (the failures already known),
so that a search finds the next one; that one then belongs in the test as an
``@example`` too.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import transaction
from django.http import HttpResponse
from hypothesis import HealthCheck, Phase, settings

_SEARCH = int(os.environ.get("AUTOFORGE_FUZZ_SEARCH", "0") or 0)


def fuzz_settings(max_examples: int) -> settings:
    """Bounded, reproducible Hypothesis settings for a fuzz test over HTTP."""
    return settings(
        max_examples=max_examples * _SEARCH if _SEARCH else max_examples,
        derandomize=not _SEARCH,
        database=None,
        deadline=None,
        phases=[Phase.generate, Phase.shrink] if _SEARCH else list(Phase),
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
    )


@contextmanager
def rolled_back() -> Iterator[None]:
    """One example's requests in a savepoint that is rolled back afterwards.

    Examples share the test's transaction: this keeps what one example wrote
    from the next, and keeps a database error in one (PostgreSQL aborts the
    whole transaction) from failing every example after it.
    """
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def error_body(response: HttpResponse) -> dict[str, Any]:
    """The JSON object of an error response; fails unless it carries a ``message`` string."""
    assert response.status_code < 500, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = json.loads(response.content)
    assert isinstance(body, dict), body
    assert isinstance(body.get("message"), str), body
    assert body["message"], body
    return body


def assert_closed(response: HttpResponse) -> dict[str, Any] | None:
    """Never a 5xx, and every error a JSON object with a ``message``; returns that body."""
    assert response.status_code < 500, (response.status_code, response.content[:500])
    if response.status_code >= 400:
        return error_body(response)
    return None
