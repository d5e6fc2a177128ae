"""METRICS_TOKEN and INGEST_METRICS_ADDRESS: read as the contract says, or one line naming them."""

from __future__ import annotations

import pytest

from autoforge.config import EnvReader, SettingError
from autoforge.tests.test_settings_startup import run_python


@pytest.mark.parametrize(
    ("value", "address"),
    [
        ("127.0.0.1:9108", ("127.0.0.1", 9108)),
        ("0.0.0.0:9200", ("0.0.0.0", 9200)),
        ("[::1]:9108", ("::1", 9108)),
        ("localhost:1", ("localhost", 1)),
        ("", None),
    ],
)
def test_an_ingest_metrics_address_is_a_host_and_a_port(value, address) -> None:
    env = EnvReader({"INGEST_METRICS_ADDRESS": value})

    assert env.listen_address("INGEST_METRICS_ADDRESS", "127.0.0.1:9108") == address


def test_the_ingest_metrics_address_defaults_to_the_loopback_port_9108() -> None:
    assert EnvReader({}).listen_address("INGEST_METRICS_ADDRESS", "127.0.0.1:9108") == (
        "127.0.0.1",
        9108,
    )


@pytest.mark.parametrize(
    "value", ["9108", ":9108", "localhost", "host:port", "::1:9108", "host:0", "host:70000"]
)
def test_a_malformed_ingest_metrics_address_is_a_setting_error(value) -> None:
    env = EnvReader({"INGEST_METRICS_ADDRESS": value})

    with pytest.raises(SettingError, match="INGEST_METRICS_ADDRESS"):
        env.listen_address("INGEST_METRICS_ADDRESS", "127.0.0.1:9108")


def test_a_metrics_token_with_a_space_is_a_setting_error_that_does_not_echo_it() -> None:
    env = EnvReader({"METRICS_TOKEN": "secret token"})

    with pytest.raises(SettingError, match="METRICS_TOKEN") as error:
        env.token("METRICS_TOKEN")
    assert "secret" not in str(error.value)


def test_an_empty_metrics_token_means_public() -> None:
    assert EnvReader({}).token("METRICS_TOKEN") == ""


@pytest.mark.parametrize(
    ("name", "value"), [("INGEST_METRICS_ADDRESS", "9108"), ("METRICS_TOKEN", "a b")]
)
def test_a_malformed_metrics_setting_stops_manage_py_with_one_line(name, value) -> None:
    result = run_python("manage.py", "check", **{name: value})

    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert name in lines[0]
