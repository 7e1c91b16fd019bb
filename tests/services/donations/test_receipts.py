"""Donation receipts: numbered per foundation and year in the order the log takes donations
in, as JSON and as a printable page."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from kit.identity import Principal
from tests.services.donations.factories import create_campaign, donate, integrated
from tests.services.donations.factories_donations import announce_foundation, refund
from tests.support import client_for, principal

DONATED_AT = "2020-01-28T09:05:00+08:00"


async def given_donation(
    client: httpx.AsyncClient, amount: str = "88.88", **extra: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    campaign = await create_campaign(client)
    response = await donate(client, campaign["id"], amount, **extra)
    assert response.status_code == 201, response.text
    return campaign, response.json()


def receipt_path(campaign: dict[str, Any], donation: dict[str, Any]) -> str:
    return f"/api/v1/campaigns/{campaign['id']}/donations/{donation['id']}/receipt"


class TestReceiptJson:
    async def test_shows_the_donation_and_its_ledger_entry(
        self, app: FastAPI, client: httpx.AsyncClient, foundation: Principal
    ) -> None:
        campaign, donation = await given_donation(
            client,
            channel="wechat_pay",
            external_id="4200000512202001281234567890",
            donor_name="李伟",
            anonymous=True,
            donor_contact="13800000000",
            donated_at=DONATED_AT,
        )

        response = await client.get(receipt_path(campaign, donation))

        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert response.headers["cache-control"] == "private, no-store"
        receipt = response.json()
        entry = (await client.get(f"/api/v1/ledger/entries/{donation['entry_id']}")).json()
        issued_at = receipt.pop("issued_at")
        assert issued_at
        assert receipt == {
            # Given when the log takes the donation in, a moment after recording.
            "receipt_number": None,
            "donation_id": donation["id"],
            "foundation_id": str(foundation.organisation_id),
            "foundation_name": None,
            "campaign_id": campaign["id"],
            "campaign_title": campaign["title"],
            "host": None,
            "amount": {"amount": "88.88", "currency": "CNY"},
            "refunded": {"amount": "0.00", "currency": "CNY"},
            "net_amount": {"amount": "88.88", "currency": "CNY"},
            "channel": "wechat_pay",
            "external_id": "4200000512202001281234567890",
            # The receipt is the donor's own: named even though public reports will not.
            "donor_name": "李伟",
            "donated_at": "2020-01-28T01:05:00Z",
            "entry_id": donation["entry_id"],
            "entry_hash": entry["hash"],
            # Not yet in the transparency log: no sequencer runs on a test's transaction.
            "log": {
                "seq": None,
                "entry": None,
                "inclusion_proof": None,
                "head": f"/api/v1/foundations/{foundation.organisation_id}/log/head",
            },
        }
        assert "13800000000" not in response.text

        await integrated(app)
        numbered = (await client.get(receipt_path(campaign, donation))).json()

        log = f"/api/v1/foundations/{foundation.organisation_id}/log"
        assert numbered["receipt_number"] == "2020-000001"
        assert numbered["log"] == {
            "seq": 0,
            "entry": f"{log}/entries/0",
            "inclusion_proof": f"{log}/proofs/inclusion?seq=0",
            "head": f"{log}/head",
        }

    async def test_a_donation_naming_nobody_is_from_an_anonymous_donor(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign, donation = await given_donation(client)
        receipt = (await client.get(receipt_path(campaign, donation))).json()
        assert receipt["donor_name"] == "Anonymous donor"

    async def test_names_the_foundation_and_the_host_when_known(
        self, app: FastAPI, client: httpx.AsyncClient, foundation: Principal
    ) -> None:
        host = {
            "name": "深圳市社会公益基金会",
            "filing_number": "53440300MJL1234567",
            "platform": "腾讯公益",
        }
        campaign = await create_campaign(client, host=host)
        donation = (await donate(client, campaign["id"], "88.88")).json()
        await announce_foundation(app, foundation.organisation_id, "蛇口社区基金会")

        receipt = (await client.get(receipt_path(campaign, donation))).json()

        assert receipt["foundation_name"] == "蛇口社区基金会"
        assert receipt["host"] == {
            "name": "深圳市社会公益基金会",
            "filing_number": "53440300MJL1234567",
            "platform": "腾讯公益",
        }

    async def test_shows_refunds(self, client: httpx.AsyncClient) -> None:
        campaign, donation = await given_donation(client, "100.00")
        assert (await refund(client, campaign["id"], donation["id"], "30.00")).status_code == 201

        receipt = (await client.get(receipt_path(campaign, donation))).json()

        assert receipt["amount"] == {"amount": "100.00", "currency": "CNY"}
        assert receipt["refunded"] == {"amount": "30.00", "currency": "CNY"}
        assert receipt["net_amount"] == {"amount": "70.00", "currency": "CNY"}

    async def test_unknown_donation_is_404(self, client: httpx.AsyncClient) -> None:
        campaign, _ = await given_donation(client)
        fake = {"id": "0190f0f0-0000-7000-8000-000000000000"}
        response = await client.get(receipt_path(campaign, fake))
        assert response.status_code == 404
        assert response.json()["type"] == "urn:fnet:problem:donation-not-found"

    async def test_another_foundations_receipt_is_404(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        campaign, donation = await given_donation(client, donor_name="李伟")
        async with client_for(app, principal()) as stranger:
            for fmt in ("json", "html"):
                response = await stranger.get(
                    receipt_path(campaign, donation), params={"format": fmt}
                )
                assert response.status_code == 404
                assert "李伟" not in response.text


class TestReceiptHtml:
    async def test_a_printable_self_contained_page(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        campaign, donation = await given_donation(
            client, donor_name="王芳", donated_at=DONATED_AT, external_id="T-1"
        )
        await integrated(app)

        response = await client.get(receipt_path(campaign, donation), params={"format": "html"})

        assert response.status_code == 200
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert response.headers["cache-control"] == "private, no-store"
        page = response.content.decode("utf-8")
        assert page.startswith("<!DOCTYPE html>")
        assert '<html lang="zh-CN">' in page
        assert '<meta charset="utf-8">' in page
        assert "@media print" in page
        # Nothing to fetch: no scripts, no stylesheets or images from elsewhere.
        for outside in ("<script", "<link", "src=", "url("):
            assert outside not in page
        assert "2020-000001" in page
        assert "王芳" in page
        assert "88.88 CNY" in page
        assert "2020-01-28 09:05:00 (UTC+08:00)" in page
        assert donation["entry_id"] in page

    async def test_a_donation_the_log_has_not_taken_in_yet_is_being_numbered(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign, donation = await given_donation(client, donated_at=DONATED_AT)

        page = (await client.get(receipt_path(campaign, donation), params={"format": "html"})).text

        assert "编号中 being numbered" in page
        assert "2020-000001" not in page

    async def test_the_donors_name_is_escaped(self, client: httpx.AsyncClient) -> None:
        campaign, donation = await given_donation(
            client, donor_name="<script>alert('x')</script>", external_id='"><img src=x>'
        )

        page = (await client.get(receipt_path(campaign, donation), params={"format": "html"})).text

        assert "<script" not in page
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
        assert "<img" not in page
        assert "&quot;&gt;&lt;img src=x&gt;" in page

    async def test_the_campaign_title_and_host_are_escaped(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(
            client, title="<b>phase 1</b>", host={"name": "<i>host</i>", "filing_number": "1"}
        )
        donation = (await donate(client, campaign["id"], "1.00")).json()

        page = (await client.get(receipt_path(campaign, donation), params={"format": "html"})).text

        assert "<b>" not in page
        assert "<i>" not in page
        assert "&lt;b&gt;phase 1&lt;/b&gt;" in page

    async def test_an_anonymous_donor_in_both_languages(self, client: httpx.AsyncClient) -> None:
        campaign, donation = await given_donation(client)
        page = (await client.get(receipt_path(campaign, donation), params={"format": "html"})).text
        assert "匿名捐赠人 Anonymous donor" in page

    @pytest.mark.parametrize(
        ("params", "accept", "html"),
        [
            ({}, "text/html,application/xhtml+xml,*/*;q=0.8", True),
            ({}, "application/json", False),
            ({}, "*/*", False),
            ({}, "", False),
            ({"format": "json"}, "text/html", False),
            ({"format": "html"}, "application/json", True),
        ],
    )
    async def test_format_wins_over_accept(
        self, client: httpx.AsyncClient, params: dict[str, str], accept: str, html: bool
    ) -> None:
        campaign, donation = await given_donation(client)
        response = await client.get(
            receipt_path(campaign, donation), params=params, headers={"Accept": accept}
        )
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(
            "text/html" if html else "application/json"
        )
        assert response.headers["vary"] == "Accept"

    async def test_unknown_format_is_422_naming_it(self, client: httpx.AsyncClient) -> None:
        campaign, donation = await given_donation(client)
        response = await client.get(receipt_path(campaign, donation), params={"format": "pdf"})
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["format"]


class TestReceiptNumbers:
    async def test_each_foundation_and_year_starts_at_one(self, app: FastAPI) -> None:
        async with (
            client_for(app, principal()) as shekou,
            client_for(app, principal()) as wuhou,
        ):
            shekou_campaign = await create_campaign(shekou)
            wuhou_campaign = await create_campaign(wuhou)

            async def number(client: httpx.AsyncClient, campaign: dict[str, Any], at: str) -> str:
                response = await donate(client, campaign["id"], "10", donated_at=at)
                assert response.status_code == 201, response.text
                assert response.json()["receipt_number"] is None
                await integrated(app)
                donation = f"/api/v1/campaigns/{campaign['id']}/donations/{response.json()['id']}"
                return str((await client.get(donation)).json()["receipt_number"])

            numbers = [
                await number(shekou, shekou_campaign, "2020-01-28T10:00:00+08:00"),
                await number(wuhou, wuhou_campaign, "2020-02-01T10:00:00+08:00"),
                await number(shekou, shekou_campaign, "2020-03-01T10:00:00+08:00"),
                await number(shekou, shekou_campaign, "2021-01-02T10:00:00+08:00"),
                await number(wuhou, wuhou_campaign, "2020-04-01T10:00:00+08:00"),
                # The year is the donation's in China time: 2020-12-31T16:30Z is 2021 there.
                await number(shekou, shekou_campaign, "2020-12-31T16:30:00Z"),
                await number(shekou, shekou_campaign, "2020-12-31T15:59:00Z"),
            ]

        assert numbers == [
            "2020-000001",
            "2020-000001",
            "2020-000002",
            "2021-000001",
            "2020-000002",
            "2021-000002",
            "2020-000003",
        ]

    async def test_concurrent_donations_get_contiguous_numbers(
        self, committing_app: FastAPI
    ) -> None:
        async with client_for(committing_app, principal()) as client:
            campaign = await create_campaign(client)
            responses = await asyncio.gather(
                *(
                    donate(client, campaign["id"], "1.00", donated_at=DONATED_AT, key=f"n-{i}")
                    for i in range(50)
                )
            )
            assert {r.status_code for r in responses} == {201}
            await integrated(committing_app)
            numbered = {}
            for r in responses:
                receipt = (await client.get(receipt_path(campaign, r.json()))).json()
                numbered[receipt["log"]["seq"]] = receipt["receipt_number"]
        # Contiguous, and in the order the log took the donations in.
        assert [numbered[seq] for seq in sorted(numbered)] == [
            f"2020-{n:06d}" for n in range(1, 51)
        ]

    async def test_a_failed_donation_takes_no_number(self, app: FastAPI) -> None:
        async with client_for(app, principal()) as client:
            campaign = await create_campaign(client)
            first = await donate(client, campaign["id"], "1.00", donated_at=DONATED_AT)
            second = await donate(
                client, campaign["id"], "1.00", donated_at=DONATED_AT, external_id="T-1"
            )
            duplicate = await donate(
                client, campaign["id"], "1.00", donated_at=DONATED_AT, external_id="T-1"
            )
            last = await donate(client, campaign["id"], "1.00", donated_at=DONATED_AT)
            await integrated(app)
            numbers = [
                (await client.get(receipt_path(campaign, r.json()))).json()["receipt_number"]
                for r in (first, second, last)
            ]
        assert duplicate.status_code == 409
        assert numbers == ["2020-000001", "2020-000002", "2020-000003"]
