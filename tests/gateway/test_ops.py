"""The gateway's own routes: health, readiness, metrics."""

from __future__ import annotations

import httpx

from tests.gateway.factories import Key


class TestOperations:
    async def test_health_and_readiness_need_no_key(self, gateway: httpx.AsyncClient) -> None:
        assert (await gateway.get("/healthz")).json() == {"status": "ok"}
        ready = await gateway.get("/readyz")
        assert ready.json() == {"status": "ok", "checks": {"database": "ok"}}
        assert ready.headers["x-request-id"]

    async def test_metrics_label_proxied_requests_by_route_prefix(
        self, gateway: httpx.AsyncClient, key: Key
    ) -> None:
        await gateway.get("/api/v1/foundations/echo/123", headers=key.headers)
        await gateway.get("/api/v1/nothing-here", headers=key.headers)
        text = (await gateway.get("/metrics")).text
        assert 'route="/api/v1/foundations",status="200"' in text
        assert 'route="unmatched",status="404"' in text
        assert "/echo/123" not in text

    async def test_unknown_non_api_path_is_a_404_problem(self, gateway: httpx.AsyncClient) -> None:
        response = await gateway.get("/nothing")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"

    async def test_head_of_the_gateways_own_reads(self, gateway: httpx.AsyncClient) -> None:
        for path in ["/healthz", "/readyz", "/metrics", "/docs", "/openapi.json"]:
            get = await gateway.get(path)
            head = await gateway.head(path)
            assert head.status_code == get.status_code, path
            assert head.content == b""
            assert head.headers["content-type"] == get.headers["content-type"], path
        text = (await gateway.get("/metrics")).text
        assert 'method="HEAD",route="/healthz"' in text

    async def test_head_where_there_is_no_get_is_404_or_405(
        self, gateway: httpx.AsyncClient
    ) -> None:
        assert (await gateway.head("/nothing")).status_code == 404
        refused = await gateway.post("/healthz")
        assert refused.status_code == 405
        assert refused.headers["allow"] == "GET, HEAD"
        assert refused.json()["detail"] == "POST is not allowed on /healthz; it allows GET, HEAD"
