from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import FastAPI

from kit.identity import TokenSigner
from tests.services.donations.factories import create_campaign
from tests.support import client_for, principal


class TestCreateCampaign:
    async def test_answers_the_campaign_with_empty_totals(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client, goal="20000")

        assert campaign["goal"] == {"amount": "20000.00", "currency": "CNY"}
        assert campaign["raised"] == {"amount": "0.00", "currency": "CNY"}
        assert campaign["donation_count"] == 0
        assert campaign["status"] == "open"

    async def test_location_points_at_the_new_campaign(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/api/v1/campaigns", json={"title": "t", "goal": {"amount": "1", "currency": "HKD"}}
        )
        assert response.headers["location"] == f"/api/v1/campaigns/{response.json()['id']}"
        assert (await client.get(response.headers["location"])).status_code == 200

    async def test_period_must_end_after_it_starts(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/api/v1/campaigns",
            json={
                "title": "t",
                "goal": {"amount": "1", "currency": "CNY"},
                "starts_at": "2026-02-01T00:00:00Z",
                "ends_at": "2026-01-01T00:00:00Z",
            },
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "ends_at"
        assert (await client.get("/api/v1/campaigns")).json()["items"] == []

    @pytest.mark.parametrize("body", [b'{"title": ', b'{"title": "t"}}', b"title=t"])
    async def test_body_that_is_not_json_is_422_naming_the_body(
        self, client: httpx.AsyncClient, body: bytes
    ) -> None:
        response = await client.post(
            "/api/v1/campaigns", content=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["detail"] == "Invalid field(s): body"
        assert [(e["field"], e["code"]) for e in problem["errors"]] == [("body", "json_invalid")]
        assert "not valid JSON" in problem["errors"][0]["message"]
        assert (await client.get("/api/v1/campaigns")).json()["items"] == []

    @pytest.mark.parametrize("field", ["title", "purpose"])
    async def test_nul_character_is_422_naming_the_field(
        self, client: httpx.AsyncClient, field: str
    ) -> None:
        # PostgreSQL cannot store U+0000: refused up front, not a 503 at the write.
        body = {"title": "t", "goal": {"amount": "1", "currency": "CNY"}, field: "a\x00b"}
        response = await client.post("/api/v1/campaigns", json=body)
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == [field]
        assert (await client.get("/api/v1/campaigns")).json()["items"] == []

    @pytest.mark.parametrize("field", ["starts_at", "ends_at"])
    @pytest.mark.parametrize("value", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00"])
    async def test_time_outside_utcs_range_is_422_naming_it(
        self, client: httpx.AsyncClient, field: str, value: str
    ) -> None:
        response = await client.post(
            "/api/v1/campaigns",
            json={"title": "t", "goal": {"amount": "1", "currency": "CNY"}, field: value},
        )
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in response.json()["errors"]] == [field]
        assert (await client.get("/api/v1/campaigns")).json()["items"] == []

    async def test_times_are_answered_in_utc(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(
            client, starts_at="2020-01-28T09:00:00+08:00", ends_at="2020-02-28T09:00:00+08:00"
        )
        assert campaign["starts_at"] == "2020-01-28T01:00:00Z"
        assert campaign["ends_at"] == "2020-02-28T01:00:00Z"

    async def test_needs_the_write_scope(self, app: FastAPI) -> None:
        reader = principal(scopes=frozenset({"campaigns:read"}))
        async with client_for(app, reader) as client:
            response = await client.post(
                "/api/v1/campaigns", json={"title": "t", "goal": {"amount": "1", "currency": "CNY"}}
            )
        assert response.status_code == 403
        assert response.headers["content-type"] == "application/problem+json"


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
            ("/api/v1/campaigns", "GET, POST"),
            (f"/api/v1/campaigns/{campaign['id']}", "GET"),
            (f"/api/v1/campaigns/{campaign['id']}/donations", "GET, POST"),
        ]:
            response = await client.request(method, path)
            assert response.status_code == 405, path
            assert response.headers["content-type"] == "application/problem+json"
            assert response.headers["allow"] == allowed, path
