"""Refunds of money donations: new ledger entries, never more than was given.

Not covered here: a refund of money the campaign has already spent (409
``insufficient-funds``). Nothing can spend a campaign's cash over HTTP yet (spending is
another area's work); the ledger's guard that refuses it is tested with the ledger.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from kit.identity import Scope
from tests.services.donations.factories import create_campaign, donate, ledger_state, move_to
from tests.services.donations.factories_donations import refund
from tests.services.donations.factories_spending import settle
from tests.support import client_for, principal


async def given_donation(
    client: httpx.AsyncClient, amount: str = "100.00", **extra: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    campaign = await create_campaign(client)
    response = await donate(client, campaign["id"], amount, **extra)
    assert response.status_code == 201, response.text
    return campaign, response.json()


async def figures(
    client: httpx.AsyncClient, campaign: dict[str, Any], donation: dict[str, Any]
) -> dict[str, Any]:
    """Everything a refund may change."""
    base = f"/api/v1/campaigns/{campaign['id']}"
    read = (await client.get(base)).json()
    ledger = await ledger_state(client)
    return {
        "raised": read["raised"],
        "held": read["held"],
        "donation_count": read["donation_count"],
        "refunded": (await client.get(f"{base}/donations/{donation['id']}")).json()["refunded"],
        "refunds": (await client.get(f"{base}/donations/{donation['id']}/refunds")).json(),
        "entries": ledger["entries"],
        "head_hash": ledger["head_hash"],
        "valid": ledger["valid"],
    }


class TestRefundDonation:
    async def test_partial_then_whole_refund(self, client: httpx.AsyncClient) -> None:
        campaign, donation = await given_donation(client)

        first = await refund(client, campaign["id"], donation["id"], "30.00", reason="paid twice")
        second = await refund(client, campaign["id"], donation["id"], "70.00")

        assert first.status_code == 201, first.text
        assert second.status_code == 201, second.text
        assert first.json()["amount"] == {"amount": "30.00", "currency": "CNY"}
        assert first.json()["reason"] == "paid twice"
        assert first.json()["donation_id"] == donation["id"]
        after = await figures(client, campaign, donation)
        assert after["refunded"] == {"amount": "100.00", "currency": "CNY"}
        assert after["raised"] == {"amount": "0.00", "currency": "CNY"}
        assert after["held"] == [{"amount": "0.00", "currency": "CNY"}]
        assert [r["id"] for r in after["refunds"]["items"]] == [
            second.json()["id"],
            first.json()["id"],
        ]
        assert after["valid"] is True
        assert after["entries"] == 3

    async def test_a_refund_is_a_ledger_entry_debiting_donations_and_crediting_cash(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign, donation = await given_donation(client)
        made = (await refund(client, campaign["id"], donation["id"], "12.34")).json()

        entry = (await client.get(f"/api/v1/ledger/entries/{made['entry_id']}")).json()

        assert entry["kind"] == "refund"
        assert entry["fund_id"] == campaign["id"]
        assert entry["source_id"] == made["id"]
        amount = {"amount": "12.34", "currency": "CNY"}
        assert sorted(
            (line["account"], line["debit"], line["credit"]) for line in entry["lines"]
        ) == [("cash", None, amount), ("donations", amount, None)]

    async def test_partial_refund_leaves_the_rest(self, client: httpx.AsyncClient) -> None:
        campaign, donation = await given_donation(client, "88.88")
        assert (await refund(client, campaign["id"], donation["id"], "8.88")).status_code == 201

        after = await figures(client, campaign, donation)
        assert after["refunded"] == {"amount": "8.88", "currency": "CNY"}
        assert after["raised"] == {"amount": "80.00", "currency": "CNY"}
        # A refund gives money back; the donation was still made (人次 counts it).
        assert after["donation_count"] == 1

    @pytest.mark.parametrize("amount", ["100.01", "1000"])
    async def test_more_than_given_is_422_and_changes_nothing(
        self, client: httpx.AsyncClient, amount: str
    ) -> None:
        campaign, donation = await given_donation(client)
        before = await figures(client, campaign, donation)

        response = await refund(client, campaign["id"], donation["id"], amount)

        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["type"] == "urn:fnet:problem:refund-exceeds-donation"
        assert [e["field"] for e in problem["errors"]] == ["amount.amount"]
        assert "100.00 CNY is left" in problem["detail"]
        assert await figures(client, campaign, donation) == before

    async def test_more_than_is_left_after_earlier_refunds_is_422_saying_what_is_left(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign, donation = await given_donation(client)
        assert (await refund(client, campaign["id"], donation["id"], "40.00")).status_code == 201
        before = await figures(client, campaign, donation)

        response = await refund(client, campaign["id"], donation["id"], "60.01")

        assert response.status_code == 422
        assert "60.00 CNY is left" in response.json()["detail"]
        assert response.json()["errors"][0]["message"] == "exceeds the 60.00 CNY left to refund"
        after = await figures(client, campaign, donation)
        assert after == before
        assert after["raised"] == {"amount": "60.00", "currency": "CNY"}
        assert after["valid"] is True

    async def test_nothing_left_after_a_whole_refund(self, client: httpx.AsyncClient) -> None:
        campaign, donation = await given_donation(client, "5.00")
        assert (await refund(client, campaign["id"], donation["id"], "5.00")).status_code == 201

        response = await refund(client, campaign["id"], donation["id"], "0.01")

        assert response.status_code == 422
        assert "0.00 CNY is left" in response.json()["detail"]

    async def test_another_currency_is_422_naming_the_currency(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign, donation = await given_donation(client)
        before = await figures(client, campaign, donation)

        response = await refund(client, campaign["id"], donation["id"], "10.00", currency="HKD")

        assert response.status_code == 422
        assert response.json()["type"] == "urn:fnet:problem:refund-currency-mismatch"
        assert [e["field"] for e in response.json()["errors"]] == ["amount.currency"]
        assert await figures(client, campaign, donation) == before

    async def test_a_hkd_donation_is_refunded_in_hkd(self, client: httpx.AsyncClient) -> None:
        campaign, donation = await given_donation(client, "50.00", currency="HKD")

        response = await refund(client, campaign["id"], donation["id"], "50.00", currency="HKD")

        assert response.status_code == 201, response.text
        read = (await client.get(f"/api/v1/campaigns/{campaign['id']}")).json()
        assert {"amount": "0.00", "currency": "HKD"} in read["raised_by_currency"]

    @pytest.mark.parametrize(
        ("amount", "field"),
        [
            ("0", "amount.amount"),
            ("-1", "amount.amount"),
            ("1.001", "amount.amount"),
            (12.5, "amount.amount"),
            ("1e2", "amount.amount"),
        ],
    )
    async def test_bad_amount_is_422_naming_it(
        self, client: httpx.AsyncClient, amount: object, field: str
    ) -> None:
        campaign, donation = await given_donation(client)
        response = await client.post(
            f"/api/v1/campaigns/{campaign['id']}/donations/{donation['id']}/refunds",
            json={"amount": {"amount": amount, "currency": "CNY"}, "reason": "r"},
        )
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == [field]
        assert (await figures(client, campaign, donation))["refunds"]["items"] == []

    @pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}])
    async def test_a_reason_is_required(
        self, client: httpx.AsyncClient, body: dict[str, str]
    ) -> None:
        campaign, donation = await given_donation(client)
        response = await client.post(
            f"/api/v1/campaigns/{campaign['id']}/donations/{donation['id']}/refunds",
            json={"amount": {"amount": "1.00", "currency": "CNY"}, **body},
        )
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["reason"]

    async def test_settled_campaign_is_409_and_changes_nothing(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign, donation = await given_donation(client)
        await settle(client, campaign["id"])
        before = await figures(client, campaign, donation)

        response = await refund(client, campaign["id"], donation["id"], "1.00")

        assert response.status_code == 409
        assert response.json()["type"] == "urn:fnet:problem:campaign-settled"
        assert await figures(client, campaign, donation) == before

    async def test_a_closed_campaign_still_refunds(self, client: httpx.AsyncClient) -> None:
        campaign, donation = await given_donation(client)
        await move_to(client, campaign["id"], "closed")

        response = await refund(client, campaign["id"], donation["id"], "1.00")

        assert response.status_code == 201, response.text

    async def test_unknown_donation_is_404(self, client: httpx.AsyncClient) -> None:
        campaign, _ = await given_donation(client)
        other_campaign = await create_campaign(client, title="another")
        other = (await donate(client, other_campaign["id"], "10")).json()

        # A donation is found only under its own campaign.
        response = await refund(client, campaign["id"], other["id"], "1.00")

        assert response.status_code == 404
        assert response.json()["type"] == "urn:fnet:problem:donation-not-found"

    async def test_another_foundations_donation_is_404(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        campaign, donation = await given_donation(client)
        async with client_for(app, principal()) as stranger:
            response = await refund(stranger, campaign["id"], donation["id"], "1.00")
            listing = await stranger.get(
                f"/api/v1/campaigns/{campaign['id']}/donations/{donation['id']}/refunds"
            )
        assert response.status_code == 404
        assert listing.status_code == 404
        assert (await figures(client, campaign, donation))["refunds"]["items"] == []

    async def test_needs_the_donations_write_scope(
        self, app: FastAPI, client: httpx.AsyncClient, foundation: Any
    ) -> None:
        campaign, donation = await given_donation(client)
        reader = principal(foundation.organisation_id, frozenset({Scope.CAMPAIGNS_READ}))
        async with client_for(app, reader) as read_only:
            response = await refund(read_only, campaign["id"], donation["id"], "1.00")
            listing = await read_only.get(
                f"/api/v1/campaigns/{campaign['id']}/donations/{donation['id']}/refunds"
            )
        assert response.status_code == 403
        assert listing.status_code == 200


class TestRefundIdempotency:
    async def test_a_replay_refunds_once(self, client: httpx.AsyncClient) -> None:
        campaign, donation = await given_donation(client)

        first = await refund(client, campaign["id"], donation["id"], "10.00", key="r-1")
        again = await refund(client, campaign["id"], donation["id"], "10.00", key="r-1")
        other = await refund(client, campaign["id"], donation["id"], "11.00", key="r-1")

        assert (first.status_code, again.status_code) == (201, 201)
        assert again.json() == first.json()
        assert again.headers["Idempotent-Replayed"] == "true"
        assert other.status_code == 422
        after = await figures(client, campaign, donation)
        assert after["refunded"] == {"amount": "10.00", "currency": "CNY"}
        assert len(after["refunds"]["items"]) == 1


class TestListRefunds:
    async def test_pages_through_refunds(self, client: httpx.AsyncClient) -> None:
        campaign, donation = await given_donation(client)
        made = [
            (await refund(client, campaign["id"], donation["id"], "1.00")).json()["id"]
            for _ in range(3)
        ]
        base = f"/api/v1/campaigns/{campaign['id']}/donations/{donation['id']}/refunds"

        first = (await client.get(base, params={"limit": 2})).json()
        rest = (await client.get(base, params={"limit": 2, "cursor": first["next_cursor"]})).json()

        assert [r["id"] for r in first["items"] + rest["items"]] == made[::-1]
        assert rest["next_cursor"] is None


class TestConcurrentRefunds:
    async def test_never_exceed_the_donation(self, committing_app: FastAPI) -> None:
        async with client_for(committing_app, principal()) as client:
            campaign, donation = await given_donation(client)

            responses = await asyncio.gather(
                *(
                    refund(client, campaign["id"], donation["id"], "10.00", key=f"tenth-{i}")
                    for i in range(20)
                )
            )
            after = await figures(client, campaign, donation)

        statuses = sorted(r.status_code for r in responses)
        assert statuses == [201] * 10 + [422] * 10
        assert after["refunded"] == {"amount": "100.00", "currency": "CNY"}
        assert after["raised"] == {"amount": "0.00", "currency": "CNY"}
        assert after["held"] == [{"amount": "0.00", "currency": "CNY"}]
        assert len(after["refunds"]["items"]) == 10
        assert after["valid"] is True
