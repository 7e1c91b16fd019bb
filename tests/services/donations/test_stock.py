"""Stock: what a campaign and the foundation hold, through the whole story of goods in and
out, and under many concurrent requests."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI

from tests.services.donations.factories import (
    create_campaign,
    donate,
    held,
    money,
)
from tests.services.donations.factories_supplies import (
    buy,
    buy_line,
    distribute,
    give_line,
    receive_in_kind,
    stock,
)
from tests.services.donations.supplies_cases import (
    COMMUNITIES,
    EVIDENCE,
    GLOVES,
    MASK,
    SPRAY,
    funded,
    stocked_campaign,
)
from tests.support import client_for, principal


class TestShekouStory:
    async def test_donate_buy_and_give_out_everything(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(
            client, title="疫情互助募捐第一期", goal="20000.00", currency="CNY"
        )
        cid = campaign["id"]
        for amount in ("5000.00", "8000.00", "3670.18", "2500.00", "1500.00"):
            assert (await donate(client, cid, amount)).status_code == 201
        assert await held(client, cid) == {"CNY": "20670.18"}

        masks = await buy(
            client,
            cid,
            [buy_line(*MASK, 2700, "3.50")],
            evidence=EVIDENCE,
            purchased_at="2020-01-27T10:00:00+08:00",
        )
        sprays = await buy(client, cid, [buy_line(*SPRAY, 720, "15.58")], supplier="某化工公司")
        gloves = await receive_in_kind(
            client, cid, item=GLOVES[0], unit=GLOVES[1], quantity=500, fair_value=money("333.33")
        )
        assert (masks.status_code, sprays.status_code, gloves.status_code) == (201, 201, 201)
        assert masks.json()["total"] == money("9450.00")
        assert sprays.json()["total"] == money("11217.60")
        assert await held(client, cid) == {"CNY": "2.58"}
        assert await stock(client, cid) == {
            MASK: (2700, "9450.00"),
            SPRAY: (720, "11217.60"),
            GLOVES: (500, "333.33"),
        }

        assert len(set(COMMUNITIES)) == 24
        for name in COMMUNITIES:
            response = await distribute(
                client,
                cid,
                [give_line(*MASK, 100), give_line(*SPRAY, 25), give_line(*GLOVES, 20)],
                recipient=name,
            )
            assert response.status_code == 201, response.text
        for name, lines in [
            ("物业管理人员", [give_line(*MASK, 200), give_line(*SPRAY, 80)]),
            ("保安员", [give_line(*MASK, 100), give_line(*SPRAY, 40), give_line(*GLOVES, 20)]),
        ]:
            response = await distribute(client, cid, lines, recipient=name, kind="group")
            assert response.status_code == 201, response.text

        assert await stock(client, cid) == {
            MASK: (0, "0.00"),
            SPRAY: (0, "0.00"),
            GLOVES: (0, "0.00"),
        }
        listing = (
            await client.get(f"/api/v1/campaigns/{cid}/distributions", params={"limit": 200})
        ).json()
        given: dict[tuple[str, str], int] = {}
        value = 0
        for d in listing["items"]:
            for line in d["lines"]:
                key = (line["item"], line["unit"])
                given[key] = given.get(key, 0) + line["quantity"]
            value += sum(int(v["amount"].replace(".", "")) for v in d["value"])
        assert len(listing["items"]) == 26
        assert {d["recipient"]["name"] for d in listing["items"]} >= set(COMMUNITIES)
        assert given == {MASK: 2700, SPRAY: 720, GLOVES: 500}
        assert value == 945000 + 1121760 + 33333  # every fen that came in went out

        verify = (await client.get("/api/v1/ledger/verify")).json()
        assert verify["valid"] is True, verify["breaks"]
        assert verify["entries"] == 5 + 2 + 1 + 26
        trial = (await client.get("/api/v1/ledger/trial-balance")).json()
        assert [t["currency"] for t in trial["totals"]] == ["CNY"]
        assert trial["totals"][0]["debit"] == trial["totals"][0]["credit"]
        balances = {(r["account"], r["fund_id"]): r["balance"]["amount"] for r in trial["rows"]}
        assert balances[("stock", cid)] == "0.00"
        assert balances[("cash", cid)] == "2.58"
        assert balances[("distributed", cid)] == "21000.93"
        assert balances[("in_kind", cid)] == "-333.33"


class TestStock:
    async def test_foundation_stock_spans_its_campaigns(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        first = await stocked_campaign(client, 10)
        second = await create_campaign(client, title="phase 2")
        await receive_in_kind(client, second["id"], item=SPRAY[0], unit=SPRAY[1], quantity=7)
        await distribute(client, first, [give_line(*MASK, 10)])

        everything = (await client.get("/api/v1/stock")).json()["items"]
        assert sorted((i["fund_id"], i["item"], i["quantity"]) for i in everything) == sorted(
            [(first, MASK[0], 0), (second["id"], SPRAY[0], 7)]
        )
        held_now = (await client.get("/api/v1/stock", params={"in_stock": "true"})).json()
        assert [i["item"] for i in held_now["items"]] == [SPRAY[0]]
        one_fund = await client.get("/api/v1/stock", params={"fund_id": first})
        assert [i["fund_id"] for i in one_fund.json()["items"]] == [first]

        async with client_for(app, principal()) as other:
            assert (await other.get("/api/v1/stock")).json()["items"] == []
            assert (await other.get(f"/api/v1/campaigns/{first}/stock")).status_code == 404

    async def test_stock_value_equals_the_ledgers_stock_account(
        self, client: httpx.AsyncClient
    ) -> None:
        cid = await funded(client, "1000.00")
        await buy(client, cid, [buy_line(*MASK, 7, "1.01"), buy_line(*SPRAY, 3, "9.99")])
        await receive_in_kind(
            client, cid, item=GLOVES[0], unit=GLOVES[1], quantity=9, fair_value=money("1.00")
        )
        for n in (2, 1, 3):
            await distribute(
                client, cid, [give_line(*MASK, n), give_line(*SPRAY, 1), give_line(*GLOVES, n)]
            )
        items = (await client.get(f"/api/v1/campaigns/{cid}/stock")).json()["items"]
        total = sum(int(i["value"]["amount"].replace(".", "")) for i in items)
        trial = (await client.get("/api/v1/ledger/trial-balance")).json()
        stock_row = next(r for r in trial["rows"] if (r["account"], r["fund_id"]) == ("stock", cid))
        assert stock_row["balance"]["amount"] == f"{total // 100}.{total % 100:02d}"
        assert (await client.get("/api/v1/ledger/verify")).json()["valid"] is True


class TestConcurrency:
    async def test_100_purchases_of_a_tenth_leave_exactly_10(self, committing_app: FastAPI) -> None:
        async with client_for(committing_app, principal()) as client:
            cid = await funded(client, "1000.00")
            responses = await asyncio.gather(
                *(
                    buy(client, cid, [buy_line(*MASK, 10, "10.00")], key=f"buy-{i}")
                    for i in range(100)
                )
            )
            statuses = sorted(r.status_code for r in responses)
            assert statuses == [201] * 10 + [409] * 90
            assert {r.json()["type"] for r in responses if r.status_code == 409} == {
                "urn:fnet:problem:insufficient-funds"
            }
            assert await held(client, cid) == {"CNY": "0.00"}
            assert await stock(client, cid) == {MASK: (100, "1000.00")}
            purchases = (await client.get(f"/api/v1/campaigns/{cid}/purchases")).json()
            assert len(purchases["items"]) == 10
            assert (await client.get("/api/v1/ledger/verify")).json()["valid"] is True

    async def test_50_distributions_of_a_tenth_leave_exactly_10(
        self, committing_app: FastAPI
    ) -> None:
        async with client_for(committing_app, principal()) as client:
            cid = await funded(client, "1000.00")
            await buy(client, cid, [buy_line(*MASK, 1000, "0.99"), buy_line(*SPRAY, 100, "0.01")])
            responses = await asyncio.gather(
                *(
                    distribute(
                        client,
                        cid,
                        # opposite orders of the same items: locks must not deadlock
                        [give_line(*MASK, 100), give_line(*SPRAY, 10)][:: 1 if i % 2 else -1],
                        recipient=f"community {i}",
                        key=f"give-{i}",
                    )
                    for i in range(50)
                )
            )
            statuses = sorted(r.status_code for r in responses)
            assert statuses == [201] * 10 + [409] * 40
            assert await stock(client, cid) == {MASK: (0, "0.00"), SPRAY: (0, "0.00")}
            trial = (await client.get("/api/v1/ledger/trial-balance")).json()
            balances = {(r["account"], r["fund_id"]): r["balance"] for r in trial["rows"]}
            assert balances[("distributed", cid)] == money("991.00")
            assert balances[("stock", cid)] == money("0.00")
            assert (await client.get("/api/v1/ledger/verify")).json()["valid"] is True
