"""Every dated record refuses a date in the future with the same problem, naming the field,
and stores nothing; a clock a little ahead of ours is forgiven."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from tests.services.donations.factories import (
    create_campaign,
    donate,
    funded_campaign,
    verified_entries,
)
from tests.services.donations.factories_spending import convert, pay_grant, receive_grant
from tests.services.donations.factories_supplies import (
    buy,
    buy_line,
    distribute,
    give_line,
    receive_in_kind,
)

FUTURE = "2999-01-01T00:00:00Z"

Record = Callable[[httpx.AsyncClient, str, str], Awaitable[httpx.Response]]


async def _donation(client: httpx.AsyncClient, cid: str, when: str) -> httpx.Response:
    return await donate(client, cid, "10.00", donated_at=when)


async def _in_kind(client: httpx.AsyncClient, cid: str, when: str) -> httpx.Response:
    return await receive_in_kind(client, cid, received_at=when)


async def _purchase(client: httpx.AsyncClient, cid: str, when: str) -> httpx.Response:
    return await buy(client, cid, [buy_line("mask", "piece", 1, "1.00")], purchased_at=when)


async def _distribution(client: httpx.AsyncClient, cid: str, when: str) -> httpx.Response:
    # Goods to give: the in-kind donation is dated now.
    assert (await receive_in_kind(client, cid, item="mask", unit="piece")).status_code == 201
    return await distribute(client, cid, [give_line("mask", "piece", 1)], distributed_at=when)


async def _grant_received(client: httpx.AsyncClient, cid: str, when: str) -> httpx.Response:
    return await receive_grant(client, "10.00", campaign_id=cid, received_at=when)


async def _grant_paid(client: httpx.AsyncClient, cid: str, when: str) -> httpx.Response:
    return await pay_grant(client, "10.00", campaign_id=cid, paid_at=when)


RECORDS: list[tuple[Record, str]] = [
    (_donation, "donated_at"),
    (_in_kind, "received_at"),
    (_purchase, "purchased_at"),
    (_distribution, "distributed_at"),
    (_grant_received, "received_at"),
    (_grant_paid, "paid_at"),
]


def _ids(records: list[tuple[Record, str]]) -> list[str]:
    return [record.__name__.strip("_") for record, _ in records]


class TestDatedInFuture:
    @pytest.mark.parametrize(("record", "field"), RECORDS, ids=_ids(RECORDS))
    async def test_is_one_problem_naming_the_field_and_changes_nothing(
        self, client: httpx.AsyncClient, record: Record, field: str
    ) -> None:
        campaign = await funded_campaign(client)
        before = await verified_entries(client)
        response = await record(client, campaign["id"], FUTURE)
        assert response.status_code == 422, response.text
        problem = response.json()
        assert problem["type"] == "urn:fnet:problem:dated-in-future"
        assert [(e["field"], e["code"]) for e in problem["errors"]] == [(field, "future")]
        assert await verified_entries(client) == before

    async def test_a_rate_dated_in_the_future_is_the_same_problem(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        assert (await donate(client, campaign["id"], "10.00", currency="HKD")).status_code == 201
        response = await convert(
            client, "10.00", "HKD", "CNY", "0.9", fund_id=campaign["id"], rate_date="2999-01-01"
        )
        assert response.status_code == 422
        problem = response.json()
        assert problem["type"] == "urn:fnet:problem:dated-in-future"
        assert [e["field"] for e in problem["errors"]] == ["rate_date"]

    @pytest.mark.parametrize(("record", "field"), RECORDS, ids=_ids(RECORDS))
    async def test_a_clock_a_minute_ahead_is_forgiven(
        self, client: httpx.AsyncClient, record: Record, field: str
    ) -> None:
        campaign = await funded_campaign(client)
        soon = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)).isoformat()
        response = await record(client, campaign["id"], soon)
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        assert body[field] is not None
