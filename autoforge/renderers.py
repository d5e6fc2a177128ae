"""The API's JSON renderer: DRF's, made to survive text that is not Unicode."""

from __future__ import annotations

from typing import Any

from rest_framework import renderers

from autoforge.lone_surrogates import without_lone_surrogates


class JSONRenderer(renderers.JSONRenderer):
    """DRF's JSON renderer, with lone surrogates replaced by U+FFFD.

    DRF writes JSON as UTF-8, which cannot hold a lone surrogate: a stored
    command ``detail`` of ``"\\ud800"`` (SQLite and MariaDB keep it) made
    every page showing it a 500. Fixed here, once for every response, rather
    than in each serializer. Only a response that fails to encode pays for
    the second pass.
    """

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: dict | None = None,
    ) -> bytes:
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            cleaned = without_lone_surrogates(data)
            return super().render(cleaned, accepted_media_type, renderer_context)
