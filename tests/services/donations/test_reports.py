"""The public transparency report: its figures equal the ledger's, as JSON and CSV, with
an ETag."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from kit.identity import Principal
from tests.services.donations.factories import (
    colleague,
    create_campaign,
    donate,
    ledger_state,
    money,
    move_to,
    public_client,
    trial_balance,
)
from tests.services.donations.factories_donations import refund
from tests.services.donations.factories_spending import (
    convert,
    paid_expense,
    pay_grant,
    receive_grant,
    settle,
)
from tests.services.donations.factories_supplies import (
    buy,
    buy_line,
    distribute,
    give_line,
    receive_in_kind,
)
from tests.services.donations.reports_cases import parse_csv, report_path
from tests.support import client_for, principal


@pytest.fixture
async def approver(app: FastAPI, foundation: Principal) -> AsyncIterator[httpx.AsyncClient]:
    """A colleague of ``foundation`` who approves the expenses it submits."""
    async with client_for(app, colleague(foundation)) as client:
        yield client


async def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def public_report(app: FastAPI, campaign_id: str, **params: str) -> httpx.Response:
    async with public_client(app) as anyone:
        return await anyone.get(report_path(campaign_id), params=params)


class TestReport:
    async def test_needs_no_identity_and_its_money_equals_the_ledger(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        for amount in ("100.00", "88.88", "0.01"):
            assert (await donate(client, campaign["id"], amount)).status_code == 201
        assert (await donate(client, campaign["id"], "50.00", currency="HKD")).status_code == 201

        response = await public_report(app, campaign["id"])
        assert response.status_code == 200, response.text
        report = response.json()
        ledger = await trial_balance(client, campaign["id"])

        assert report["raised"] == [
            {
                "currency": "CNY",
                "gross": money("188.89"),
                "refunds": money("0.00"),
                "net": money("188.89"),
            },
            {
                "currency": "HKD",
                "gross": money("50.00", "HKD"),
                "refunds": money("0.00", "HKD"),
                "net": money("50.00", "HKD"),
            },
        ]
        for currency in ("CNY", "HKD"):
            [net] = [r["net"] for r in report["raised"] if r["currency"] == currency]
            assert net == ledger[("donations", currency)]["credit"]
        assert report["balance"]["cash"] == [
            ledger[("cash", "CNY")]["balance"],
            ledger[("cash", "HKD")]["balance"],
        ]
        assert report["donation_count"] == 4
        # The figures are those of the log's head the report names, which holds every entry.
        assert report["log"]["pending"] == 0
        assert report["ledger"] == {
            "seq": report["log"]["size"],
            "hash": report["log"]["root_hash"],
        }

    async def test_an_empty_campaign_reports_zero_in_its_currency(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client, currency="HKD", goal="100.00")
        report = (await public_report(app, campaign["id"])).json()
        assert report["raised"] == [
            {
                "currency": "HKD",
                "gross": money("0.00", "HKD"),
                "refunds": money("0.00", "HKD"),
                "net": money("0.00", "HKD"),
            }
        ]
        assert report["donation_count"] == report["unique_donors"] == 0
        assert report["balance"] == {"cash": [], "stock": [], "stock_value": []}
        # Nothing in the log: the empty tree's hash (RFC 9162: SHA-256 of nothing).
        assert report["ledger"] == {"seq": 0, "hash": hashlib.sha256(b"").hexdigest()}

    async def test_money_spent_to_the_last_fen_shows_as_zero(
        self, app: FastAPI, client: httpx.AsyncClient, approver: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        await donate(client, campaign["id"], "10.00")
        await paid_expense(client, approver, campaign["id"], "10.00", category="printing")
        report = (await public_report(app, campaign["id"])).json()
        assert report["balance"]["cash"] == [money("0.00")]
        assert report["expenses"] == [{"category": "printing", "amount": money("10.00")}]

    async def test_donation_count_counts_donations_and_unique_donors_count_donors(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        await donate(client, campaign["id"], "10", donor_ref="wx-alice")
        await donate(client, campaign["id"], "20", donor_ref="wx-alice")
        await donate(client, campaign["id"], "30", donor_ref="wx-bob")
        report = (await public_report(app, campaign["id"])).json()
        assert (report["donation_count"], report["unique_donors"]) == (3, 2)

    async def test_states_the_campaigns_public_facts(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        phase1 = await create_campaign(client, title="phase 1")
        co_organiser = str(uuid.uuid4())
        phase2 = await create_campaign(
            client,
            title="phase 2",
            purpose="24 communities",
            follows_id=phase1["id"],
            host={
                "name": "深圳市社会公益基金会",
                "filing_number": "53440300MJL0000000A",
                "platform": "腾讯公益",
            },
            co_organisers=[{"name": "致敬她 partner", "foundation_id": co_organiser}],
        )
        facts = (await public_report(app, phase2["id"])).json()["campaign"]
        assert facts["title"] == "phase 2"
        assert facts["purpose"] == "24 communities"
        assert (facts["phase"], facts["follows_id"]) == (2, phase1["id"])
        assert facts["host"] == {
            "name": "深圳市社会公益基金会",
            "filing_number": "53440300MJL0000000A",
            "platform": "腾讯公益",
        }
        assert facts["co_organisers"] == [{"name": "致敬她 partner", "foundation_id": co_organiser}]
        assert facts["goal"] == money("20000.00")
        assert facts["status"] == "open"
        assert facts["starts_at"] == phase2["starts_at"]

    async def test_goods_and_spending_equal_the_ledger(
        self, app: FastAPI, client: httpx.AsyncClient, approver: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        cid = campaign["id"]
        assert (await donate(client, cid, "10000.00")).status_code == 201
        assert (await donate(client, cid, "200.00", currency="HKD")).status_code == 201
        await created(
            await receive_in_kind(
                client,
                cid,
                item="口罩",
                unit="个",
                quantity=100,
                fair_value=money("100.00"),
                donor_name="Secret Giver",
                anonymous=True,
                donor_contact="giver@example.org",
            )
        )
        # Given with no value.
        await created(await receive_in_kind(client, cid, item="口罩", unit="个", quantity=50))
        await created(
            await buy(
                client,
                cid,
                [buy_line("口罩", "个", 2700, "1.00"), buy_line("酒精喷雾", "瓶", 720, "5.00")],
            )
        )
        await created(
            await distribute(client, cid, [give_line("口罩", "个", 1000)], recipient="海上世界社区")
        )
        await created(
            await distribute(
                client,
                cid,
                [give_line("口罩", "个", 100), give_line("酒精喷雾", "瓶", 200)],
                recipient="物业保安",
                kind="group",
            )
        )
        await paid_expense(client, approver, cid, "150.00", category="transport")
        await created(await receive_grant(client, "3000.00", campaign_id=cid))
        await created(await pay_grant(client, "500.00", campaign_id=cid))
        await created(await convert(client, "100.00", "HKD", "CNY", "0.9", fund_id=cid))

        report = (await public_report(app, cid)).json()
        ledger = await trial_balance(client, cid)

        assert report["in_kind"] == [
            {"item": "口罩", "unit": "个", "quantity": 50, "fair_value": None},
            {"item": "口罩", "unit": "个", "quantity": 100, "fair_value": money("100.00")},
        ]
        assert (
            report["in_kind_value"] == [money("100.00")] == [ledger[("in_kind", "CNY")]["credit"]]
        )
        assert report["bought"] == [
            {"item": "口罩", "unit": "个", "quantity": 2700, "cost": money("2700.00")},
            {"item": "酒精喷雾", "unit": "瓶", "quantity": 720, "cost": money("3600.00")},
        ]
        assert report["purchases_spent"] == [money("6300.00")]
        assert report["distributed"] == [
            {
                "name": "海上世界社区",
                "kind": "community",
                "items": [{"item": "口罩", "unit": "个", "quantity": 1000}],
            },
            {
                "name": "物业保安",
                "kind": "group",
                "items": [
                    {"item": "口罩", "unit": "个", "quantity": 100},
                    {"item": "酒精喷雾", "unit": "瓶", "quantity": 200},
                ],
            },
        ]
        assert report["distributed_value"] == [ledger[("distributed", "CNY")]["balance"]]
        # Goods leave at their share of the item's value: 2850 masks worth 2800.00 (50 given
        # with no value), so 1000 of them 982.45, then 100 of the 1850 left 98.24; 200 of
        # 720 sprays bought at 5.00 are 1000.00.
        assert report["distributed_value"] == [money("2080.69")]
        assert report["expenses"] == [{"category": "transport", "amount": money("150.00")}]
        assert report["expenses"][0]["amount"] == ledger[("expense:transport", "CNY")]["balance"]
        assert report["grants_received"] == [money("3000.00")]
        assert report["grants_received"] == [ledger[("grants_received", "CNY")]["credit"]]
        assert report["grants_paid"] == [money("500.00")]
        assert report["grants_paid"] == [ledger[("grants_paid", "CNY")]["balance"]]
        assert report["conversions"] == [
            {"currency": "CNY", "converted_out": money("0.00"), "converted_in": money("90.00")},
            {
                "currency": "HKD",
                "converted_out": money("100.00", "HKD"),
                "converted_in": money("0.00", "HKD"),
            },
        ]
        # 10000 - 6300 - 150 + 3000 - 500 + 90: every cash movement is in the report.
        assert report["balance"]["cash"] == [money("6140.00"), money("100.00", "HKD")]
        assert report["balance"]["cash"] == [
            ledger[("cash", "CNY")]["balance"],
            ledger[("cash", "HKD")]["balance"],
        ]
        assert report["balance"]["stock"] == [
            {"item": "口罩", "unit": "个", "quantity": 1750, "value": money("1719.31")},
            {"item": "酒精喷雾", "unit": "瓶", "quantity": 520, "value": money("2600.00")},
        ]
        assert report["balance"]["stock_value"] == [money("4319.31")]
        assert report["balance"]["stock_value"] == [ledger[("stock", "CNY")]["balance"]]
        assert (report["ledger"]["seq"], report["log"]["pending"]) == (report["log"]["size"], 0)
        # No donor of goods is named either.
        assert "Secret Giver" not in json.dumps(report, ensure_ascii=False)
        assert "giver@example.org" not in json.dumps(report)

    async def test_a_draft_is_404_like_an_unknown_id(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client, status="draft")
        draft = await public_report(app, campaign["id"])
        unknown = await public_report(app, str(uuid.uuid4()))
        for response in (draft, unknown):
            assert response.status_code == 404
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["type"] == "urn:fnet:problem:campaign-not-found"
        assert (await client.get(f"{report_path(campaign['id'])}/donations")).status_code == 404

    @pytest.mark.parametrize("status", ["closed", "settled"])
    async def test_closed_and_settled_campaigns_stay_public(
        self, app: FastAPI, client: httpx.AsyncClient, status: str
    ) -> None:
        campaign = await create_campaign(client)
        await donate(client, campaign["id"], "10")
        if status == "closed":
            await move_to(client, campaign["id"], "closed")
        else:
            await settle(client, campaign["id"])
        response = await public_report(app, campaign["id"])
        assert response.status_code == 200
        report = response.json()
        assert report["campaign"]["status"] == status
        assert report["raised"][0]["net"] == money("10.00")

    async def test_refunds_show_as_refunds_and_leave_the_net(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        donation = (await donate(client, campaign["id"], "100.00")).json()
        await donate(client, campaign["id"], "20.00")
        assert (await refund(client, campaign["id"], donation["id"], "30.00")).status_code == 201

        report = (await public_report(app, campaign["id"])).json()
        ledger = await trial_balance(client, campaign["id"])
        assert report["raised"] == [
            {
                "currency": "CNY",
                "gross": money("120.00"),
                "refunds": money("30.00"),
                "net": money("90.00"),
            }
        ]
        # A refund debits the donations account: gross is its credit, refunds its debit.
        row = ledger[("donations", "CNY")]
        assert (row["credit"], row["debit"]) == (money("120.00"), money("30.00"))
        assert report["balance"]["cash"] == [money("90.00")] == [ledger[("cash", "CNY")]["balance"]]
        assert report["donation_count"] == 2
        async with public_client(app) as anyone:
            listed = await anyone.get(f"{report_path(campaign['id'])}/donations")
        refunded = {i["id"]: i["refunded"] for i in listed.json()["items"]}
        assert refunded[donation["id"]] == money("30.00")

    async def test_a_refund_of_money_already_spent_is_409_and_changes_nothing(
        self, app: FastAPI, client: httpx.AsyncClient, approver: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        donation = (await donate(client, campaign["id"], "100.00")).json()
        await paid_expense(client, approver, campaign["id"], "80.00")
        report = (await public_report(app, campaign["id"])).json()
        chain = await ledger_state(client)

        response = await refund(client, campaign["id"], donation["id"], "30.00")

        assert response.status_code == 409
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == "urn:fnet:problem:insufficient-funds"
        assert (await public_report(app, campaign["id"])).json() == report
        assert await ledger_state(client) == chain
        refunds = await client.get(
            f"/api/v1/campaigns/{campaign['id']}/donations/{donation['id']}/refunds"
        )
        assert refunds.json()["items"] == []
        # What is still held can go back.
        assert (await refund(client, campaign["id"], donation["id"], "20.00")).status_code == 201

    async def test_a_malformed_id_is_422_naming_it(self, app: FastAPI) -> None:
        response = await public_report(app, "not-a-uuid")
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["campaign_id"]

    async def test_another_foundation_reads_the_report_but_not_the_campaign(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        await donate(client, campaign["id"], "10")
        async with client_for(app, principal()) as other:
            assert (await other.get(report_path(campaign["id"]))).status_code == 200
            assert (await other.get(f"/api/v1/campaigns/{campaign['id']}")).status_code == 404
            listing = await other.get(f"/api/v1/campaigns/{campaign['id']}/donations")
            assert listing.status_code == 404

    async def test_csv_parses_and_holds_the_json_figures(
        self, app: FastAPI, client: httpx.AsyncClient, approver: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client, title="蛇口 epidemic, =phase 1")
        cid = campaign["id"]
        await donate(client, cid, "20670.18", donor_ref="a")
        await donate(client, cid, "5.00", currency="HKD", donor_ref="a")
        await created(await buy(client, cid, [buy_line("口罩", "个", 2700, "1.00")]))
        await created(await distribute(client, cid, [give_line("口罩", "个", 24)]))
        await paid_expense(client, approver, cid, "1.00", category="transport")

        report = (await public_report(app, cid)).json()
        response = await public_report(app, cid, format="csv")
        assert response.status_code == 200
        assert "attachment" in response.headers["content-disposition"]
        rows = parse_csv(response)
        assert list(rows[0]) == [
            "section",
            "item",
            "unit",
            "recipient",
            "recipient_kind",
            "currency",
            "amount",
            "quantity",
            "value",
        ]

        def find(section: str, **match: str) -> list[dict[str, str]]:
            return [
                r
                for r in rows
                if r["section"] == section and all(r[k] == v for k, v in match.items())
            ]

        # A title that a spreadsheet would run as a formula is defused; the rest is as is.
        assert find("campaign", item="title")[0]["value"] == "蛇口 epidemic, =phase 1"
        for raised in report["raised"]:
            [net] = find("raised_net", currency=raised["currency"])
            assert net["amount"] == raised["net"]["amount"]
        assert find("donation_count")[0]["quantity"] == str(report["donation_count"]) == "2"
        assert find("unique_donors")[0]["quantity"] == str(report["unique_donors"]) == "1"
        [bought] = find("bought")
        assert (bought["item"], bought["unit"], bought["quantity"], bought["amount"]) == (
            "口罩",
            "个",
            "2700",
            "2700.00",
        )
        [given] = find("distributed")
        assert (given["recipient"], given["recipient_kind"], given["quantity"]) == (
            "蛇口社区",
            "community",
            "24",
        )
        [expense] = find("expenses")
        assert (expense["item"], expense["amount"]) == ("transport", "1.00")
        assert [(r["currency"], r["amount"]) for r in find("cash")] == [
            (m["currency"], m["amount"]) for m in report["balance"]["cash"]
        ]
        [stock] = find("stock")
        assert (stock["quantity"], stock["amount"]) == ("2676", "2676.00")
        assert find("ledger", item="head_hash")[0]["value"] == report["ledger"]["hash"]
        assert find("ledger", item="head_seq")[0]["quantity"] == str(report["ledger"]["seq"])

    async def test_formula_like_text_is_defused_in_csv(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client, title='=HYPERLINK("http://evil")')
        rows = parse_csv(await public_report(app, campaign["id"], format="csv"))
        [title] = [r for r in rows if r["section"] == "campaign" and r["item"] == "title"]
        assert title["value"] == '\'=HYPERLINK("http://evil")'

    async def test_unknown_format_is_422_naming_it(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        response = await public_report(app, campaign["id"], format="xlsx")
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["format"]

    @pytest.mark.parametrize("fmt", ["json", "csv"])
    async def test_etag_answers_304_until_the_report_changes(
        self, app: FastAPI, client: httpx.AsyncClient, fmt: str
    ) -> None:
        campaign = await create_campaign(client)
        await donate(client, campaign["id"], "10")
        path = report_path(campaign["id"])
        async with public_client(app) as anyone:
            first = await anyone.get(path, params={"format": fmt})
            etag = first.headers["etag"]
            assert first.headers["cache-control"].startswith("public, max-age=")
            again = await anyone.get(path, params={"format": fmt}, headers={"If-None-Match": etag})
            assert again.status_code == 304
            assert again.content == b""
            assert again.headers["etag"] == etag
            weak = await anyone.get(
                path, params={"format": fmt}, headers={"If-None-Match": f'"x", W/{etag}'}
            )
            assert weak.status_code == 304

            await donate(client, campaign["id"], "10")
            changed = await anyone.get(
                path, params={"format": fmt}, headers={"If-None-Match": etag}
            )
            assert changed.status_code == 200
            assert changed.headers["etag"] != etag

    async def test_goods_without_value_change_the_etag_too(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        # No ledger entry moves the head for them: the tag must still change.
        campaign = await create_campaign(client)
        first = await public_report(app, campaign["id"])
        await created(
            await receive_in_kind(client, campaign["id"], item="口罩", unit="个", quantity=5)
        )
        async with public_client(app) as anyone:
            again = await anyone.get(
                report_path(campaign["id"]), headers={"If-None-Match": first.headers["etag"]}
            )
        assert again.status_code == 200
        assert again.json()["in_kind"][0]["quantity"] == 5
