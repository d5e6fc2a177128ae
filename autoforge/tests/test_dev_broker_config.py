from __future__ import annotations

from pathlib import Path

import pytest

from autoforge.broker_config import SHIPPED_CONF, delivery_settings
from autoforge.config import SettingError
from autoforge.dev_broker import (
    broker_address,
    broker_config,
    is_this_machine,
    listen_address,
)


def test_the_address_defaults_to_localhost_1883() -> None:
    assert broker_address({}) == ("localhost", 1883)
    assert broker_address({"MQTT_BROKER": "", "MQTT_PORT": ""}) == ("localhost", 1883)


def test_the_address_comes_from_the_environment() -> None:
    assert broker_address({"MQTT_BROKER": "10.0.0.5", "MQTT_PORT": "8883"}) == ("10.0.0.5", 8883)


def test_a_bad_port_names_the_setting() -> None:
    with pytest.raises(SettingError, match="MQTT_PORT"):
        broker_address({"MQTT_PORT": "70000"})


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST", "127.0.0.1", "::1", "[::1]"])
def test_loopback_names_are_this_machine(host: str) -> None:
    assert is_this_machine(host)


@pytest.mark.parametrize("host", ["10.0.0.5", "broker.example.com", "0.0.0.0"])
def test_other_hosts_are_not_this_machine(host: str) -> None:
    assert not is_this_machine(host)


def test_it_listens_on_ipv6_loopback_only_when_the_broker_is_named_so() -> None:
    assert listen_address("localhost") == "127.0.0.1"
    assert listen_address("::1") == "::1"


def test_the_config_adds_an_anonymous_loopback_listener_to_the_shipped_one(
    tmp_path: Path,
) -> None:
    text = broker_config(port=1999, address="127.0.0.1", workdir=tmp_path, as_root=False)
    lines = text.splitlines()
    assert "listener 1999 127.0.0.1" in lines
    assert "allow_anonymous true" in lines
    assert f"persistence_location {tmp_path}/" in lines
    assert "user root" not in lines
    assert delivery_settings(SHIPPED_CONF.read_text()) in text
    assert "max_inflight_messages 10000" in lines
    assert "allow_anonymous false" not in lines
    assert not any(line.startswith(("plugin", "listener 1883")) for line in lines)


def test_as_root_it_stays_root_to_write_its_folder(tmp_path: Path) -> None:
    text = broker_config(port=1999, address="127.0.0.1", workdir=tmp_path, as_root=True)
    assert "user root" in text.splitlines()
