"""Broker configurations made from deploy/mosquitto.conf: one for development, one as shipped."""

from __future__ import annotations

from pathlib import Path

from autoforge.broker_config import (
    SHIPPED_CONF,
    delivery_settings,
    development_config,
    secure_config,
)


def directives(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


def test_the_shipped_file_refuses_anonymous_clients_and_loads_dynamic_security() -> None:
    lines = directives(SHIPPED_CONF.read_text())
    assert "allow_anonymous false" in lines
    assert any(
        line.startswith("plugin ") and line.endswith("mosquitto_dynamic_security.so")
        for line in lines
    )
    assert any(line.startswith("plugin_opt_config_file ") for line in lines)
    assert "allow_anonymous true" not in lines


def test_development_keeps_every_delivery_setting_and_no_access_rule(tmp_path: Path) -> None:
    text = development_config(port=1999, address="127.0.0.1", workdir=tmp_path, as_root=False)
    shipped = directives(SHIPPED_CONF.read_text())
    lines = directives(text)

    kept = [
        line for line in shipped if not line.startswith(("listener", "allow_", "plugin", "per_"))
    ]
    assert kept
    assert all(line in lines for line in kept)
    assert [line for line in lines if line.startswith("listener")] == ["listener 1999 127.0.0.1"]
    assert "allow_anonymous true" in lines
    assert not any(line.startswith("plugin") for line in lines)


def test_secure_keeps_the_shipped_access_rules_on_its_own_port_and_file(tmp_path: Path) -> None:
    security = tmp_path / "dynsec.json"
    text = secure_config(
        port=1999, address="127.0.0.1", workdir=tmp_path, as_root=True, security_file=security
    )
    lines = directives(text)

    assert [line for line in lines if line.startswith("listener")] == ["listener 1999 127.0.0.1"]
    assert "allow_anonymous false" in lines
    assert f"plugin_opt_config_file {security}" in lines
    assert "user root" in lines
    assert all(line in lines for line in directives(delivery_settings(SHIPPED_CONF.read_text())))


def test_delivery_settings_drop_access_lines_only() -> None:
    shipped = ["persistence true", "listen 1", "listener 1883", "# listener 8883", "acl_file /x"]
    assert delivery_settings("\n".join(shipped)) == "persistence true\nlisten 1\n# listener 8883"
