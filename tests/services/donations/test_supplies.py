from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from kit.identity import DEFAULT_SCOPES, Principal, Scope
from services.donations.supplies.service import value_out
from tests.services.donations.factories import (
    create_campaign,
    donate,
    funded_campaign,
    held,
    money,
    move_to,
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
from tests.support import client_for, principal

MASK = ("medical mask", "piece")
SPRAY = ("alcohol disinfectant spray", "bottle")
GLOVES = ("disposable gloves", "pair")

COMMUNITIES = [
    "蛇口社区",
    "湾厦社区",
    "东角头社区",
    "渔一社区",
    "渔二社区",
    "大成社区",
    "四海社区",
    "南水社区",
    "海昌社区",
    "花果山社区",
    "工业八路社区",
    "桂园社区",
    "雷岭社区",
    "南海玫瑰园社区",
    "海湾社区",
    "金世纪社区",
    "招商社区",
    "水湾社区",
    "爱榕社区",
    "文竹园社区",
    "鲸山社区",
    "兰园社区",
    "半岛社区",
    "沿山社区",
]

BAD_QUANTITIES = [0, -1, 1.5, 1.0, "3", True, None, 10**12 + 1]
EVIDENCE = {"ref": "https://files.example.org/invoices/2020-0127.pdf", "sha256": "ab" * 32}


async def funded(client: httpx.AsyncClient, amount: str = "1000.00") -> str:
    """The id of a CNY campaign holding ``amount``."""
    return str((await funded_campaign(client, amount))["id"])


async def stocked_campaign(
    client: httpx.AsyncClient, quantity: int = 100, price: str = "1.00"
) -> str:
    campaign_id = await funded(client)
    response = await buy(client, campaign_id, [buy_line(*MASK, quantity, price)])
    assert response.status_code == 201, response.text
    return campaign_id


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
