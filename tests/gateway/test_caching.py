"""ETag, 304 and Cache-Control on public reads: the gateway's own tag where the service sends
none (the echoing stand-in), the service's where it has one (the transparency report)."""

from __future__ import annotations

import uuid

import pytest

from gateway.caching import DEFAULT_POLICY, PublicCache
from tests.gateway.conftest import GatewayFactory
from tests.gateway.factories import Key
from tests.gateway.test_public import campaign_with_a_donation

DIRECTORY = "/api/v1/foundations"  # public; the echoing stand-in answers without an ETag


class TestGatewayTags:
    async def test_a_public_read_gets_a_strong_etag_and_cache_control(
        self, make_gateway: GatewayFactory
    ) -> None:
        async with make_gateway() as gateway:
            first = await gateway.get(DIRECTORY)
            second = await gateway.get(DIRECTORY)
        assert first.status_code == 200
        tag = first.headers["etag"]
        assert tag.startswith('"')  # strong: not W/
        assert first.headers["cache-control"] == "public, max-age=60"
        # The echo differs per request (its request id): so does the tag.
        assert second.headers["etag"] != tag

    async def test_if_none_match_with_the_current_tag_is_304_without_a_body(
        self, make_gateway: GatewayFactory, key: Key
    ) -> None:
        async with make_gateway() as gateway:
            # The donations service sends no ETag with a campaign's disclosures.
            campaign_id = await campaign_with_a_donation(gateway, key)
            path = f"/api/v1/campaigns/{campaign_id}/disclosures"
            first = await gateway.get(path)
            again = await gateway.get(
                path, headers={"If-None-Match": f'W/"x", {first.headers["etag"]}'}
            )
            stale = await gateway.get(path, headers={"If-None-Match": '"old"'})
            head = await gateway.head(path)
        assert first.headers["cache-control"] == "public, max-age=30"
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == first.headers["etag"]
        assert again.headers["cache-control"] == "public, max-age=30"
        assert "content-type" not in again.headers
        assert stale.status_code == 200
        assert stale.content == first.content
        assert head.status_code == 200
        assert head.content == b""
        assert head.headers["etag"] == first.headers["etag"]
        assert head.headers["content-length"] == first.headers["content-length"]

    async def test_an_authenticated_read_gets_no_tag_of_the_gateway(
        self, make_gateway: GatewayFactory, key: Key
    ) -> None:
        async with make_gateway() as gateway:
            response = await gateway.get("/api/v1/networks", headers=key.headers)
        assert "etag" not in response.headers
        assert response.headers["cache-control"] == "no-store"


class TestServiceTags:
    async def test_the_reports_own_etag_and_cache_control_are_kept(
        self, make_gateway: GatewayFactory, key: Key
    ) -> None:
        async with make_gateway() as gateway:
            campaign_id = await campaign_with_a_donation(gateway, key)
            path = f"/api/v1/campaigns/{campaign_id}/report"
            first = await gateway.get(path)
            again = await gateway.get(path, headers={"If-None-Match": first.headers["etag"]})
        tag = first.headers["etag"]
        assert tag.count(".") == 2  # the service's: <seq>.<version>.<digest>
        assert first.headers.get_list("etag") == [tag]
        assert first.headers["cache-control"] == "public, max-age=30"
        assert again.status_code == 304
        assert again.headers["etag"] == tag

    async def test_a_refusal_of_the_service_is_not_made_cacheable(
        self, make_gateway: GatewayFactory
    ) -> None:
        async with make_gateway() as gateway:
            response = await gateway.get(f"/api/v1/campaigns/{uuid.uuid4()}/report")
        assert response.status_code == 404
        assert "etag" not in response.headers
        assert "public" not in response.headers.get("cache-control", "")


# Fixed ids: the parameters name the tests, which every test process must collect alike.
ID = "0192d7e4-5b1c-7f00-8000-00000000abcd"
LOG = f"/api/v1/foundations/{ID}/log"


@pytest.mark.parametrize(
    ("path", "policy"),
    [
        (f"{LOG}/head", "public, max-age=5"),
        (f"{LOG}/heads", "public, max-age=5"),
        (f"{LOG}/entries/12", "public, max-age=86400, immutable"),
        (f"{LOG}/proofs/consistency", "public, max-age=86400, immutable"),
        (f"{LOG}/proofs/inclusion", "public, max-age=5"),
        ("/api/v1/log/keys", "public, max-age=300"),
        ("/api/v1/foundations", "public, max-age=60"),
        (f"/api/v1/foundations/{ID}", "public, max-age=60"),
        (f"/api/v1/foundations/{ID}/campaigns", DEFAULT_POLICY),
        (f"/api/v1/campaigns/{ID}/report", DEFAULT_POLICY),
        (f"/api/v1/disclosures/{ID}", DEFAULT_POLICY),
    ],
)
def test_each_public_read_has_its_age(path: str, policy: str) -> None:
    assert PublicCache().cache_control(path) == policy.encode()
