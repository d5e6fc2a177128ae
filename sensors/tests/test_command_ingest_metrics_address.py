"""An ingest whose INGEST_METRICS_ADDRESS is taken stops at start-up with one line."""

from __future__ import annotations

import socket

from autoforge.tests.test_settings_startup import run_python
from conftest import free_port


def test_a_port_in_use_stops_the_ingest_with_one_line_and_status_2(tmp_path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        host, port = busy.getsockname()
        # Neither the broker nor the database is used before the port is bound.
        result = run_python(
            "manage.py",
            "mqtt_ingest",
            DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
            MQTT_BROKER="127.0.0.1",
            MQTT_PORT=str(free_port()),
            LOG_LEVEL="INFO",
            INGEST_METRICS_ADDRESS=f"{host}:{port}",
        )

    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("autoforge: configuration error: INGEST_METRICS_ADDRESS")
    assert f"{host}:{port}" in lines[0]
    assert "each ingest worker on a host needs an address of its own" in lines[0]
