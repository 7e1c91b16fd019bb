from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from kit.identity import Principal
from tests.services.donations.factories import (
    create_campaign,
    move_to,
)
from tests.support import client_for, principal

HOST = {
    "name": "深圳市社会公益基金会",
    "filing_number": "53440300MJL1234567A2020001",
    "platform": "Tencent Charity",
}


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

    async def test_new_campaign_is_phase_1_open_version_1_without_host(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)

        assert campaign["phase"] == 1
        assert campaign["follows_id"] is None
        assert campaign["host"] is None
        assert campaign["co_organisers"] == []
        assert campaign["unique_donors"] == 0
        assert campaign["version"] == 1
        assert campaign["opened_at"] is not None
        assert (campaign["closed_at"], campaign["settled_at"]) == (None, None)

    async def test_draft_is_not_opened(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client, status="draft")
        assert campaign["status"] == "draft"
        assert campaign["opened_at"] is None

    async def test_raised_under_a_host_with_co_organisers(self, client: httpx.AsyncClient) -> None:
        partner_id = str(uuid.uuid4())
        campaign = await create_campaign(
            client,
            host=HOST,
            co_organisers=[
                {"name": " 致敬她 partner foundation ", "foundation_id": partner_id},
                {"name": "踏实玩乐"},
            ],
        )

        read = (await client.get(f"/api/v1/campaigns/{campaign['id']}")).json()
        for answer in (campaign, read):
            assert answer["host"] == HOST
            assert answer["co_organisers"] == [
                {"name": "致敬她 partner foundation", "foundation_id": partner_id},
                {"name": "踏实玩乐", "foundation_id": None},
            ]

    async def test_host_platform_is_optional(self, client: httpx.AsyncClient) -> None:
        host = {"name": "深圳市社会公益基金会", "filing_number": "F-1"}
        campaign = await create_campaign(client, host=host)
        assert campaign["host"] == {**host, "platform": None}

    @pytest.mark.parametrize(
        ("extra", "field"),
        [
            ({"status": "closed"}, "status"),
            ({"status": "settled"}, "status"),
            ({"host": {"name": "深圳市社会公益基金会"}}, "host.filing_number"),
            ({"host": {"filing_number": "F-1"}}, "host.name"),
            ({"host": {"name": "h", "filing_number": "  "}}, "host.filing_number"),
            ({"host": {"name": "h", "filing_number": "F", "fee": "1"}}, "host.fee"),
            ({"co_organisers": [{"name": "A"}, {"name": " a "}]}, "co_organisers"),
            ({"co_organisers": [{"name": ""}]}, "co_organisers.0.name"),
            ({"co_organisers": [{"name": f"o{i}"} for i in range(21)]}, "co_organisers"),
            (
                {"co_organisers": [{"name": "A", "foundation_id": "x"}]},
                "co_organisers.0.foundation_id",
            ),
            ({"follows_id": "not-a-uuid"}, "follows_id"),
        ],
    )
    async def test_bad_input_is_422_naming_the_field_and_stores_nothing(
        self, client: httpx.AsyncClient, extra: dict[str, Any], field: str
    ) -> None:
        response = await client.post(
            "/api/v1/campaigns",
            json={"title": "t", "goal": {"amount": "1", "currency": "CNY"}, **extra},
        )
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in response.json()["errors"]] == [field]
        assert (await client.get("/api/v1/campaigns")).json()["items"] == []

    async def test_duplicate_co_organiser_says_which_name(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/api/v1/campaigns",
            json={
                "title": "t",
                "goal": {"amount": "1", "currency": "CNY"},
                "co_organisers": [{"name": "Wuhou"}, {"name": "WUHOU"}],
            },
        )
        assert response.status_code == 422
        assert "'WUHOU' appears twice" in response.json()["errors"][0]["message"]

    async def test_twenty_co_organisers_are_accepted(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(
            client, co_organisers=[{"name": f"o{i}"} for i in range(20)]
        )
        assert len(campaign["co_organisers"]) == 20

    async def test_the_same_co_organising_foundation_twice_is_422(
        self, client: httpx.AsyncClient
    ) -> None:
        same = str(uuid.uuid4())
        response = await client.post(
            "/api/v1/campaigns",
            json={
                "title": "t",
                "goal": {"amount": "1", "currency": "CNY"},
                "co_organisers": [
                    {"name": "A", "foundation_id": same},
                    {"name": "B", "foundation_id": same},
                ],
            },
        )
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["co_organisers"]
        assert (await client.get("/api/v1/campaigns")).json()["items"] == []

    async def test_own_foundation_as_co_organiser_is_422(
        self, client: httpx.AsyncClient, foundation: Principal
    ) -> None:
        response = await client.post(
            "/api/v1/campaigns",
            json={
                "title": "t",
                "goal": {"amount": "1", "currency": "CNY"},
                "co_organisers": [
                    {"name": "A"},
                    {"name": "us", "foundation_id": str(foundation.organisation_id)},
                ],
            },
        )
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["co_organisers.1.foundation_id"]
        assert (await client.get("/api/v1/campaigns")).json()["items"] == []

    async def test_answers_its_etag(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/api/v1/campaigns", json={"title": "t", "goal": {"amount": "1", "currency": "CNY"}}
        )
        read = await client.get(response.headers["location"])
        assert response.headers["etag"] == read.headers["etag"]

    async def test_replay_answers_the_first_campaign_with_its_etag(
        self, client: httpx.AsyncClient
    ) -> None:
        body = {"title": "t", "goal": {"amount": "1", "currency": "CNY"}, "status": "draft"}
        headers = {"Idempotency-Key": "create-1"}
        first = await client.post("/api/v1/campaigns", json=body, headers=headers)
        again = await client.post("/api/v1/campaigns", json=body, headers=headers)

        assert again.headers["idempotent-replayed"] == "true"
        assert again.json() == first.json()
        assert again.headers["etag"] == first.headers["etag"]
        assert len((await client.get("/api/v1/campaigns")).json()["items"]) == 1


class TestCampaignPhases:
    async def test_each_phase_is_one_more_than_the_one_it_follows(
        self, client: httpx.AsyncClient
    ) -> None:
        first = await create_campaign(client)
        second = await create_campaign(client, follows_id=first["id"], status="draft")
        third = await create_campaign(client, follows_id=second["id"])

        assert (second["phase"], second["follows_id"]) == (2, first["id"])
        assert (third["phase"], third["follows_id"]) == (3, second["id"])
        read = (await client.get(f"/api/v1/campaigns/{third['id']}")).json()
        assert (read["phase"], read["follows_id"]) == (3, second["id"])

    async def test_a_closed_campaign_can_be_followed(self, client: httpx.AsyncClient) -> None:
        first = await create_campaign(client)
        await move_to(client, first["id"], "closed", "settled")
        assert (await create_campaign(client, follows_id=first["id"]))["phase"] == 2

    async def test_unknown_campaign_is_422_naming_follows_id_and_stores_nothing(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.post(
            "/api/v1/campaigns",
            json={
                "title": "t",
                "goal": {"amount": "1", "currency": "CNY"},
                "follows_id": str(uuid.uuid4()),
            },
        )
        assert response.status_code == 422
        assert response.json()["type"] == "urn:fnet:problem:unknown-followed-campaign"
        assert [e["field"] for e in response.json()["errors"]] == ["follows_id"]
        assert (await client.get("/api/v1/campaigns")).json()["items"] == []

    async def test_another_foundations_campaign_cannot_be_followed(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        theirs = await create_campaign(client)
        async with client_for(app, principal()) as other:
            response = await other.post(
                "/api/v1/campaigns",
                json={
                    "title": "t",
                    "goal": {"amount": "1", "currency": "CNY"},
                    "follows_id": theirs["id"],
                },
            )
            listing = (await other.get("/api/v1/campaigns")).json()
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["follows_id"]
        assert listing["items"] == []

    async def test_a_second_next_phase_is_409_naming_the_first(
        self, client: httpx.AsyncClient
    ) -> None:
        first = await create_campaign(client)
        second = await create_campaign(client, follows_id=first["id"])

        response = await client.post(
            "/api/v1/campaigns",
            json={
                "title": "t",
                "goal": {"amount": "1", "currency": "CNY"},
                "follows_id": first["id"],
            },
        )
        assert response.status_code == 409
        assert response.json()["type"] == "urn:fnet:problem:campaign-already-followed"
        assert second["id"] in response.json()["detail"]
        assert len((await client.get("/api/v1/campaigns")).json()["items"]) == 2

    async def test_concurrent_next_phases_make_exactly_one(self, committing_app: FastAPI) -> None:
        async with client_for(committing_app, principal()) as client:
            first = await create_campaign(client)
            responses = await asyncio.gather(
                *(
                    client.post(
                        "/api/v1/campaigns",
                        json={
                            "title": f"phase 2, try {i}",
                            "goal": {"amount": "1", "currency": "CNY"},
                            "follows_id": first["id"],
                        },
                    )
                    for i in range(10)
                )
            )
            listing = (await client.get("/api/v1/campaigns")).json()["items"]
        assert sorted(r.status_code for r in responses) == [201] + [409] * 9
        assert [c["follows_id"] for c in listing].count(first["id"]) == 1
