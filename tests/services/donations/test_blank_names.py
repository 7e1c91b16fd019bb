"""A name or a title of whitespace alone is no name: every place that takes one refuses it
(422 naming the field, code ``blank``) and stores nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.services.donations.factories import create_campaign, funded_campaign
from tests.services.donations.factories_spending import receive_grant, submit_expense
from tests.services.donations.factories_supplies import buy, buy_line, distribute, give_line

# ASCII spaces, a tab and newline, and the ideographic space that Chinese input gives.
BLANKS = ["   ", "\t\n", "\u3000\u3000"]


def assert_blank_refused(response: httpx.Response, field: str) -> None:
    assert response.status_code == 422, response.text
    problem = response.json()
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [(field, "blank")]
    assert problem["errors"][0]["message"] == "must not be empty or only whitespace"


@pytest.mark.parametrize("blank", BLANKS)
class TestCampaigns:
    @pytest.mark.parametrize(
        ("extra", "field"),
        [
            ({"title": "{}"}, "title"),
            ({"host": {"name": "{}", "filing_number": "F-1"}}, "host.name"),
            ({"host": {"name": "h", "filing_number": "F-1", "platform": "{}"}}, "host.platform"),
            ({"co_organisers": [{"name": "{}"}]}, "co_organisers.0.name"),
        ],
    )
    async def test_create_refuses_a_blank(
        self, client: httpx.AsyncClient, blank: str, extra: dict[str, Any], field: str
    ) -> None:
        body = {"title": "t", "goal": {"amount": "1", "currency": "CNY"}}
        body.update(_filled(extra, blank))
        response = await client.post("/api/v1/campaigns", json=body)
        assert_blank_refused(response, field)
        assert (await client.get("/api/v1/campaigns")).json()["items"] == []

    async def test_edit_refuses_a_blank_title(self, client: httpx.AsyncClient, blank: str) -> None:
        campaign = await create_campaign(client)
        response = await client.patch(
            f"/api/v1/campaigns/{campaign['id']}",
            json={"title": blank},
            headers={"If-Match": '"1"'},
        )
        assert_blank_refused(response, "title")
        read = (await client.get(f"/api/v1/campaigns/{campaign['id']}")).json()
        assert (read["title"], read["version"]) == (campaign["title"], 1)

    async def test_a_title_is_kept_without_its_surrounding_spaces(
        self, client: httpx.AsyncClient, blank: str
    ) -> None:
        campaign = await create_campaign(client, title=f"{blank}Masks for Shekou{blank}")
        assert campaign["title"] == "Masks for Shekou"


@pytest.mark.parametrize("blank", BLANKS)
class TestSpendingAndGoods:
    async def test_a_purchase_refuses_a_blank_supplier(
        self, client: httpx.AsyncClient, blank: str
    ) -> None:
        campaign = await funded_campaign(client)
        response = await buy(
            client, campaign["id"], [buy_line("mask", "piece", 10, "1.00")], supplier=blank
        )
        assert_blank_refused(response, "supplier")

    async def test_a_distribution_refuses_a_blank_recipient(
        self, client: httpx.AsyncClient, blank: str
    ) -> None:
        campaign = await funded_campaign(client)
        assert (
            await buy(client, campaign["id"], [buy_line("mask", "piece", 10, "1.00")])
        ).status_code == 201
        response = await distribute(
            client, campaign["id"], [give_line("mask", "piece", 1)], recipient=blank
        )
        assert_blank_refused(response, "recipient.name")

    async def test_an_expense_refuses_a_blank_payee(
        self, client: httpx.AsyncClient, blank: str
    ) -> None:
        campaign = await funded_campaign(client)
        response = await submit_expense(client, campaign["id"], payee=blank)
        assert_blank_refused(response, "payee")

    @pytest.mark.parametrize("field", ["grantor", "programme"])
    async def test_a_grant_refuses_a_blank_grantor_or_programme(
        self, client: httpx.AsyncClient, blank: str, field: str
    ) -> None:
        response = await receive_grant(client, "100.00", **{field: blank})
        assert_blank_refused(response, field)


def _filled(value: Any, blank: str) -> Any:
    if isinstance(value, dict):
        return {k: _filled(v, blank) for k, v in value.items()}
    if isinstance(value, list):
        return [_filled(v, blank) for v in value]
    return blank if value == "{}" else value
