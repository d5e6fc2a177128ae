"""Lone surrogates: code points U+D800-U+DFFF that are no character at all.

JSON may spell one as an escape (``"\\ud800"``) and Python decodes it into a
``str`` that cannot be encoded as UTF-8, so a value holding one breaks every
response it reaches. SQLite and MariaDB store such a JSON text as sent
(PostgreSQL's jsonb refuses it). Input is refused where it enters (see
:func:`first_lone_surrogate`); output replaces any that was stored before
with U+FFFD, the Unicode replacement character, so that an old row still
renders (see :func:`without_lone_surrogates`).

Both walk nested data with an explicit stack: a value may be nested nearly
as deeply as the JSON parser allows, deeper than Python's recursion limit
leaves room for.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

REPLACEMENT_CHARACTER = "\ufffd"
_LONE_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_CONTAINERS = (dict, list, tuple)


def replace_lone_surrogates(text: str) -> str:
    """``text`` with each surrogate code point replaced by U+FFFD."""
    return _LONE_SURROGATE_RE.sub(REPLACEMENT_CHARACTER, text)


def _strings(value: Any) -> Iterator[str]:
    """Every string in ``value``: strings, and the keys and items of containers."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)


def first_lone_surrogate(value: Any) -> str | None:
    """The first surrogate code point found in ``value`` (keys included), or None."""
    for text in _strings(value):
        match = _LONE_SURROGATE_RE.search(text)
        if match:
            return match.group()
    return None


def _clean(item: Any) -> Any:
    return replace_lone_surrogates(item) if isinstance(item, str) else item


def without_lone_surrogates(value: Any) -> Any:
    """A copy of JSON-like ``value`` with every lone surrogate replaced by U+FFFD.

    Dicts stay dicts and lists and tuples become lists (JSON does not tell
    them apart); anything else is returned as it is, for the JSON encoder.
    """
    if not isinstance(value, _CONTAINERS):
        return _clean(value)
    root: dict | list = {} if isinstance(value, dict) else []
    stack: list[tuple[Any, dict | list]] = [(value, root)]
    while stack:
        source, target = stack.pop()
        pairs = source.items() if isinstance(source, dict) else enumerate(source)
        for key, item in pairs:
            if isinstance(item, _CONTAINERS):
                copy: Any = {} if isinstance(item, dict) else []
                stack.append((item, copy))
            else:
                copy = _clean(item)
            if isinstance(target, dict):
                target[_clean(key)] = copy
            else:
                target.append(copy)
    return root
