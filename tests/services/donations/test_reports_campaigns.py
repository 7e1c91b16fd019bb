"""A foundation's public list of campaigns: no key, never drafts."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from fastapi import FastAPI

from kit.identity import Principal
from tests.services.donations.factories import (
    create_campaign,
    donate,
    money,
    move_to,
    public_client,
)
from tests.services.donations.reports_cases import report_path


async def public_campaigns(app: FastAPI, foundation_id: Any, **params: Any) -> httpx.Response:
    async with public_client(app) as anyone:
        return await anyone.get(f"/api/v1/foundations/{foundation_id}/campaigns", params=params)


class TestPublicCampaignList:
    async def test_lists_open_closed_and_settled_never_drafts_newest_first(
        self, app: FastAPI, client: httpx.AsyncClient, foundation: Principal
    ) -> None:
        settled = await create_campaign(client, title="settled")
        await move_to(client, settled["id"], "closed", "settled")
        closed = await create_campaign(client, title="closed")
        await move_to(client, closed["id"], "closed")
        await create_campaign(client, title="draft", status="draft")
        open_ = await create_campaign(client, title="open")

        response = await public_campaigns(app, foundation.organisation_id)

        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "public, max-age=30"
        items = response.json()["items"]
        assert [(c["title"], c["status"]) for c in items] == [
            ("open", "open"),
            ("closed", "closed"),
            ("settled", "settled"),
        ]
        assert [c["id"] for c in items] == [open_["id"], closed["id"], settled["id"]]
        assert items[0]["report"] == report_path(open_["id"])
        assert response.json()["next_cursor"] is None

    async def test_shows_the_headline_figures_in_every_currency(
        self, app: FastAPI, client: httpx.AsyncClient, foundation: Principal
    ) -> None:
        campaign = await create_campaign(client, currency="CNY")
        await donate(client, campaign["id"], "10.00", donor_ref="a")
        await donate(client, campaign["id"], "5.00", currency="USD", donor_ref="a")

        [item] = (await public_campaigns(app, foundation.organisation_id)).json()["items"]

        assert item["raised"] == [money("10.00", "CNY"), money("5.00", "USD")]
        assert (item["donation_count"], item["unique_donors"]) == (2, 1)
        assert item["goal"] == campaign["goal"]
        assert item["foundation_id"] == str(foundation.organisation_id)
        # What only the foundation sees stays out.
        assert "held" not in item
        assert "version" not in item

    async def test_pages_without_gaps_or_repeats(
        self, app: FastAPI, client: httpx.AsyncClient, foundation: Principal
    ) -> None:
        made = [(await create_campaign(client, title=f"c{i}"))["id"] for i in range(5)]
        seen: list[str] = []
        cursor = None
        while True:
            params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            page = (await public_campaigns(app, foundation.organisation_id, **params)).json()
            assert len(page["items"]) <= 2
            seen.extend(c["id"] for c in page["items"])
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == made[::-1]

    async def test_status_narrows_it_and_draft_is_422(
        self, app: FastAPI, client: httpx.AsyncClient, foundation: Principal
    ) -> None:
        closed = await create_campaign(client)
        await move_to(client, closed["id"], "closed")
        await create_campaign(client)
        listed = (await public_campaigns(app, foundation.organisation_id, status="closed")).json()
        assert [c["id"] for c in listed["items"]] == [closed["id"]]
        refused = await public_campaigns(app, foundation.organisation_id, status="draft")
        assert refused.status_code == 422
        assert [e["field"] for e in refused.json()["errors"]] == ["status"]

    async def test_another_foundations_campaigns_are_not_listed(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        await create_campaign(client)
        response = await public_campaigns(app, uuid.uuid4())
        assert response.status_code == 200
        assert response.json() == {"items": [], "next_cursor": None}

    async def test_a_malformed_foundation_id_is_422_naming_it(self, app: FastAPI) -> None:
        response = await public_campaigns(app, "not-an-id")
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["foundation_id"]
