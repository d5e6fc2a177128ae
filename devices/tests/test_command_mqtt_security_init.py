"""manage.py mqtt_security_init <file>: the broker's security file with the backend's accounts."""

from __future__ import annotations

import io
import json
import stat

import pytest
from django.core.management import CommandError, call_command


@pytest.fixture
def accounts(settings):
    settings.MQTT_ADMIN_USERNAME = "autoforge-admin"
    settings.MQTT_ADMIN_PASSWORD = "admin-password"
    settings.MQTT_USERNAME = "autoforge-ingest"
    settings.MQTT_PASSWORD = "ingest-password"
    return settings


def test_it_writes_the_two_accounts_hashed_readable_by_its_owner_only(accounts, tmp_path):
    path = tmp_path / "dynamic-security.json"

    call_command("mqtt_security_init", str(path), stdout=io.StringIO())

    text = path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "admin-password" not in text
    assert "ingest-password" not in text
    usernames = {client["username"] for client in json.loads(text)["clients"]}
    assert usernames == {"autoforge-admin", "autoforge-ingest"}


def test_it_keeps_an_existing_file_unless_forced(accounts, tmp_path):
    path = tmp_path / "dynamic-security.json"
    path.write_text("{}")

    with pytest.raises(CommandError, match="exists"):
        call_command("mqtt_security_init", str(path))
    assert path.read_text() == "{}"

    call_command("mqtt_security_init", str(path), "--force", stdout=io.StringIO())
    assert "autoforge-admin" in path.read_text()


def test_it_names_the_settings_it_misses(accounts, tmp_path):
    accounts.MQTT_PASSWORD = ""
    with pytest.raises(CommandError, match="MQTT_PASSWORD must be set"):
        call_command("mqtt_security_init", str(tmp_path / "x.json"))


def test_the_two_accounts_must_differ(accounts, tmp_path):
    accounts.MQTT_USERNAME = "autoforge-admin"
    with pytest.raises(CommandError, match="must differ"):
        call_command("mqtt_security_init", str(tmp_path / "x.json"))
