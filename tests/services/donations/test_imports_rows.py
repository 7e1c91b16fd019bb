"""Bulk import of a host platform's CSV export: rows imported, invalid and duplicate."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.services.donations.factories import (
    create_campaign,
    donate,
    integrated,
    ledger_state,
    transition,
)
from tests.services.donations.factories_donations import (
    csv_text,
    donor_rows,
    import_csv,
    total,
)
from tests.support import client_for, principal


async def stored(client: httpx.AsyncClient, campaign: dict[str, Any]) -> dict[str, Any]:
    """Everything an import may change."""
    base = f"/api/v1/campaigns/{campaign['id']}"
    read = (await client.get(base)).json()
    donations = (await client.get(f"{base}/donations", params={"limit": 200})).json()["items"]
    imports = (await client.get(f"{base}/donations/imports")).json()["items"]
    ledger = await ledger_state(client)
    return {
        "raised": read["raised_by_currency"],
        "donation_count": read["donation_count"],
        "donations": sorted(d["id"] for d in donations),
        "imports": [i["id"] for i in imports],
        "entries": ledger["entries"],
        "valid": ledger["valid"],
    }


async def assert_nothing_stored(client: httpx.AsyncClient, campaign: dict[str, Any]) -> None:
    after = await stored(client, campaign)
    assert after["donations"] == []
    assert after["imports"] == []
    assert after["raised"] == []
    assert after["entries"] == 0


class TestImportDonations:
    async def test_imports_a_platform_export(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client)
        rows = donor_rows(30)

        response = await import_csv(client, campaign["id"], csv_text(rows))

        assert response.status_code == 201, response.text
        report = response.json()
        assert (report["total_rows"], report["imported"]) == (30, 30)
        assert (report["duplicates"], report["invalid"]) == (0, 0)
        assert report["valid_only"] is False
        assert [r["row"] for r in report["rows"]] == list(range(2, 32))
        assert {r["status"] for r in report["rows"]} == {"imported"}
        assert all(r["errors"] == [] and r["donation_id"] for r in report["rows"])

        after = await stored(client, campaign)
        assert after["raised"] == [{"amount": total(rows), "currency": "CNY"}]
        assert after["donation_count"] == 30
        assert after["donations"] == sorted(r["donation_id"] for r in report["rows"])
        assert after["imports"] == [report["id"]]
        assert after["valid"] is True
        assert after["entries"] == 30

    async def test_rows_become_donations_as_written(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        body = csv_text(
            [
                "WX-1,88.88,,2020-01-28 09:05:00,李伟,否,13800000000,u-1,微信支付",
                "AL-2,20,HKD,2020-01-28T09:05:00+08:00,王芳,yes,,,alipay",
                "BK-3,0.01,CNY,2020-01-28T01:05:00Z,,,,,",
            ]
        )

        report = (await import_csv(client, campaign["id"], body)).json()
        await integrated(app)
        ids = [r["donation_id"] for r in report["rows"]]
        base = f"/api/v1/campaigns/{campaign['id']}/donations"
        first, second, third = [(await client.get(f"{base}/{i}")).json() for i in ids]

        assert first["amount"] == {"amount": "88.88", "currency": "CNY"}
        assert first["channel"] == "wechat_pay"
        assert first["external_id"] == "WX-1"
        assert (first["donor_name"], first["anonymous"]) == ("李伟", False)
        # Written without an offset: China time.
        assert first["donated_at"] == "2020-01-28T01:05:00Z"
        assert first["receipt_number"].startswith("2020-")
        assert second["amount"] == {"amount": "20.00", "currency": "HKD"}
        assert (second["channel"], second["anonymous"]) == ("alipay", True)
        assert second["donated_at"] == "2020-01-28T01:05:00Z"
        assert (third["channel"], third["anonymous"], third["donor_name"]) == (
            "host_platform",
            True,
            None,
        )
        numbers = sorted(d["receipt_number"] for d in (first, second, third))
        assert numbers == ["2020-000001", "2020-000002", "2020-000003"]

    async def test_columns_in_any_order_and_case(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client)
        body = " Amount ,DONATED_AT,Transaction_ID\n10.00,2020-01-28 09:05:00,T-1\n"

        response = await import_csv(client, campaign["id"], body)

        assert response.status_code == 201, response.text
        assert response.json()["imported"] == 1

    async def test_blank_lines_are_skipped_and_rows_keep_their_line_numbers(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        # A donor name holding a line break spans two lines of the file.
        body = (
            "transaction_id,amount,donated_at,donor_name\n"
            "\n"
            'T-1,1.00,2020-01-28 09:05:00,"陈\n静"\n'
            "T-2,2.00,2020-01-28 09:05:00,\n"
            ",,,\n"
            "T-3,3.00,2020-01-28 09:05:00,\n"
        )

        report = (await import_csv(client, campaign["id"], body)).json()

        assert [r["row"] for r in report["rows"]] == [3, 5, 7]
        assert report["total_rows"] == 3

    async def test_a_closed_campaign_is_409(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client)
        await transition(client, campaign["id"], "closed")

        response = await import_csv(client, campaign["id"], csv_text(donor_rows(3)))

        assert response.status_code == 409
        assert response.json()["type"] == "urn:fnet:problem:campaign-closed"
        await assert_nothing_stored(client, campaign)

    async def test_rows_received_after_the_period_are_invalid(
        self, client: httpx.AsyncClient
    ) -> None:
        # The rows are dated 28 to 30 January 2020.
        campaign = await create_campaign(
            client, starts_at="2020-01-20T00:00:00Z", ends_at="2020-01-27T00:00:00Z"
        )

        response = await import_csv(client, campaign["id"], csv_text(donor_rows(3)))

        assert response.status_code == 422
        rows = response.json()["rows"]
        assert {r["status"] for r in rows} == {"invalid"}
        assert {e["code"] for r in rows for e in r["errors"]} == {"after_end"}
        await assert_nothing_stored(client, campaign)

    async def test_another_foundations_campaign_is_404(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        async with client_for(app, principal()) as stranger:
            response = await import_csv(stranger, campaign["id"], csv_text(donor_rows(3)))
        assert response.status_code == 404
        await assert_nothing_stored(client, campaign)


class TestInvalidRows:
    async def test_an_invalid_row_is_422_with_the_report_and_nothing_stored(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        rows = donor_rows(5)
        rows[2] = "TX-BAD,12.345,CNY,2020-01-28 09:05:00,刘洋,也许,,,paypal"

        response = await import_csv(client, campaign["id"], csv_text(rows))

        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["type"] == "urn:fnet:problem:import-has-invalid-rows"
        assert "nothing was stored" in problem["detail"]
        assert [(r["row"], r["status"]) for r in problem["rows"]] == [
            (2, "valid"),
            (3, "valid"),
            (4, "invalid"),
            (5, "valid"),
            (6, "valid"),
        ]
        bad = problem["rows"][2]
        assert bad["donation_id"] is None
        assert sorted(e["field"] for e in bad["errors"]) == ["amount", "anonymous", "channel"]
        assert {e["field"] for e in problem["errors"]} == {"amount", "anonymous", "channel"}
        assert all(e["message"].startswith("line 4: ") for e in problem["errors"])
        await assert_nothing_stored(client, campaign)

    @pytest.mark.parametrize(
        ("row", "field"),
        [
            ("T,abc,CNY,2020-01-28 09:05:00", "amount"),
            ("T,-5,CNY,2020-01-28 09:05:00", "amount"),
            ("T,0,CNY,2020-01-28 09:05:00", "amount"),
            ("T,1e3,CNY,2020-01-28 09:05:00", "amount"),
            ('T,"1,000.00",CNY,2020-01-28 09:05:00', "amount"),
            ("T,,CNY,2020-01-28 09:05:00", "amount"),
            ("T,10,XYZ,2020-01-28 09:05:00", "currency"),
            ("T,10.5,JPY,2020-01-28 09:05:00", "amount"),
            ("T,10,CNY,2020-13-01 00:00:00", "donated_at"),
            ("T,10,CNY,2020-01-28", "donated_at"),
            ("T,10,CNY,28/01/2020 09:05", "donated_at"),
            ("T,10,CNY,", "donated_at"),
            ("T,10,CNY,2999-01-01T00:00:00+08:00", "donated_at"),
            (",10,CNY,2020-01-28 09:05:00", "transaction_id"),
            ("T" * 129 + ",10,CNY,2020-01-28 09:05:00", "transaction_id"),
            ("T,10,CNY,2020-01-28 09:05:00,extra", "row"),
            ("T,10,CNY", "row"),
        ],
    )
    async def test_each_bad_value_names_its_column(
        self, client: httpx.AsyncClient, row: str, field: str
    ) -> None:
        campaign = await create_campaign(client)
        body = f"transaction_id,amount,currency,donated_at\n{row}\n"

        response = await import_csv(client, campaign["id"], body)

        assert response.status_code == 422, response.text
        [report] = response.json()["rows"]
        assert (report["row"], report["status"]) == (2, "invalid")
        assert [e["field"] for e in report["errors"]] == [field]
        await assert_nothing_stored(client, campaign)

    async def test_trailing_empty_cells_are_forgiven(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client)
        body = "transaction_id,amount,donated_at\nT-1,10,2020-01-28 09:05:00,,\n"
        response = await import_csv(client, campaign["id"], body)
        assert response.status_code == 201, response.text

    async def test_valid_only_imports_the_valid_rows_and_reports_the_rest(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        rows = donor_rows(6)
        cells = rows[3].split(",")
        cells[1] = "-1"
        rows[3] = ",".join(cells)

        response = await import_csv(client, campaign["id"], csv_text(rows), valid_only=True)

        assert response.status_code == 201, response.text
        report = response.json()
        assert (report["imported"], report["invalid"], report["duplicates"]) == (5, 1, 0)
        assert report["valid_only"] is True
        assert [r["status"] for r in report["rows"]] == [
            "imported",
            "imported",
            "imported",
            "invalid",
            "imported",
            "imported",
        ]
        assert report["rows"][3]["errors"][0]["field"] == "amount"
        after = await stored(client, campaign)
        assert len(after["donations"]) == 5
        assert after["raised"] == [{"amount": total(rows[:3] + rows[4:]), "currency": "CNY"}]

    async def test_valid_only_with_nothing_valid_is_200_and_stores_no_donation(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        body = "transaction_id,amount,donated_at\nT-1,abc,2020-01-28 09:05:00\n"

        response = await import_csv(client, campaign["id"], body, valid_only=True)

        assert response.status_code == 200
        assert (response.json()["imported"], response.json()["invalid"]) == (0, 1)
        after = await stored(client, campaign)
        assert after["donations"] == []
        assert after["imports"] == [response.json()["id"]]


class TestDuplicates:
    async def test_the_same_file_twice_adds_nothing(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client)
        body = csv_text(donor_rows(30))
        first = await import_csv(client, campaign["id"], body)
        before = await stored(client, campaign)

        second = await import_csv(client, campaign["id"], body)

        assert first.status_code == 201
        assert second.status_code == 200, second.text
        report = second.json()
        assert (report["imported"], report["duplicates"], report["invalid"]) == (0, 30, 0)
        assert {r["status"] for r in report["rows"]} == {"duplicate"}
        # Each duplicate points at the donation it repeats.
        assert [r["donation_id"] for r in report["rows"]] == [
            r["donation_id"] for r in first.json()["rows"]
        ]
        assert report["rows"][0]["errors"][0]["field"] == "transaction_id"
        after = await stored(client, campaign)
        assert {k: v for k, v in after.items() if k != "imports"} == {
            k: v for k, v in before.items() if k != "imports"
        }
        assert len(after["imports"]) == 2

    async def test_a_file_with_new_and_old_rows_adds_the_new(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        rows = donor_rows(10)
        await import_csv(client, campaign["id"], csv_text(rows[:6]))

        response = await import_csv(client, campaign["id"], csv_text(rows))

        assert response.status_code == 201
        assert (response.json()["imported"], response.json()["duplicates"]) == (4, 6)
        assert (await stored(client, campaign))["donation_count"] == 10

    async def test_a_row_repeated_in_the_file_is_stored_once(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        body = (
            "transaction_id,amount,donated_at,channel\n"
            "T-1,10,2020-01-28 09:05:00,alipay\n"
            "T-1,10,2020-01-28 09:05:00,alipay\n"
            "T-1,10,2020-01-28 09:05:00,wechat_pay\n"
        )

        report = (await import_csv(client, campaign["id"], body)).json()

        assert [r["status"] for r in report["rows"]] == ["imported", "duplicate", "imported"]
        assert report["rows"][1]["donation_id"] == report["rows"][0]["donation_id"]
        assert "repeats line 2" in report["rows"][1]["errors"][0]["message"]
        assert (await stored(client, campaign))["donation_count"] == 2

    async def test_a_payment_recorded_one_by_one_is_a_duplicate(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        # The file is the host platform's export; so was the payment recorded by hand (a
        # donation naming no channel to a campaign without a host platform is "unspecified").
        single = await donate(
            client, campaign["id"], "10", external_id="T-1", channel="host_platform"
        )
        body = "transaction_id,amount,donated_at\nT-1,10,2020-01-28 09:05:00\n"

        report = (await import_csv(client, campaign["id"], body)).json()

        assert report["rows"][0]["status"] == "duplicate"
        assert report["rows"][0]["donation_id"] == single.json()["id"]

    async def test_a_payment_recorded_in_another_campaign_is_a_duplicate(
        self, client: httpx.AsyncClient
    ) -> None:
        phase_1 = await create_campaign(client)
        phase_2 = await create_campaign(client, title="phase 2")
        body = "transaction_id,amount,donated_at\nT-1,10,2020-01-28 09:05:00\n"
        await import_csv(client, phase_1["id"], body)

        report = (await import_csv(client, phase_2["id"], body)).json()

        assert report["rows"][0]["status"] == "duplicate"
        assert phase_1["id"] in report["rows"][0]["errors"][0]["message"]

    async def test_another_foundations_transaction_ids_are_not_duplicates(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        body = "transaction_id,amount,donated_at\nT-1,10,2020-01-28 09:05:00\n"
        await import_csv(client, (await create_campaign(client))["id"], body)
        async with client_for(app, principal()) as other:
            campaign = await create_campaign(other)
            response = await import_csv(other, campaign["id"], body)
        assert response.status_code == 201
        assert response.json()["imported"] == 1
