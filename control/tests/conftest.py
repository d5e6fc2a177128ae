from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from conftest import user_with_permission
from control.outbox import CommandOutbox
from control.tests.fakes import RecordingPublish


@pytest.fixture
def outbox() -> CommandOutbox:
    """An outbox that polls at every tick (the half-second pacing is tested apart)."""
    box = CommandOutbox(control_topic="control/+/command", ttl_seconds=300)
    box.poll_interval = 0
    return box


@pytest.fixture
def publish() -> RecordingPublish:
    return RecordingPublish()


@pytest.fixture
def operator(db) -> User:
    """A user allowed to send commands (add_command), not a superuser."""
    return user_with_permission("operator", "add_command")


@pytest.fixture
def viewer(db) -> User:
    """A user allowed to read commands only (view_command)."""
    return user_with_permission("viewer", "view_command")


@pytest.fixture
def nobody(db) -> User:
    """An authenticated user without any permission."""
    return User.objects.create_user("nobody", password="nobody-password")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    """Real hashing costs a noticeable fraction of a second per user."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def ingest_env(subprocess_env) -> dict[str, str]:
    """``subprocess_env`` for an ingest that reconnects fast and keeps commands 5 minutes."""
    return {
        **subprocess_env,
        "MQTT_RECONNECT_MIN_SECONDS": "1",
        "MQTT_RECONNECT_MAX_SECONDS": "1",
        "COMMAND_TTL_SECONDS": "300",
        "MQTT_SHARED_GROUP": "",
        "API_READS_REQUIRE_AUTH": "false",
    }


@pytest.fixture
def device(mosquitto):
    from control.tests.integration import Device

    simulated = Device(mosquitto, "dev-1")
    try:
        yield simulated
    finally:
        simulated.close()


@pytest.fixture
def api(transactional_db):
    """An API client authenticated with the token of a superuser."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    admin = User.objects.create_superuser("admin", password="admin-password")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=admin).key}")
    return client
