from __future__ import annotations

import pytest

from autoforge import dev_broker
from conftest import free_port


def test_it_says_in_one_line_how_to_get_mosquitto_when_it_cannot_install_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path
) -> None:
    monkeypatch.setenv("MQTT_BROKER", "127.0.0.1")
    monkeypatch.setenv("MQTT_PORT", str(free_port()))
    monkeypatch.setattr(dev_broker, "mosquitto_binary", lambda: None)
    monkeypatch.setattr(dev_broker, "install_mosquitto", lambda: None)

    assert dev_broker.main(["--ready-file", str(tmp_path / "ready")]) == 1

    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert "sudo apt-get install mosquitto" in error
    assert not (tmp_path / "ready").exists()
