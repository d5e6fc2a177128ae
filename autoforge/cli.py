"""``manage.py``'s entry point: a database that cannot be reached is one line.

A bad setting already stops start-up with one line (``autoforge.settings``).
A database server that is down, or a ``DATABASE_URL`` naming the wrong host,
port, user or database, is only found when a command connects (``migrate``
first of all), and Django then prints a hundred lines of traceback that end
in the driver's message. Here that becomes::

    autoforge: database error: cannot connect to DATABASE_URL (<url>): <message>

with the password masked, and exit status 2. Every other error keeps its
traceback, and so does every error with ``--traceback``.
"""

from __future__ import annotations

import os
import sys
import traceback
from urllib.parse import urlsplit, urlunsplit

# The ingest retries a database that is down, by design, so an error that
# still escapes it is a bug: it keeps its traceback and exit status 1, which
# systemd restarts (the units do not restart status 2).
RETRYING_COMMANDS = frozenset({"mqtt_ingest"})
# Every Django backend opens its connections in these two methods.
_CONNECT_FUNCTIONS = frozenset({"connect", "get_new_connection"})


def main(argv: list[str]) -> None:
    """Run the management command in ``argv`` (``sys.argv``)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "autoforge.settings")
    from django.core.management import execute_from_command_line
    from django.db import DatabaseError

    command = argv[1] if len(argv) > 1 else ""
    if command in RETRYING_COMMANDS or "--traceback" in argv:
        execute_from_command_line(argv)
        return
    try:
        execute_from_command_line(argv)
    except DatabaseError as error:
        if not failed_to_connect(error):
            raise
        sys.stderr.write(
            f"autoforge: database error: cannot connect to DATABASE_URL "
            f"({masked_url(database_url())}): {first_line(error)}\n"
        )
        raise SystemExit(2) from None


def failed_to_connect(error: BaseException) -> bool:
    """Whether ``error`` was raised while a connection was being opened.

    Django raises the same ``OperationalError`` for a refused connection as for
    a missing table; only where it was raised tells them apart. (Trying to
    connect again to find out could wait as long as the first attempt did.)
    """
    for frame, _line in traceback.walk_tb(error.__traceback__):
        module = frame.f_globals.get("__name__", "")
        if frame.f_code.co_name in _CONNECT_FUNCTIONS and module.startswith("django.db.backends."):
            return True
    return False


def database_url() -> str:
    """``DATABASE_URL`` as set (the settings have read ``.env`` into the environment)."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        return url
    from django.conf import settings

    return f"sqlite:///{settings.DATABASES['default']['NAME']}"


def masked_url(url: str) -> str:
    """``url`` with its password, if it has one, replaced by ``***``."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return url
    if not password:
        return url
    userinfo, host = parts.netloc.rsplit("@", 1)
    user = userinfo.split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0].strip() if lines else type(error).__name__
