"""Typed readers for settings that come from the environment.

Each reader names the variable in the error it raises, so that a bad setting
stops start-up with one line an operator can act on (see ``settings.py``),
instead of a traceback from deep inside django-environ or a driver.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Mapping
from pathlib import Path

import environ

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
DATABASE_ENGINES = (
    "django.db.backends.sqlite3",
    "django.db.backends.postgresql",
    "django.db.backends.mysql",
)


class SettingError(Exception):
    """A setting is missing or malformed; the message names it."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"{name} {problem}")
        self.name = name


def check_writable_file(name: str, path: Path) -> None:
    """Raise ``SettingError`` unless the file ``path`` can be written, and its folder too.

    Checked at start-up because neither user of such a file fails well later:
    the log handler stops every command with a traceback, and SQLite fails only
    at the first query, which the ingest retries forever. Both need the folder
    as well (SQLite's WAL files, the log's rotation).
    """
    folder = path.parent
    if path.is_dir():
        raise SettingError(name, f"names a folder, not a file ({path})")
    if not folder.is_dir():
        raise SettingError(name, f"names a file in a folder that does not exist ({folder})")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise SettingError(name, f"names a file in a folder that cannot be written ({folder})")
    if path.exists() and not os.access(path, os.W_OK):
        raise SettingError(name, f"names a file that cannot be written ({path})")


class EnvReader:
    """Reads typed values from a mapping (``os.environ`` by default)."""

    def __init__(self, environ_map: Mapping[str, str] | None = None) -> None:
        self.environ = os.environ if environ_map is None else environ_map

    def raw(self, name: str) -> str | None:
        value = self.environ.get(name)
        return None if value is None else value.strip()

    def str(self, name: str, default: str = "") -> str:
        value = self.raw(name)
        return default if value is None else value

    def bool(self, name: str, default: bool = False) -> bool:
        value = self.raw(name)
        if value is None:
            return default
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        raise SettingError(name, f"must be true or false (got {value!r})")

    def int(
        self,
        name: str,
        default: int,
        *,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int:
        value = self.raw(name)
        if value is None or value == "":
            return default
        try:
            number = int(value)
        except ValueError:
            raise SettingError(name, f"must be a whole number (got {value!r})") from None
        if minimum is not None and number < minimum:
            raise SettingError(name, f"must be at least {minimum} (got {number})")
        if maximum is not None and number > maximum:
            raise SettingError(name, f"must be at most {maximum} (got {number})")
        return number

    def float(self, name: str, default: float, *, minimum: float | None = None) -> float:
        value = self.raw(name)
        if value is None or value == "":
            return default
        try:
            number = float(value)
        except ValueError:
            raise SettingError(name, f"must be a number (got {value!r})") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise SettingError(name, f"must be a finite number (got {value!r})")
        if minimum is not None and number < minimum:
            raise SettingError(name, f"must be at least {minimum:g} (got {value})")
        return number

    def list(self, name: str, default: list[str] | None = None) -> list[str]:
        value = self.raw(name)
        if value is None:
            return list(default or [])
        return [item.strip() for item in value.split(",") if item.strip()]

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        value = self.str(name, default) or default
        for choice in choices:
            if value.upper() == choice.upper():
                return choice
        raise SettingError(name, f"must be one of {', '.join(choices)} (got {value!r})")

    def log_level(self, name: str, default: str = "INFO") -> str:
        return self.choice(name, default, LOG_LEVELS)

    def database(self, name: str, default: str) -> dict:
        url = self.str(name, default) or default
        try:
            # django-environ warns on stderr about an unknown engine before
            # returning; the error below says it in the one line we promise.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                config = environ.Env.db_url_config(url)
        except Exception as exc:  # django-environ raises several types
            raise SettingError(name, f"is not a database URL ({exc})") from None
        # django-environ passes an unknown scheme through as the engine name,
        # which would fail later with a traceback from Django's backend loader.
        if config.get("ENGINE") not in DATABASE_ENGINES:
            raise SettingError(name, f"has an unsupported scheme ({url.split(':', 1)[0]!r})")
        if config["ENGINE"] == "django.db.backends.sqlite3":
            path = str(config.get("NAME") or "")
            if path and path != ":memory:" and not path.startswith("file:"):
                check_writable_file(name, Path(path))
        return config

    def topic_filter(self, name: str, default: str) -> str:
        """An MQTT topic filter with exactly one ``+`` level (the device id)."""
        value = self.str(name, default) or default
        levels = value.split("/")
        if levels.count("+") != 1 or any(
            ("+" in level and level != "+") or "#" in level for level in levels
        ):
            raise SettingError(
                name, f"must contain exactly one '+' level and no '#' (got {value!r})"
            )
        return value

    def shared_group(self, name: str) -> str:
        value = self.str(name)
        if value and not re.fullmatch(r"[^/+#\s]+", value):
            raise SettingError(name, f"must not contain '/', '+', '#' or spaces (got {value!r})")
        return value

    def listen_address(self, name: str, default: str) -> tuple[str, int] | None:
        """``host:port`` (``[::1]:port`` for IPv6) to listen on, or None when empty."""
        value = self.str(name, default)
        if not value:
            return None
        host, port = parse_listen_address(value)
        if not host or port is None:
            raise SettingError(
                name, f"must be host:port, e.g. 127.0.0.1:9108, or empty for off (got {value!r})"
            )
        if not 1 <= port <= 65535:
            raise SettingError(name, f"has a port outside 1-65535 (got {value!r})")
        return host, port

    def token(self, name: str) -> str:
        """A secret sent in an HTTP header: printable ASCII, no spaces (never echoed back)."""
        value = self.str(name)
        if value and not re.fullmatch(r"[\x21-\x7e]+", value):
            raise SettingError(name, "must be printable ASCII without spaces")
        return value


def parse_listen_address(value: str) -> tuple[str, int | None]:
    """Split ``host:port`` or ``[v6 host]:port``; the port is None when not a number."""
    host, _, port = value.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        return "", None  # an IPv6 host without brackets: the port is ambiguous
    return host, int(port) if port.isascii() and port.isdigit() else None
