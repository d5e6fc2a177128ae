from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from alarms.tests.factories import user_with


@pytest.fixture(autouse=True)
def _fast_password_hashing_and_no_throttling(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.API_THROTTLE_ANON = ""


@pytest.fixture
def rule_editor(db) -> User:
    """May add, change and delete rules; not a superuser."""
    return user_with("editor", "add_alarmrule", "change_alarmrule", "delete_alarmrule")


@pytest.fixture
def acknowledger(db) -> User:
    """May acknowledge alarms; not a superuser."""
    return user_with("acker", "acknowledge_alarm")


@pytest.fixture
def nobody(db) -> User:
    """An authenticated user without any permission."""
    return User.objects.create_user("nobody", password="nobody-password")
