"""Purchases: goods bought with a campaign's money enter its stock at cost."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from kit.identity import DEFAULT_SCOPES, Principal, Scope
from tests.services.donations.factories import (
    create_campaign,
    donate,
    held,
    money,
    move_to,
)
from tests.services.donations.factories_spending import settle
from tests.services.donations.factories_supplies import (
    buy,
    buy_line,
    snapshot,
    stock,
)
from tests.services.donations.supplies_cases import (
    BAD_QUANTITIES,
    EVIDENCE,
    MASK,
    SPRAY,
    funded,
)
from tests.support import client_for, principal


class TestPurchase:
    async def test_spends_cash_and_stocks_at_cost(self, client: httpx.AsyncClient) -> None:
        cid = await funded(client, "1000.00")
        response = await buy(
            client,
            cid,
            [buy_line(*MASK, 100, "3.50"), buy_line(*SPRAY, 20, "15.58")],
            evidence=EVIDENCE,
            note="invoice 0127",
        )
        assert response.status_code == 201, response.text
        purchase = response.json()
        assert purchase["total"] == money("661.60")
        assert purchase["evidence"] == EVIDENCE
        assert [(ln["item"], ln["quantity"], ln["amount"]) for ln in purchase["lines"]] == [
            ("medical mask", 100, money("350.00")),
            ("alcohol disinfectant spray", 20, money("311.60")),
        ]
        assert await held(client, cid) == {"CNY": "338.40"}
        assert await stock(client, cid) == {MASK: (100, "350.00"), SPRAY: (20, "311.60")}
        entry = (await client.get(f"/api/v1/ledger/entries/{purchase['entry_id']}")).json()
        assert (entry["kind"], entry["source_id"]) == ("purchase", purchase["id"])
        assert [(ln["account"], ln["debit"], ln["credit"]) for ln in entry["lines"]] == [
            ("stock", money("661.60"), None),
            ("cash", None, money("661.60")),
        ]
        assert (await client.get(response.headers["location"])).json() == purchase
        listing = (await client.get(f"/api/v1/campaigns/{cid}/purchases")).json()
        assert listing["items"] == [purchase]

    async def test_the_same_item_twice_adds_up(self, client: httpx.AsyncClient) -> None:
        cid = await funded(client)
        response = await buy(client, cid, [buy_line(*MASK, 10, "1.00"), buy_line(*MASK, 5, "2")])
        assert response.status_code == 201, response.text
        assert await stock(client, cid) == {MASK: (15, "20.00")}

    async def test_more_than_the_campaign_holds_is_409_and_changes_nothing(
        self, client: httpx.AsyncClient
    ) -> None:
        cid = await funded(client, "100.00")
        await buy(client, cid, [buy_line(*MASK, 10, "1.00")])
        before = await snapshot(client, cid)
        response = await buy(client, cid, [buy_line(*MASK, 91, "1.00")])
        assert response.status_code == 409
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["type"] == "urn:fnet:problem:insufficient-funds"
        assert "90.00 CNY" in problem["detail"]
        assert "91.00 CNY" in problem["detail"]
        assert await snapshot(client, cid) == before
        assert (await buy(client, cid, [buy_line(*MASK, 90, "1.00")])).status_code == 201
        assert await held(client, cid) == {"CNY": "0.00"}

    async def test_money_in_another_currency_is_not_spendable(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client, currency="CNY")
        await donate(client, campaign["id"], "100.00", currency="HKD")
        response = await buy(client, campaign["id"], [buy_line(*MASK, 1, "1.00")])
        assert response.status_code == 409
        assert response.json()["type"] == "urn:fnet:problem:insufficient-funds"

    async def test_price_in_another_currency_is_422_naming_the_line(
        self, client: httpx.AsyncClient
    ) -> None:
        cid = await funded(client)
        before = await snapshot(client, cid)
        response = await buy(
            client, cid, [buy_line(*MASK, 1, "1.00"), buy_line(*SPRAY, 1, "1.00", "HKD")]
        )
        assert response.status_code == 422
        problem = response.json()
        assert problem["type"] == "urn:fnet:problem:spend-in-other-currency"
        assert [e["field"] for e in problem["errors"]] == ["lines.1.unit_price.currency"]
        assert await snapshot(client, cid) == before

    @pytest.mark.parametrize("quantity", BAD_QUANTITIES)
    async def test_bad_quantity_is_422_naming_it_and_changes_nothing(
        self, client: httpx.AsyncClient, quantity: Any
    ) -> None:
        cid = await funded(client)
        before = await snapshot(client, cid)
        response = await buy(
            client, cid, [buy_line(*SPRAY, 1, "1.00"), buy_line(*MASK, quantity, "1.00")]
        )
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["lines.1.quantity"]
        assert await snapshot(client, cid) == before

    @pytest.mark.parametrize("price", ["0", "-1.00", "0.001", 2.5, "1e3"])
    async def test_bad_unit_price_is_422(self, client: httpx.AsyncClient, price: Any) -> None:
        cid = await funded(client)
        response = await buy(client, cid, [buy_line(*MASK, 1, price)])
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["lines.0.unit_price.amount"]

    @pytest.mark.parametrize(
        ("evidence", "field"),
        [
            ({"ref": "invoice.pdf", "sha256": "AB" * 32}, "evidence.sha256"),
            ({"ref": "invoice.pdf", "sha256": "ab" * 31 + "a"}, "evidence.sha256"),
            ({"ref": "invoice.pdf", "sha256": "zz" * 32}, "evidence.sha256"),
            ({"ref": "invoice.pdf", "sha256": "ab" * 32 + "\n"}, "evidence.sha256"),
            ({"ref": "invoice.pdf"}, "evidence.sha256"),
            ({"sha256": "ab" * 32}, "evidence.ref"),
            ({"ref": "", "sha256": "ab" * 32}, "evidence.ref"),
        ],
    )
    async def test_malformed_evidence_is_422_naming_it(
        self, client: httpx.AsyncClient, evidence: dict[str, str], field: str
    ) -> None:
        cid = await funded(client)
        before = await snapshot(client, cid)
        response = await buy(client, cid, [buy_line(*MASK, 1, "1.00")], evidence=evidence)
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == [field]
        assert await snapshot(client, cid) == before

    @pytest.mark.parametrize("count", [0, 101])
    async def test_line_count_is_1_to_100(self, client: httpx.AsyncClient, count: int) -> None:
        cid = await funded(client)
        response = await buy(
            client, cid, [buy_line(f"item {i}", "piece", 1, "1") for i in range(count)]
        )
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["lines"]

    async def test_total_beyond_any_account_is_422(self, client: httpx.AsyncClient) -> None:
        cid = await funded(client)
        response = await buy(client, cid, [buy_line(*MASK, 10**12, "100000")])
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["lines"]

    async def test_closed_campaign_still_spends(self, client: httpx.AsyncClient) -> None:
        cid = await funded(client)
        await move_to(client, cid, "closed")
        assert (await buy(client, cid, [buy_line(*MASK, 1, "1.00")])).status_code == 201

    @pytest.mark.parametrize("status", ["settled", "draft"])
    async def test_settled_or_draft_campaign_is_409(
        self, client: httpx.AsyncClient, status: str
    ) -> None:
        if status == "draft":
            cid = str((await create_campaign(client, status="draft"))["id"])
        else:
            cid = await funded(client)
            await settle(client, cid)
        before = await snapshot(client, cid)
        response = await buy(client, cid, [buy_line(*MASK, 1, "1.00")])
        assert response.status_code == 409
        assert response.json()["type"] == "urn:fnet:problem:campaign-not-spendable"
        assert await snapshot(client, cid) == before

    async def test_replay_spends_once(self, client: httpx.AsyncClient) -> None:
        cid = await funded(client, "10.00")
        first = await buy(client, cid, [buy_line(*MASK, 6, "1.00")], key="p-1")
        again = await buy(client, cid, [buy_line(*MASK, 6, "1.00")], key="p-1")
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json()
        assert await held(client, cid) == {"CNY": "4.00"}

    async def test_needs_the_spending_scope(
        self, app: FastAPI, client: httpx.AsyncClient, foundation: Principal
    ) -> None:
        cid = await funded(client)
        reader = principal(
            foundation.organisation_id, scopes=frozenset(DEFAULT_SCOPES - {Scope.SPENDING_WRITE})
        )
        async with client_for(app, reader) as limited:
            response = await buy(limited, cid, [buy_line(*MASK, 1, "1.00")])
        assert response.status_code == 403
        assert await held(client, cid) == {"CNY": "1000.00"}

    async def test_another_foundation_sees_nothing(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        cid = await funded(client)
        purchase = (await buy(client, cid, [buy_line(*MASK, 1, "1.00")])).json()
        async with client_for(app, principal()) as intruder:
            posted = await buy(intruder, cid, [buy_line(*MASK, 1, "1.00")])
            read = await intruder.get(f"/api/v1/campaigns/{cid}/purchases/{purchase['id']}")
            listed = await intruder.get(f"/api/v1/campaigns/{cid}/purchases")
        assert (posted.status_code, read.status_code, listed.status_code) == (404, 404, 404)
