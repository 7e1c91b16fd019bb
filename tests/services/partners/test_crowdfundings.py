"""Self-organised crowdfunding guidance: plan, reported amounts, checklist, lateness."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from tests.services.partners.factories import create_partner
from tests.support import client_for, principal


async def crowdfunding(client: httpx.AsyncClient, **extra: Any) -> dict[str, Any]:
    body = {
        "group_name": "海上世界业委会",
        "purpose": "Masks and a subsidy for the compound's property staff",
        "plan": "Raise in the owners' group; publish the list of donations.",
        "goal": {"amount": "8000.00", "currency": "CNY"},
        "starts_on": "2020-02-08",
        "ends_on": "2020-02-22",
        **extra,
    }
    response = await client.post("/api/v1/crowdfundings", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def report(
    client: httpx.AsyncClient, found: dict[str, Any], kind: str, amount: str, on: str
) -> httpx.Response:
    return await client.post(
        f"/api/v1/crowdfundings/{found['id']}/reports",
        json={"kind": kind, "amount": {"amount": amount, "currency": "CNY"}, "reported_on": on},
    )


class TestCrowdfundings:
    async def test_reports_add_up_and_the_use_report_is_due_90_days_after_the_end(
        self, client: httpx.AsyncClient
    ) -> None:
        owners = await create_partner(client, name="海上世界业委会", kind="owners_committee")
        found = await crowdfunding(client, partner_id=owners["id"])
        assert found["use_report_due_on"] == "2020-05-22"
        assert found["late"] is True  # 2020 is long past, and nothing was reported
        for kind, amount, on in (
            ("raised", "5000.00", "2020-02-15"),
            ("raised", "2600.50", "2020-02-22"),
            ("used", "7000.00", "2020-03-01"),
        ):
            assert (await report(client, found, kind, amount, on)).status_code == 201
        read = (await client.get(f"/api/v1/crowdfundings/{found['id']}")).json()
        assert read["raised"] == {"amount": "7600.50", "currency": "CNY"}
        assert read["used"] == {"amount": "7000.00", "currency": "CNY"}
        assert (read["use_reported"], read["late"]) == (True, False)

    async def test_late_lists_only_groups_without_a_use_report_after_the_end(
        self, client: httpx.AsyncClient
    ) -> None:
        silent = await crowdfunding(client, group_name="南山花园业委会")
        early = await crowdfunding(client, group_name="四海业委会")
        await report(client, early, "used", "100.00", "2020-02-10")  # before the end
        reported = await crowdfunding(client, group_name="海湾业委会")
        await report(client, reported, "used", "100.00", "2020-03-01")
        future = await crowdfunding(client, group_name="新业委会", ends_on="2099-01-01")

        late = await client.get("/api/v1/crowdfundings", params={"late": "true"})
        every = await client.get("/api/v1/crowdfundings")
        assert {c["id"] for c in late.json()["items"]} == {silent["id"], early["id"]}
        assert len(every.json()["items"]) == 4
        assert future["late"] is False

    async def test_another_currency_is_422_and_stores_nothing(
        self, client: httpx.AsyncClient
    ) -> None:
        found = await crowdfunding(client)
        response = await client.post(
            f"/api/v1/crowdfundings/{found['id']}/reports",
            json={
                "kind": "raised",
                "amount": {"amount": "10.00", "currency": "HKD"},
                "reported_on": "2020-02-10",
            },
        )
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["amount.currency"]
        listed = await client.get(f"/api/v1/crowdfundings/{found['id']}/reports")
        assert listed.json()["items"] == []

    async def test_the_checklist_ticks_and_unticks(self, client: httpx.AsyncClient) -> None:
        found = await crowdfunding(client)
        path = f"/api/v1/crowdfundings/{found['id']}/checklist/plan_published"
        ticked = await client.put(path, json={"done": True, "note": "posted in the group"})
        assert ticked.status_code == 200, ticked.text
        items = {c["item"]: c for c in ticked.json()["checklist"]}
        assert items["plan_published"]["done"] is True
        assert items["use_reported"]["done"] is False
        unticked = await client.put(path, json={"done": False})
        assert not any(c["done"] for c in unticked.json()["checklist"])

    async def test_another_foundations_crowdfunding_is_404(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        found = await crowdfunding(client)
        async with client_for(app, principal()) as other:
            for path in ("", "/reports"):
                response = await other.get(f"/api/v1/crowdfundings/{found['id']}{path}")
                assert response.status_code == 404
