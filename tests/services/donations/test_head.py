"""HEAD wherever GET is (RFC 9110 section 9.3.2), through kit's ``HeadAsGet``: the GET's
status and headers, no body."""

from __future__ import annotations

import uuid

import httpx

from tests.services.donations.factories import create_campaign, donate

# Per request, so never equal between two requests.
_PER_REQUEST = {"x-request-id", "traceparent"}


def same_headers(head: httpx.Response, get: httpx.Response) -> None:
    def kept(response: httpx.Response) -> dict[str, str]:
        return {k: v for k, v in response.headers.items() if k not in _PER_REQUEST}

    assert kept(head) == kept(get)


class TestHead:
    async def test_a_campaign_read_is_the_get_without_its_body(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        path = f"/api/v1/campaigns/{campaign['id']}"
        get = await client.get(path)
        head = await client.head(path)
        assert head.status_code == get.status_code == 200
        assert head.content == b""
        same_headers(head, get)
        assert int(head.headers["content-length"]) == len(get.content) > 0
        assert head.headers["etag"] == get.headers["etag"]

    async def test_if_none_match_gives_304(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client)
        path = f"/api/v1/campaigns/{campaign['id']}"
        tag = (await client.head(path)).headers["etag"]
        head = await client.head(path, headers={"If-None-Match": tag})
        assert head.status_code == 304
        assert head.content == b""
        assert head.headers["etag"] == tag

    async def test_a_list_and_a_public_report(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client)
        for path in ["/api/v1/campaigns", f"/api/v1/campaigns/{campaign['id']}/report"]:
            get = await client.get(path)
            head = await client.head(path)
            assert head.status_code == get.status_code == 200, path
            assert head.content == b""
            same_headers(head, get)

    async def test_a_streamed_csv_export_is_headers_only(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client)
        for amount in ("10.00", "20.00", "30.00"):
            assert (await donate(client, campaign["id"], amount)).status_code == 201
        path = f"/api/v1/campaigns/{campaign['id']}/report/donations?format=csv"
        get = await client.get(path)
        head = await client.head(path)
        assert head.status_code == get.status_code == 200
        assert head.content == b""
        assert get.content.count(b"\n") == 4
        same_headers(head, get)
        assert head.headers["content-type"] == "text/csv; charset=utf-8"
        # The app and its database are still fine afterwards.
        assert (await client.get(path)).content == get.content

    async def test_an_unknown_path_is_404(self, client: httpx.AsyncClient) -> None:
        head = await client.head(f"/api/v1/nothing/{uuid.uuid4()}")
        assert head.status_code == 404
        assert head.content == b""

    async def test_an_unknown_campaign_is_404_like_its_get(self, client: httpx.AsyncClient) -> None:
        path = f"/api/v1/campaigns/{uuid.uuid4()}"
        get = await client.get(path)
        head = await client.head(path)
        assert head.status_code == get.status_code == 404
        assert head.content == b""
        same_headers(head, get)

    async def test_where_only_post_exists_it_is_405_with_allow(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        head = await client.head(f"/api/v1/campaigns/{campaign['id']}/transitions")
        assert head.status_code == 405
        assert head.headers["allow"] == "POST"
        assert head.content == b""

    async def test_allow_names_head_next_to_get(self, client: httpx.AsyncClient) -> None:
        response = await client.put("/api/v1/campaigns", json={})
        assert response.status_code == 405
        assert response.headers["allow"] == "GET, HEAD, POST"

    async def test_health_and_metrics(self, client: httpx.AsyncClient) -> None:
        for path in ["/healthz", "/metrics"]:
            head = await client.head(path)
            assert head.status_code == 200, path
            assert head.content == b""
        metrics = (await client.get("/metrics")).text
        assert 'method="HEAD",route="/healthz"' in metrics
