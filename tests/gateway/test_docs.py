"""/docs works offline: the page and everything it loads come from the gateway itself."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import httpx
import pytest

from gateway.docs import ASSETS, ASSETS_PATH


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href", "data-openapi-url") and value is not None:
                self.urls.append(value)
        self._in_script = tag == "script"

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts += 1

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False


async def test_the_page_references_only_the_gateways_own_urls(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/docs")
    assert response.status_code == 200
    links = _Links()
    links.feed(response.text)
    assert links.urls, "the page loads nothing?"
    for url in links.urls:
        assert url.startswith("/"), url
        assert not url.startswith("//"), url
    assert "/openapi.json" in links.urls
    assert links.inline_scripts == 0  # the CSP allows no inline script
    assert not re.search(r"https?://", response.text)


async def test_every_url_of_the_page_is_served(gateway: httpx.AsyncClient) -> None:
    links = _Links()
    links.feed((await gateway.get("/docs")).text)
    for url in links.urls:
        if url == "/openapi.json":
            continue  # its own tests: it asks the services
        response = await gateway.get(url)
        assert response.status_code == 200, url
        assert response.content, url
        assert "public" in response.headers["cache-control"]


@pytest.mark.parametrize(
    ("name", "media_type"),
    [
        ("swagger-ui-bundle.js", "text/javascript"),
        ("swagger-ui.css", "text/css"),
        ("swagger-init.js", "text/javascript"),
        ("favicon.png", "image/png"),
    ],
)
async def test_the_assets_are_served_with_their_types(
    gateway: httpx.AsyncClient, name: str, media_type: str
) -> None:
    response = await gateway.get(f"{ASSETS_PATH}/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media_type)
    assert int(response.headers["content-length"]) == ASSETS[name][0].stat().st_size


async def test_swagger_ui_reads_openapi_3_1(gateway: httpx.AsyncClient) -> None:
    # Swagger UI 4 refuses a 3.1 document (ours): the bundle must be 5 or later.
    bundle = (await gateway.get(f"{ASSETS_PATH}/swagger-ui-bundle.js")).text
    assert "OpenAPI 3.1" in bundle or "openapi31" in bundle.lower()


async def test_the_start_script_sends_the_document_nowhere(gateway: httpx.AsyncClient) -> None:
    script = (await gateway.get(f"{ASSETS_PATH}/swagger-init.js")).text
    assert "validatorUrl: null" in script
    assert "http" not in script


@pytest.mark.parametrize("name", ["../docs.py", "..%2Fdocs.py", "redoc.standalone.js", "x"])
async def test_nothing_else_is_reachable_as_an_asset(gateway: httpx.AsyncClient, name: str) -> None:
    response = await gateway.get(f"{ASSETS_PATH}/{name}")
    assert response.status_code == 404
