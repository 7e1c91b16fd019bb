from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import FastAPI

from kit.identity import TokenSigner
from tests.services.donations.factories import (
    create_campaign,
    donate,
    edit,
    move_to,
    read_campaign,
)
from tests.support import client_for, principal


class TestReadCampaign:
    async def test_another_foundations_campaign_is_not_found(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        async with client_for(app, principal()) as other:
            response = await other.get(f"/api/v1/campaigns/{campaign['id']}")
            listing = await other.get("/api/v1/campaigns")
        assert response.status_code == 404
        assert response.json()["type"] == "urn:fnet:problem:campaign-not-found"
        assert listing.json()["items"] == []

    async def test_unknown_id_is_not_found(self, client: httpx.AsyncClient) -> None:
        response = await client.get(f"/api/v1/campaigns/{uuid.uuid4()}")
        assert response.status_code == 404

    async def test_malformed_id_is_a_422_naming_it(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/api/v1/campaigns/not-a-uuid")
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "campaign_id"

    async def test_shows_unique_donors_next_to_the_donation_count(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        for ref in ("donor-a", "donor-b", "donor-a"):
            assert (await donate(client, campaign["id"], "10", donor_ref=ref)).status_code == 201

        read = (await read_campaign(client, campaign["id"])).json()
        assert (read["donation_count"], read["unique_donors"]) == (3, 2)
        assert read["held"] == [{"amount": "30.00", "currency": "CNY"}]

    async def test_if_none_match_with_the_current_etag_is_304_without_a_body(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        etag = (await read_campaign(client, campaign["id"])).headers["etag"]

        for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
            response = await client.get(
                f"/api/v1/campaigns/{campaign['id']}", headers={"If-None-Match": header}
            )
            assert response.status_code == 304, header
            assert response.content == b""
            assert response.headers["etag"] == etag

    async def test_etag_is_stable_while_nothing_changes(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client)
        first = await read_campaign(client, campaign["id"])
        second = await read_campaign(client, campaign["id"])
        assert first.headers["etag"] == second.headers["etag"]
        assert first.headers["etag"].startswith('"1-')

    @pytest.mark.parametrize("header", ['"1-0000000000000000"', '"1"', "not a tag", 'W/"x"'])
    async def test_a_stale_or_malformed_tag_gets_the_full_answer(
        self, client: httpx.AsyncClient, header: str
    ) -> None:
        campaign = await create_campaign(client)
        response = await client.get(
            f"/api/v1/campaigns/{campaign['id']}", headers={"If-None-Match": header}
        )
        assert response.status_code == 200
        assert response.json()["id"] == campaign["id"]

    async def test_a_donation_changes_the_etag(self, client: httpx.AsyncClient) -> None:
        # The figures are part of what a client caches: a 304 must never hide a new donation.
        campaign = await create_campaign(client)
        etag = (await read_campaign(client, campaign["id"])).headers["etag"]
        assert (await donate(client, campaign["id"], "10")).status_code == 201

        response = await client.get(
            f"/api/v1/campaigns/{campaign['id']}", headers={"If-None-Match": etag}
        )
        assert response.status_code == 200
        assert response.headers["etag"] != etag
        assert response.json()["donation_count"] == 1

    async def test_an_edit_changes_the_etag(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client)
        etag = (await read_campaign(client, campaign["id"])).headers["etag"]
        assert (await edit(client, campaign["id"], {"title": "renamed"})).status_code == 200

        response = await client.get(
            f"/api/v1/campaigns/{campaign['id']}", headers={"If-None-Match": etag}
        )
        assert response.status_code == 200
        assert response.headers["etag"].startswith('"2-')


class TestListCampaigns:
    async def test_pages_newest_first_without_gaps_or_repeats(
        self, client: httpx.AsyncClient
    ) -> None:
        made = [(await create_campaign(client, title=f"c{i}"))["id"] for i in range(5)]

        seen: list[str] = []
        cursor = None
        while True:
            params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
            page = (await client.get("/api/v1/campaigns", params=params)).json()
            seen += [item["id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break

        assert seen == list(reversed(made))

    async def test_limit_out_of_range_is_422(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/api/v1/campaigns", params={"limit": "0"})
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "limit"

    async def test_filters_by_status(self, client: httpx.AsyncClient) -> None:
        draft = await create_campaign(client, status="draft")
        open_ = await create_campaign(client)
        closed = await create_campaign(client)
        await move_to(client, closed["id"], "closed")

        for status, expected in [("draft", draft), ("open", open_), ("closed", closed)]:
            page = (await client.get("/api/v1/campaigns", params={"status": status})).json()
            assert [c["id"] for c in page["items"]] == [expected["id"]], status
        settled = await client.get("/api/v1/campaigns", params={"status": "settled"})
        assert settled.json()["items"] == []
        assert len((await client.get("/api/v1/campaigns")).json()["items"]) == 3

    async def test_unknown_status_is_422_naming_it(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/api/v1/campaigns", params={"status": "running"})
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["status"]


class TestGatewayToken:
    async def test_request_without_token_is_401(self, app: FastAPI) -> None:
        async with client_for(app, None) as client:
            response = await client.get("/api/v1/campaigns")
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"

    async def test_token_signed_with_another_secret_is_401(self, app: FastAPI) -> None:
        forged = TokenSigner("another-secret-" + "x" * 40).sign(principal())
        async with client_for(app, None) as client:
            response = await client.get("/api/v1/campaigns", headers={"x-fnet-identity": forged})
        assert response.status_code == 401

    async def test_health_and_metrics_need_no_token(self, app: FastAPI) -> None:
        async with client_for(app, None) as client:
            assert (await client.get("/healthz")).status_code == 200
            ready = await client.get("/readyz")
            metrics = await client.get("/metrics")
        assert ready.json() == {"status": "ok", "checks": {"database": "ok"}}
        assert "fnet_http_requests_total" in metrics.text


class TestPaths:
    @pytest.mark.parametrize("method", ["GET", "POST"])
    async def test_trailing_slash_is_a_404_problem_not_a_redirect(
        self, client: httpx.AsyncClient, method: str
    ) -> None:
        # A redirect would send the client to the service's own address, past the gateway.
        body = {"title": "t", "goal": {"amount": "1", "currency": "CNY"}}
        response = await client.request(method, "/api/v1/campaigns/", json=body)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert "location" not in response.headers
        assert (await client.get("/api/v1/campaigns")).json()["items"] == []

    async def test_trailing_slash_after_an_id_is_a_404_problem(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        response = await client.get(f"/api/v1/campaigns/{campaign['id']}/")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"

    @pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS"])
    async def test_other_method_is_405_allowing_every_method_of_the_path(
        self, client: httpx.AsyncClient, method: str
    ) -> None:
        campaign = await create_campaign(client)
        for path, allowed in [
            ("/api/v1/campaigns", "GET, HEAD, POST"),
            (f"/api/v1/campaigns/{campaign['id']}", "GET, HEAD, PATCH"),
            (f"/api/v1/campaigns/{campaign['id']}/transitions", "POST"),
            (f"/api/v1/campaigns/{campaign['id']}/donations", "GET, HEAD, POST"),
        ]:
            if method in allowed:
                continue
            response = await client.request(method, path)
            assert response.status_code == 405, path
            assert response.headers["content-type"] == "application/problem+json"
            assert response.headers["allow"] == allowed, path
            problem = response.json()
            assert problem["detail"] == f"{method} is not allowed on {path}; it allows {allowed}"
