from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from conftest import user_with_permission
from devices.broker_admin import BrokerAdmin
from devices.tests.fakes import RecordingBroker


@pytest.fixture
def broker(monkeypatch) -> RecordingBroker:
    """The broker every interface gets from ``BrokerAdmin.from_settings()``."""
    recording = RecordingBroker()
    monkeypatch.setattr(BrokerAdmin, "from_settings", classmethod(lambda cls: recording))
    return recording


@pytest.fixture
def keeper(db) -> User:
    """A user allowed to manage device credentials, not a superuser."""
    return user_with_permission("keeper", "manage_credentials")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
