"""What every answer carries (security headers), and CORS: preflights answered without a
key, the allowed origins' answers readable by their pages, every other origin's not."""

from __future__ import annotations

import uuid

import httpx
import pytest

from gateway.settings import GatewaySettings
from tests.gateway.conftest import GatewayFactory
from tests.gateway.factories import Key
from tests.gateway.test_settings import REQUIRED
from tests.gateway.upstreams import Recorder

APP = "https://app.example.org"
OTHER = "https://evil.example.net"
PUBLIC = "/api/v1/foundations"  # a public read; the echoing stand-in answers it
PRIVATE = "/api/v1/networks"


def preflight(origin: str, method: str = "POST") -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "x-api-key, content-type, idempotency-key",
    }


class TestPreflight:
    async def test_an_allowed_origin_gets_204_with_the_cors_headers_and_no_key(
        self, make_gateway: GatewayFactory, recorder: Recorder
    ) -> None:
        async with make_gateway(cors_allowed_origins=[APP]) as gateway:
            response = await gateway.options(PRIVATE, headers=preflight(APP))
        assert response.status_code == 204
        assert response.headers["access-control-allow-origin"] == APP
        assert "POST" in response.headers["access-control-allow-methods"]
        allowed = response.headers["access-control-allow-headers"].lower()
        for header in ("x-api-key", "content-type", "idempotency-key", "authorization"):
            assert header in allowed
        assert response.headers["access-control-max-age"] == "600"
        assert "Origin" in response.headers["vary"]
        assert "access-control-allow-credentials" not in response.headers
        assert recorder.requests == []  # answered by the gateway

    async def test_a_disallowed_origin_gets_no_cors_header(
        self, make_gateway: GatewayFactory, recorder: Recorder
    ) -> None:
        async with make_gateway(cors_allowed_origins=[APP]) as gateway:
            response = await gateway.options(PRIVATE, headers=preflight(OTHER))
        assert response.status_code == 204
        assert not [h for h in response.headers if h.startswith("access-control-")]
        assert recorder.requests == []

    async def test_origins_come_from_a_comma_separated_setting(
        self, make_gateway: GatewayFactory
    ) -> None:
        async with make_gateway(cors_allowed_origins=f"{OTHER}/, {APP}") as gateway:
            response = await gateway.options(PRIVATE, headers=preflight(APP))
        assert response.headers["access-control-allow-origin"] == APP

    async def test_credentials_are_allowed_only_when_configured(
        self, make_gateway: GatewayFactory
    ) -> None:
        async with make_gateway(cors_allowed_origins=[APP], cors_allow_credentials=True) as gateway:
            response = await gateway.options(PRIVATE, headers=preflight(APP))
        assert response.headers["access-control-allow-credentials"] == "true"

    async def test_any_origin_with_a_star(self, make_gateway: GatewayFactory) -> None:
        async with make_gateway(cors_allowed_origins=["*"]) as gateway:
            response = await gateway.options(PRIVATE, headers=preflight(OTHER))
            read = await gateway.get(PUBLIC, headers={"Origin": OTHER})
        assert response.headers["access-control-allow-origin"] == "*"
        assert read.headers["access-control-allow-origin"] == "*"

    def test_an_origin_with_a_path_is_refused(self) -> None:
        with pytest.raises(ValueError, match="not an origin"):
            GatewaySettings(**REQUIRED, cors_allowed_origins=["https://app.example.org/page"])


class TestCorsOnAnswers:
    async def test_a_public_read_from_an_allowed_origin_is_readable(
        self, make_gateway: GatewayFactory
    ) -> None:
        async with make_gateway(cors_allowed_origins=[APP]) as gateway:
            response = await gateway.get(PUBLIC, headers={"Origin": APP})
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == APP
        exposed = response.headers["access-control-expose-headers"]
        for header in ("ETag", "Retry-After", "RateLimit", "X-Request-ID", "Location"):
            assert header in exposed
        assert "Origin" in response.headers.get_list("vary")

    async def test_a_public_read_from_another_origin_is_not(
        self, make_gateway: GatewayFactory
    ) -> None:
        async with make_gateway(cors_allowed_origins=[APP]) as gateway:
            response = await gateway.get(PUBLIC, headers={"Origin": OTHER})
        assert response.status_code == 200
        assert "access-control-allow-origin" not in response.headers
        assert "Origin" in response.headers.get_list("vary")

    async def test_refusals_are_readable_too(self, make_gateway: GatewayFactory) -> None:
        # A page must be able to read the 401 or 429 to tell its user what happened.
        async with make_gateway(cors_allowed_origins=[APP]) as gateway:
            response = await gateway.get(PRIVATE, headers={"Origin": APP})
        assert response.status_code == 401
        assert response.headers["access-control-allow-origin"] == APP

    async def test_without_origins_configured_nothing_is_added(
        self, make_gateway: GatewayFactory
    ) -> None:
        async with make_gateway() as gateway:
            response = await gateway.get(PUBLIC, headers={"Origin": APP})
            options = await gateway.options(PRIVATE, headers=preflight(APP))
        assert "access-control-allow-origin" not in response.headers
        assert "vary" not in response.headers
        assert options.status_code == 401  # no CORS: an OPTIONS is a request like any other


SECURITY = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


class TestSecurityHeaders:
    @pytest.mark.parametrize(
        "path",
        [PUBLIC, PRIVATE, "/api/v1/nowhere", "/healthz", "/openapi.json", "/api/v1/x/../y"],
    )
    async def test_every_answer_carries_them(self, make_gateway: GatewayFactory, path: str) -> None:
        async with make_gateway() as gateway:
            response = await gateway.get(path)
        for name, value in SECURITY.items():
            assert response.headers[name] == value, (path, name)
        csp = response.headers["content-security-policy"]
        assert "default-src 'none'" in csp
        assert "frame-ancestors 'none'" in csp
        assert "strict-transport-security" not in response.headers

    async def test_a_proxied_answer_keeps_one_of_each(
        self, make_gateway: GatewayFactory, key: Key
    ) -> None:
        async with make_gateway() as gateway:
            response = await gateway.get(PRIVATE, headers=key.headers)
        assert response.status_code == 200
        for name in SECURITY:
            assert len(response.headers.get_list(name)) == 1

    async def test_hsts_when_configured(self, make_gateway: GatewayFactory) -> None:
        async with make_gateway(hsts_seconds=31536000) as gateway:
            response = await gateway.get(PUBLIC)
        assert response.headers["strict-transport-security"] == "max-age=31536000"

    async def test_an_authenticated_answer_is_not_stored_by_caches(
        self, make_gateway: GatewayFactory, key: Key
    ) -> None:
        async with make_gateway() as gateway:
            response = await gateway.get(PRIVATE, headers=key.headers)
        assert response.headers["cache-control"] == "no-store"

    async def test_the_docs_page_may_run_its_own_scripts_only(
        self, gateway: httpx.AsyncClient
    ) -> None:
        response = await gateway.get("/docs")
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp.split("script-src", 1)[1].split(";", 1)[0]
        assert "frame-ancestors 'none'" in csp


async def test_a_key_for_a_foundation_is_still_needed_past_the_edge(
    make_gateway: GatewayFactory,
) -> None:
    # CORS opens nothing: a cross-origin request without a key is refused as any other.
    async with make_gateway(cors_allowed_origins=["*"]) as gateway:
        response = await gateway.post(
            f"/api/v1/foundations/{uuid.uuid4()}/campaigns", headers={"Origin": APP}
        )
    assert response.status_code == 401
