"""/api/schema and /api/docs (CONTRACT §3 v2): the document lists every /api
path, and the Swagger UI page loads nothing from outside this server."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

NOT_DOCUMENTED = {"/api/schema", "/api/docs"}


def api_paths() -> set[str]:
    """Every route under /api/, as an OpenAPI path template."""
    paths = set()

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern).lstrip("^").rstrip("$").replace("\\Z", "")
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and route.startswith("api/"):
                template = re.sub(r"\(\?P<(\w+)>[^)]*\)|<(?:\w+:)?(\w+)>", _name, route)
                paths.add("/" + template.replace("{pk}", "{id}"))

    walk(get_resolver().url_patterns, "")
    return paths - NOT_DOCUMENTED


def _name(match: re.Match) -> str:
    return "{" + (match.group(1) or match.group(2)) + "}"


class AssetReferences(HTMLParser):
    """Every URL a page loads: script src, link href, img src."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0
        self.style_elements = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        name = {"script": "src", "link": "href", "img": "src"}.get(tag)
        if name and attributes.get(name):
            self.urls.append(attributes[name])
        elif tag == "script":
            self.inline_scripts += 1
        if tag == "style":
            self.style_elements += 1


@pytest.fixture
def client(settings) -> APIClient:
    settings.API_THROTTLE_ANON = ""
    # Unhashed static names: these tests need no collectstatic run before them.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    return APIClient()


def test_the_schema_is_yaml_listing_every_api_path(client):
    response = client.get("/api/schema")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    document = yaml.safe_load(response.content)
    assert document["info"]["title"] == "AutoForge IoT Backend"
    assert set(document["paths"]) >= api_paths()
    assert {"/api/health", "/api/sensors/latest", "/api/control/{id}"} <= set(document["paths"])


def test_the_schema_is_json_with_format_json(client):
    response = client.get("/api/schema", {"format": "json"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    document = json.loads(response.content)
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) >= api_paths()


def test_every_operation_documents_its_errors(client):
    document = json.loads(client.get("/api/schema", {"format": "json"}).content)

    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert "503" in operation["responses"], (method, path)
            if path != "/api/health":
                assert {"401", "403", "429"} <= set(operation["responses"]), (method, path)
    assert "400" in document["paths"]["/api/sensors/history"]["get"]["responses"]
    assert "415" in document["paths"]["/api/control"]["post"]["responses"]


def test_the_docs_page_loads_only_local_assets(client):
    response = client.get("/api/docs")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = AssetReferences()
    page.feed(response.content.decode())
    assert page.urls
    for url in page.urls:
        assert url.startswith("/"), url
        assert not url.startswith("//"), url
        assert "http:" not in url, url
        assert "https:" not in url, url
    # The Content-Security-Policy allows no inline script or style.
    assert page.inline_scripts == 0
    assert page.style_elements == 0


def test_the_docs_assets_exist_and_its_script_is_a_file(client, settings):
    page = AssetReferences()
    page.feed(client.get("/api/docs").content.decode())

    static = [url for url in page.urls if url.startswith(settings.STATIC_URL)]
    assert len(static) >= 4  # CSS, two bundles, the favicon
    for url in static:
        assert finders.find(url.removeprefix(settings.STATIC_URL)), url
    (script,) = [url for url in page.urls if url.startswith("/api/docs")]
    response = client.get(script)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in response.content
    assert b"/api/schema" in response.content
    # Swagger UI's validator badge would be an image from validator.swagger.io.
    assert b'"validatorUrl": null' in response.content


def test_the_docs_page_is_under_a_policy_of_self_only(client):
    policy = client.get("/api/docs")["Content-Security-Policy"]

    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["font-src"] == "'self'"


@pytest.mark.parametrize(
    ("path", "query", "accept", "status"),
    [
        ("/api/schema", {"format": "xml"}, None, 400),
        ("/api/docs", {"format": "json"}, None, 400),
        ("/api/schema", {}, "text/csv", 406),
        ("/api/docs", {}, "application/json", 406),
    ],
)
def test_their_errors_are_json_like_the_rest_of_the_api(client, path, query, accept, status):
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    response = client.get(path, query, **headers)

    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["message"]
    if status == 400:
        assert body["errors"].keys() == {"format"}
        assert "'format'" in body["message"]


def test_throttled_the_docs_answer_a_json_error(client, settings):
    settings.API_THROTTLE_ANON = "1/min"
    assert client.get("/api/schema").status_code == 200

    response = client.get("/api/docs")

    assert response.status_code == 429
    assert response.json()["message"]
