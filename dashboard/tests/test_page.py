"""``GET /``: what the server renders, for whom, under the Content-Security-Policy."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.utils import timezone

from devices.models import Device

pytestmark = pytest.mark.django_db


class Page(HTMLParser):
    """The page's asset URLs, inline code the policy would block, and element ids."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline: list[str] = []
        self.ids: set[str] = set()
        self.json_blocks: dict[str, str] = {}
        self._script: tuple[str, bool] | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs) -> None:
        attributes = dict(attrs)
        if "id" in attributes:
            self.ids.add(attributes["id"])
        if "style" in attributes or tag == "style":
            self.inline.append(f"style on <{tag}>")
        self.inline.extend(f"{name}= on <{tag}>" for name in attributes if name.startswith("on"))
        for name in ("src", "href"):
            if attributes.get(name) and tag in {"script", "link", "img"}:
                self.urls.append(attributes[name])
        if tag == "script" and "src" not in attributes:
            self._script = (
                attributes.get("id") or "",
                attributes.get("type") == "application/json",
            )

    def handle_data(self, data: str) -> None:
        if self._script is not None and data.strip():
            script_id, is_data = self._script
            if is_data:
                self.json_blocks[script_id] = data
            else:
                self.inline.append(f"inline script {data.strip()[:40]!r}")

    def handle_endtag(self, tag) -> None:
        if tag == "script":
            self._script = None


def user_with(*codenames: str) -> User:
    user = User.objects.create_user("someone", password="a-long-password-1")
    for codename in codenames:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    return user


def get(client: Client, url: str = "/") -> Page:
    response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/html")
    return Page(response.content.decode())


def test_lists_every_device_of_the_registry_without_javascript(client):
    now = timezone.now()
    Device.objects.create(device_id="press-1", last_seen=now, reading_count=7)
    Device.objects.create(device_id="press-2", last_seen=now - timedelta(days=2))
    Device.objects.create(device_id="press-3")
    html = client.get("/").content.decode()
    rows = re.findall(r'<tr data-device-id="([^"]+)"[^>]*>(.*?)</tr>', html, re.S)
    assert [device for device, _ in rows] == ["press-1", "press-2", "press-3"]
    states = [re.search(r'class="badge (\w+)"', row).group(1) for _, row in rows]
    assert states == ["online", "offline", "offline"]
    assert ">7<" in rows[0][1]
    assert "never" in rows[2][1]


def test_no_device_yet(client):
    assert "No device has sent a reading yet" in client.get("/").content.decode()


def test_no_inline_code_and_every_asset_from_this_server(client):
    Device.objects.create(device_id="press-1")
    page = get(client, "/?device=press-1")
    assert page.inline == []
    assert page.urls
    for url in page.urls:
        assert url.startswith("/"), url
        assert not url.startswith("//"), url
    assert any("uPlot.iife.min.js" in url for url in page.urls)
    assert any("dashboard.js" in url for url in page.urls)


def test_settings_reach_the_script_as_a_json_data_block(client):
    page = get(client, "/?device=press-1&range=7d")
    config = json.loads(page.json_blocks["dashboard-config"])
    assert config["device"] == "press-1"
    assert config["range"] == "7d"
    assert config["urls"] == {
        "devices": "/api/devices",
        "aggregate": "/api/sensors/aggregate",
        "stream": "/api/sensors/stream",
        "commands": "/api/control",
        "alarms": "/api/alarms",
    }
    assert config["canSendCommands"] is False


def test_an_unknown_range_falls_back_to_24_hours(client):
    config = json.loads(get(client, "/?device=x&range=1y").json_blocks["dashboard-config"])
    assert config["range"] == "24h"


def test_anonymous_sees_no_commands(client):
    page = get(client, "/?device=press-1")
    assert "command-form" not in page.ids
    assert "commands-table" not in page.ids


def test_a_user_who_may_view_commands_sees_them_but_no_form(client):
    client.force_login(user_with("view_command"))
    page = get(client, "/?device=press-1")
    assert "commands-table" in page.ids
    assert "command-form" not in page.ids


def test_a_user_without_permission_sees_no_form(client):
    client.force_login(user_with())
    page = get(client, "/?device=press-1")
    assert "command-form" not in page.ids
    assert "commands-table" not in page.ids


def test_a_user_who_may_send_sees_the_form_with_a_csrf_token(client):
    client.force_login(user_with("add_command"))
    response = client.get("/?device=press-1")
    page = Page(response.content.decode())
    assert {"command-form", "commands-table"} <= page.ids
    assert "csrftoken" in response.cookies
    config = json.loads(page.json_blocks["dashboard-config"])
    assert config["canSendCommands"] is True
    assert config["canViewCommands"] is True


def test_reads_require_auth_sends_anonymous_users_to_the_login(client, settings):
    settings.API_READS_REQUIRE_AUTH = True
    response = client.get("/?device=press-1")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/%3Fdevice%3Dpress-1"
    client.force_login(user_with())
    assert client.get("/").status_code == 200


def test_login_and_logout_through_the_auth_views(client):
    user_with()
    page = get(client, "/accounts/login/?next=/")
    assert page.inline == []
    assert "login-form" in page.ids
    response = client.post(
        "/accounts/login/",
        {"username": "someone", "password": "a-long-password-1", "next": "/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert "someone" in client.get("/").content.decode()
    assert client.post("/accounts/logout/")["Location"] == "/"
    assert client.get("/").wsgi_request.user.is_anonymous


def test_a_wrong_password_is_refused(client):
    user_with()
    response = client.post("/accounts/login/", {"username": "someone", "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_only_get_and_head(client):
    assert client.post("/").status_code == 405


def test_csp_header_on_the_page(client):
    policy = client.get("/")["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
