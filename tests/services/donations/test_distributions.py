"""Distributions: goods leave a campaign's stock to recipients, never more than it holds."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from services.donations.supplies.service import value_out
from tests.services.donations.factories import (
    create_campaign,
    money,
    verified_entries,
)
from tests.services.donations.factories_spending import settle
from tests.services.donations.factories_supplies import (
    buy,
    buy_line,
    distribute,
    give_line,
    receive_in_kind,
    snapshot,
    stock,
)
from tests.services.donations.supplies_cases import (
    BAD_QUANTITIES,
    COMMUNITIES,
    MASK,
    SPRAY,
    funded,
    stocked_campaign,
)


class TestDistribution:
    async def test_gives_out_goods_and_their_value(self, client: httpx.AsyncClient) -> None:
        cid = await stocked_campaign(client, 100, "3.50")
        response = await distribute(
            client, cid, [give_line(*MASK, 40)], recipient="物业管理人员", kind="group"
        )
        assert response.status_code == 201, response.text
        distribution = response.json()
        assert distribution["recipient"] == {"name": "物业管理人员", "kind": "group"}
        assert distribution["lines"] == [
            {"item": "medical mask", "unit": "piece", "quantity": 40, "value": money("140.00")}
        ]
        assert distribution["value"] == [money("140.00")]
        assert await stock(client, cid) == {MASK: (60, "210.00")}
        entry = (await client.get(f"/api/v1/ledger/entries/{distribution['entry_id']}")).json()
        assert (entry["kind"], entry["source_id"]) == ("distribution", distribution["id"])
        assert [(ln["account"], ln["debit"], ln["credit"]) for ln in entry["lines"]] == [
            ("distributed", money("140.00"), None),
            ("stock", None, money("140.00")),
        ]
        assert (await client.get(response.headers["location"])).json() == distribution

    async def test_value_is_floored_and_the_last_units_take_the_rest(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        cid = campaign["id"]
        await receive_in_kind(client, cid, quantity=3, fair_value=money("1.00"))
        values = []
        for _ in range(3):
            response = await distribute(client, cid, [give_line(*MASK, 1)])
            values.append(response.json()["lines"][0]["value"]["amount"])
        assert values == ["0.33", "0.33", "0.34"]
        assert await stock(client, cid) == {MASK: (0, "0.00")}

    def test_value_out_is_exact(self) -> None:
        assert value_out(100, 3, 1) == 33
        assert value_out(67, 2, 2) == 67
        assert value_out(0, 5, 2) == 0
        assert value_out(945000, 2700, 100) == 35000

    async def test_goods_without_value_post_no_entry(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client)
        await receive_in_kind(client, campaign["id"], quantity=10)
        response = await distribute(client, campaign["id"], [give_line(*MASK, 10)])
        assert response.status_code == 201, response.text
        assert response.json()["entry_id"] is None
        assert response.json()["value"] == [money("0.00")]
        assert await verified_entries(client) == 0

    async def test_above_stock_is_409_naming_item_held_and_asked(
        self, client: httpx.AsyncClient
    ) -> None:
        cid = await stocked_campaign(client, 100)
        before = await snapshot(client, cid)
        response = await distribute(client, cid, [give_line(*MASK, 101)])
        assert response.status_code == 409
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["type"] == "urn:fnet:problem:insufficient-stock"
        assert "'medical mask'" in problem["detail"]
        assert "100 piece" in problem["detail"]
        assert "101 asked" in problem["detail"]
        assert [e["field"] for e in problem["errors"]] == ["lines.0.quantity"]
        assert await snapshot(client, cid) == before

    async def test_lines_of_one_item_are_counted_together(self, client: httpx.AsyncClient) -> None:
        cid = await stocked_campaign(client, 100)
        await buy(client, cid, [buy_line(*SPRAY, 5, "1.00")])
        before = await snapshot(client, cid)
        response = await distribute(
            client,
            cid,
            [give_line(*MASK, 60), give_line(*SPRAY, 1), give_line(*MASK, 41)],
        )
        assert response.status_code == 409
        assert [e["field"] for e in response.json()["errors"]] == [
            "lines.0.quantity",
            "lines.2.quantity",
        ]
        assert await snapshot(client, cid) == before

    @pytest.mark.parametrize("item", [("never held", "piece"), ("medical mask", "box")])
    async def test_item_not_in_stock_is_409(
        self, client: httpx.AsyncClient, item: tuple[str, str]
    ) -> None:
        cid = await stocked_campaign(client, 100)
        before = await snapshot(client, cid)
        response = await distribute(client, cid, [give_line(*item, 1)])
        assert response.status_code == 409
        assert "0 " in response.json()["detail"]
        assert await snapshot(client, cid) == before

    async def test_another_campaigns_stock_is_not_this_ones(
        self, client: httpx.AsyncClient
    ) -> None:
        stocked = await stocked_campaign(client, 100)
        empty = await funded(client)
        response = await distribute(client, empty, [give_line(*MASK, 1)])
        assert response.status_code == 409
        assert await stock(client, stocked) == {MASK: (100, "100.00")}

    @pytest.mark.parametrize("quantity", BAD_QUANTITIES)
    async def test_bad_quantity_is_422_and_changes_nothing(
        self, client: httpx.AsyncClient, quantity: Any
    ) -> None:
        cid = await stocked_campaign(client, 100)
        before = await snapshot(client, cid)
        response = await distribute(client, cid, [give_line(*MASK, quantity)])
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["lines.0.quantity"]
        assert await snapshot(client, cid) == before

    @pytest.mark.parametrize(
        ("recipient", "field"),
        [
            ({"name": "蛇口社区", "kind": "village"}, "recipient.kind"),
            ({"name": " ", "kind": "community"}, "recipient.name"),
            ({"kind": "community"}, "recipient.name"),
        ],
    )
    async def test_bad_recipient_is_422(
        self, client: httpx.AsyncClient, recipient: dict[str, str], field: str
    ) -> None:
        cid = await stocked_campaign(client, 10)
        response = await client.post(
            f"/api/v1/campaigns/{cid}/distributions",
            json={"recipient": recipient, "lines": [give_line(*MASK, 1)]},
        )
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == [field]

    async def test_settled_campaign_gives_nothing(self, client: httpx.AsyncClient) -> None:
        cid = await stocked_campaign(client, 10)
        # A campaign settles only once its goods are given out (settle() does so).
        await settle(client, cid)
        before = await snapshot(client, cid)
        response = await distribute(client, cid, [give_line(*MASK, 1)])
        assert response.status_code == 409
        assert response.json()["type"] == "urn:fnet:problem:campaign-not-spendable"
        assert await stock(client, cid) == {MASK: (0, "0.00")}
        assert await snapshot(client, cid) == before

    async def test_replay_gives_once(self, client: httpx.AsyncClient) -> None:
        cid = await stocked_campaign(client, 10)
        first = await distribute(client, cid, [give_line(*MASK, 6)], key="d-1")
        again = await distribute(client, cid, [give_line(*MASK, 6)], key="d-1")
        assert again.json() == first.json()
        assert await stock(client, cid) == {MASK: (4, "4.00")}

    async def test_list_with_lines_newest_first(self, client: httpx.AsyncClient) -> None:
        cid = await stocked_campaign(client, 10)
        ids = [
            (await distribute(client, cid, [give_line(*MASK, 1)], recipient=name)).json()["id"]
            for name in COMMUNITIES[:3]
        ]
        page = (await client.get(f"/api/v1/campaigns/{cid}/distributions?limit=2")).json()
        assert [d["id"] for d in page["items"]] == ids[:0:-1]
        assert all(d["lines"][0]["quantity"] == 1 for d in page["items"])
        rest = await client.get(
            f"/api/v1/campaigns/{cid}/distributions", params={"cursor": page["next_cursor"]}
        )
        assert [d["id"] for d in rest.json()["items"]] == ids[:1]
