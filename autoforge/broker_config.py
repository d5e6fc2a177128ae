"""Mosquitto configurations made from ``deploy/mosquitto.conf``, for brokers we start ourselves.

The shipped file holds two kinds of lines: how messages are kept (persistence,
queues, in-flight window) and who may connect to what (listener, anonymous
access, the dynamic security plugin). A development broker (``bin/run``, most
tests) keeps the first kind and accepts anonymous clients on the loopback
address; a secure test broker keeps both, on its own port and with its own
security file. Either way the delivery settings are the shipped ones.
"""

from __future__ import annotations

from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SHIPPED_CONF = BASE_DIR / "deploy" / "mosquitto.conf"

#: The directives that say who may connect, where, and to what.
ACCESS_DIRECTIVES = frozenset(
    {
        "listener",
        "allow_anonymous",
        "per_listener_settings",
        "plugin",
        "plugin_opt_config_file",
        "password_file",
        "acl_file",
        "certfile",
        "keyfile",
        "cafile",
        "require_certificate",
    }
)


def _directive(line: str) -> str:
    words = line.split(None, 1)
    return words[0] if words and not words[0].startswith("#") else ""


def delivery_settings(shipped: str) -> str:
    """The shipped configuration without its access lines."""
    return "\n".join(
        line for line in shipped.splitlines() if _directive(line) not in ACCESS_DIRECTIVES
    )


def _header(*, port: int, address: str, workdir: Path, as_root: bool) -> list[str]:
    lines = [f"listener {port} {address}", f"persistence_location {workdir}/"]
    if as_root:
        lines.append("user root")  # else it drops to 'mosquitto', who cannot write workdir
    return lines


def development_config(
    *, port: int, address: str, workdir: Path, as_root: bool, shipped: str | None = None
) -> str:
    """The shipped delivery settings, anonymous clients on ``address:port`` only."""
    shipped = SHIPPED_CONF.read_text() if shipped is None else shipped
    lines = [
        "# Development: ANONYMOUS clients, on the loopback address only.",
        *_header(port=port, address=address, workdir=workdir, as_root=as_root),
        "allow_anonymous true",
        delivery_settings(shipped),
    ]
    return "\n".join(lines) + "\n"


def secure_config(
    *,
    port: int,
    address: str,
    workdir: Path,
    as_root: bool,
    security_file: Path,
    shipped: str | None = None,
) -> str:
    """The shipped configuration as it is, but for its listeners (one on
    ``address:port`` instead) and its security file (``security_file``)."""
    shipped = SHIPPED_CONF.read_text() if shipped is None else shipped
    lines = _header(port=port, address=address, workdir=workdir, as_root=as_root)
    for line in shipped.splitlines():
        directive = _directive(line)
        if directive in {"listener", "certfile", "keyfile", "cafile", "require_certificate"}:
            continue
        if directive == "plugin_opt_config_file":
            line = f"plugin_opt_config_file {security_file}"
        lines.append(line)
    return "\n".join(lines) + "\n"
