"""The public list of a campaign's donations: donors as they consented to be shown,
paged, or streamed as CSV, with an ETag."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.donations.reports import service as reports_service
from tests.services.donations.factories import (
    create_campaign,
    donate,
    money,
    public_client,
)
from tests.services.donations.reports_cases import CONTACT, parse_csv, report_path


async def donations_of(
    app: FastAPI, campaign_id: str, headers: dict[str, str] | None = None, **params: str
) -> httpx.Response:
    async with public_client(app) as anyone:
        return await anyone.get(
            f"{report_path(campaign_id)}/donations", params=params, headers=headers
        )


class TestPublicDonations:
    async def _donations(self, client: httpx.AsyncClient) -> dict[str, Any]:
        campaign = await create_campaign(client)
        cid = campaign["id"]
        for extra in (
            {"donor_name": "李伟", "anonymous": False, "donor_contact": CONTACT},
            {"donor_name": "王小明", "anonymous": True, "donor_contact": "wang@example.org"},
            {"donor_contact": "13900139000"},
            {"donor_name": "Alice Smith", "donor_contact": "alice@example.org"},
        ):
            assert (await donate(client, cid, "10.00", **extra)).status_code == 201
        return campaign

    async def test_names_only_donors_who_consented_and_never_a_contact(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        campaign = await self._donations(client)
        response = await donations_of(app, campaign["id"])
        assert response.status_code == 200
        items = response.json()["items"]
        # Newest first.
        assert [i["donor"] for i in items] == ["A**", "匿名", "王**", "李伟"]
        # The campaign raises on no host platform, and the donations named no channel.
        assert {i["channel"] for i in items} == {"unspecified"}
        assert all(i["amount"] == money("10.00") for i in items)
        assert set(items[0]) == {"id", "amount", "refunded", "channel", "donated_at", "donor"}
        text = response.text
        for private in (CONTACT, "wang@example.org", "13900139000", "alice@example.org"):
            assert private not in text
        assert "王小明" not in text
        assert "Alice Smith" not in text

    async def test_anonymous_is_said_in_the_language_asked_for(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        campaign = await self._donations(client)
        english = await donations_of(
            app, campaign["id"], headers={"Accept-Language": "en-GB,en;q=0.9,zh;q=0.5"}
        )
        assert [i["donor"] for i in english.json()["items"]][1] == "Anonymous"
        assert "Accept-Language" in english.headers["vary"]
        chinese = await donations_of(app, campaign["id"], headers={"Accept-Language": "zh-CN"})
        assert chinese.headers["etag"] != english.headers["etag"]

    async def test_pages_with_a_cursor(self, app: FastAPI, client: httpx.AsyncClient) -> None:
        campaign = await self._donations(client)
        first = (await donations_of(app, campaign["id"], limit="3")).json()
        assert len(first["items"]) == 3
        assert first["next_cursor"]
        second = (
            await donations_of(app, campaign["id"], limit="3", cursor=first["next_cursor"])
        ).json()
        assert [i["donor"] for i in second["items"]] == ["李伟"]
        assert second["next_cursor"] is None

    async def test_csv_streams_every_donation_masked(
        self, app: FastAPI, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # Batches of 3 make the stream read the donations in several transactions.
        monkeypatch.setattr(reports_service, "EXPORT_BATCH", 3)
        campaign = await self._donations(client)
        await donate(client, campaign["id"], "0.50", currency="HKD")
        json_items = (await donations_of(app, campaign["id"])).json()["items"]
        response = await donations_of(app, campaign["id"], format="csv", limit="1")
        assert response.status_code == 200
        assert "attachment" in response.headers["content-disposition"]
        rows = parse_csv(response)
        assert [r["donor"] for r in rows] == ["匿名", "A**", "匿名", "王**", "李伟"]
        assert [(r["id"], r["currency"], r["amount"], r["refunded"]) for r in rows] == [
            (i["id"], i["amount"]["currency"], i["amount"]["amount"], i["refunded"]["amount"])
            for i in json_items
        ]
        assert list(rows[0]) == [
            "id",
            "donated_at",
            "currency",
            "amount",
            "refunded",
            "channel",
            "donor",
        ]
        for private in (CONTACT, "wang@example.org", "王小明", "Alice Smith"):
            assert private not in response.content.decode("utf-8-sig")

    async def test_etag_answers_304_until_a_donation_comes(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        campaign = await self._donations(client)
        first = await donations_of(app, campaign["id"])
        etag = first.headers["etag"]
        assert first.headers["cache-control"].startswith("public")
        assert (await donations_of(app, campaign["id"], {"If-None-Match": etag})).status_code == 304
        await donate(client, campaign["id"], "1")
        after = await donations_of(app, campaign["id"], {"If-None-Match": etag})
        assert after.status_code == 200
        assert len(after.json()["items"]) == 5

    async def test_an_unknown_campaign_is_404(self, app: FastAPI) -> None:
        response = await donations_of(app, str(uuid.uuid4()))
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
