"""In-kind donations: goods given to a campaign enter its stock, valued or not."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.services.donations.factories import (
    create_campaign,
    money,
    move_to,
    verified_entries,
)
from tests.services.donations.factories_supplies import (
    receive_in_kind,
    snapshot,
    stock,
)
from tests.services.donations.supplies_cases import (
    BAD_QUANTITIES,
    MASK,
)
from tests.support import client_for, principal


class TestReceiveInKind:
    async def test_with_fair_value_books_stock_against_in_kind_income(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        response = await receive_in_kind(
            client,
            campaign["id"],
            quantity=500,
            fair_value=money("750.00"),
            donor_name="某公司",
            anonymous=False,
            donor_contact="13800000000",
        )
        assert response.status_code == 201, response.text
        donation = response.json()
        assert donation["fair_value"] == money("750.00")
        assert donation["donor_name"] == "某公司"
        assert "donor_contact" not in donation
        entry = (await client.get(f"/api/v1/ledger/entries/{donation['entry_id']}")).json()
        assert entry["kind"] == "in_kind"
        assert entry["source_id"] == donation["id"]
        assert [(ln["account"], ln["debit"], ln["credit"]) for ln in entry["lines"]] == [
            ("stock", money("750.00"), None),
            ("in_kind", None, money("750.00")),
        ]
        assert await stock(client, campaign["id"]) == {MASK: (500, "750.00")}
        assert (await client.get(response.headers["location"])).json() == donation

    async def test_without_fair_value_moves_no_money(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client)
        response = await receive_in_kind(client, campaign["id"], quantity=30)
        assert response.status_code == 201, response.text
        assert response.json()["entry_id"] is None
        assert response.json()["fair_value"] is None
        assert await verified_entries(client) == 0
        assert await stock(client, campaign["id"]) == {MASK: (30, "0.00")}

    async def test_names_are_trimmed_into_one_item(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client)
        await receive_in_kind(client, campaign["id"], item=" medical mask ", unit="piece ")
        await receive_in_kind(client, campaign["id"], item="medical mask", unit="piece")
        assert await stock(client, campaign["id"]) == {MASK: (200, "0.00")}

    @pytest.mark.parametrize("quantity", BAD_QUANTITIES)
    async def test_bad_quantity_is_422_naming_it_and_changes_nothing(
        self, client: httpx.AsyncClient, quantity: Any
    ) -> None:
        campaign = await create_campaign(client)
        before = await snapshot(client, campaign["id"])
        response = await receive_in_kind(client, campaign["id"], quantity=quantity)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in response.json()["errors"]] == ["quantity"]
        assert await snapshot(client, campaign["id"]) == before

    @pytest.mark.parametrize(("field", "value"), [("item", "  "), ("unit", ""), ("item", None)])
    async def test_blank_item_or_unit_is_422(
        self, client: httpx.AsyncClient, field: str, value: Any
    ) -> None:
        campaign = await create_campaign(client)
        response = await receive_in_kind(client, campaign["id"], **{field: value})
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == [field]

    async def test_fair_value_in_another_currency_is_422(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client, currency="CNY")
        before = await snapshot(client, campaign["id"])
        response = await receive_in_kind(client, campaign["id"], fair_value=money("10", "HKD"))
        assert response.status_code == 422
        assert response.json()["type"] == "urn:fnet:problem:currency-mismatch"
        assert [e["field"] for e in response.json()["errors"]] == ["fair_value.currency"]
        assert await snapshot(client, campaign["id"]) == before

    @pytest.mark.parametrize("amount", ["0", "-5", "1.001", 12])
    async def test_bad_fair_value_is_422(self, client: httpx.AsyncClient, amount: Any) -> None:
        campaign = await create_campaign(client)
        response = await receive_in_kind(
            client, campaign["id"], fair_value={"amount": amount, "currency": "CNY"}
        )
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["fair_value.amount"]

    async def test_goods_received_after_the_period_are_422(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(
            client, starts_at="2020-01-25T00:00:00Z", ends_at="2020-01-27T00:00:00Z"
        )
        before = await snapshot(client, campaign["id"])
        response = await receive_in_kind(client, campaign["id"], fair_value=money("10"))
        assert response.status_code == 422
        assert response.json()["type"] == "urn:fnet:problem:received-after-end"
        assert [e["field"] for e in response.json()["errors"]] == ["received_at"]
        assert await snapshot(client, campaign["id"]) == before

    @pytest.mark.parametrize("states", [["closed"], ["closed", "settled"]])
    async def test_closed_campaign_refuses_with_409(
        self, client: httpx.AsyncClient, states: list[str]
    ) -> None:
        campaign = await create_campaign(client)
        await move_to(client, campaign["id"], *states)
        before = await snapshot(client, campaign["id"])
        response = await receive_in_kind(client, campaign["id"], fair_value=money("10"))
        assert response.status_code == 409
        assert response.json()["type"] == "urn:fnet:problem:campaign-closed"
        assert await snapshot(client, campaign["id"]) == before

    async def test_received_in_future_is_422(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client)
        response = await receive_in_kind(client, campaign["id"], received_at="2999-01-01T00:00:00Z")
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["received_at"]

    async def test_replay_stores_one(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client)
        first = await receive_in_kind(client, campaign["id"], fair_value=money("5"), key="ik-1")
        again = await receive_in_kind(client, campaign["id"], fair_value=money("5"), key="ik-1")
        assert again.json() == first.json()
        assert again.headers["idempotent-replayed"] == "true"
        assert await stock(client, campaign["id"]) == {MASK: (100, "5.00")}

    async def test_another_foundations_campaign_is_404(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        donation = (await receive_in_kind(client, campaign["id"])).json()
        async with client_for(app, principal()) as intruder:
            posted = await receive_in_kind(intruder, campaign["id"])
            read = await intruder.get(
                f"/api/v1/campaigns/{campaign['id']}/in-kind-donations/{donation['id']}"
            )
        assert (posted.status_code, read.status_code) == (404, 404)
        assert await stock(client, campaign["id"]) == {MASK: (100, "0.00")}

    async def test_list_newest_first(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client)
        ids = [(await receive_in_kind(client, campaign["id"])).json()["id"] for _ in range(3)]
        page = await client.get(f"/api/v1/campaigns/{campaign['id']}/in-kind-donations")
        assert [d["id"] for d in page.json()["items"]] == ids[::-1]
