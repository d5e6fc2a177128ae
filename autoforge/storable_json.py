"""JSON values that every supported database stores as they are.

Each engine refuses something the JSON parsers let through: PostgreSQL's
jsonb a NUL character (``\\u0000``) and a lone surrogate, MariaDB's
``JSON_VALID`` check a value nested 32 containers deep or more (and a lone
surrogate), and Python's own JSON encoder, used on the way in, a value nested
past the recursion limit. A command's ``parameters`` (from the API) and a
device's ``detail`` (from MQTT) are checked here before they are written, so
that each is refused with a clear reason on every engine alike.
"""

from __future__ import annotations

from typing import Any

from autoforge.lone_surrogates import first_lone_surrogate

#: Containers (objects, arrays) nested inside one another, at most.
MAX_DEPTH = 31


def storable_json_problem(value: Any, *, max_depth: int = MAX_DEPTH) -> str:
    """Why ``value`` (parsed JSON) cannot be stored, or "" when it can."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return "must not contain NUL characters (\\u0000)"
        elif isinstance(item, (dict, list)):
            if depth > max_depth:
                return f"must not nest objects and arrays more than {max_depth} deep"
            if isinstance(item, dict):
                pending.extend((key, depth) for key in item)
                pending.extend((child, depth + 1) for child in item.values())
            else:
                pending.extend((child, depth + 1) for child in item)
    surrogate = first_lone_surrogate(value)
    if surrogate is not None:
        return f"must not contain lone surrogates (U+{ord(surrogate):X})"
    return ""
