"""Every page carries a Content-Security-Policy that allows only what we serve (django-csp).

The admin works under it because Django 5.2's admin has no inline script,
no inline style attribute and no event-handler attribute: the pages are
checked for each here, so an admin upgrade that adds one fails this test.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import User
from django.test import Client

from control.services import command_create

pytestmark = pytest.mark.django_db

EXPECTED = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
    "base-uri": ["'self'"],
    "object-src": ["'none'"],
}


def policy(response) -> dict[str, list[str]]:
    directives = (part.split() for part in response["Content-Security-Policy"].split(";"))
    return {words[0]: words[1:] for words in directives if words}


class InlineCode(HTMLParser):
    """Collects what the policy would block: inline scripts, style attributes, handlers."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        data_block = dict(attrs).get("type") == "application/json"  # json_script: not run
        if tag == "script" and "src" not in names and not data_block:
            self._in_inline_script = True
        if tag == "style":
            self.found.append("<style> element")
        self.found.extend(f"{name}= on <{tag}>" for name in names if name.startswith("on"))
        if "style" in names:
            self.found.append(f"style= on <{tag}>")

    def handle_data(self, data: str) -> None:
        if self._in_inline_script and data.strip():
            self.found.append(f"inline script {data.strip()[:60]!r}")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_inline_script = False


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.found


def test_the_admin_login_page_has_the_policy():
    response = Client().get("/admin/login/")

    assert response.status_code == 200
    assert policy(response) == EXPECTED
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]


def test_the_admin_pages_need_nothing_the_policy_blocks(client):
    client.force_login(User.objects.create_superuser("admin", password="admin-password"))
    command = command_create(device_id="dev-1", command="reboot", ttl_seconds=300)
    pages = [
        "/admin/",
        "/admin/control/command/",
        f"/admin/control/command/{command.id}/change/",
        "/admin/sensors/sensorreading/",
        "/admin/sensors/deadletter/",
        "/admin/auth/user/",
        "/admin/auth/user/add/",
        "/admin/axes/accessattempt/",
    ]

    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        assert policy(response) == EXPECTED, page
        assert inline_code(response.content.decode()) == [], page


def test_the_login_page_itself_needs_nothing_the_policy_blocks():
    assert inline_code(Client().get("/admin/login/").content.decode()) == []


def test_the_checker_sees_inline_code():
    page = '<script>alert(1)</script><a onclick="x()">a</a><p style="color:red"></p>'

    assert len(inline_code(page)) == 3
