from __future__ import annotations

import asyncio
import datetime as dt
import time
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from kit.identity import Principal
from tests.services.donations.factories import (
    create_campaign,
    donate,
    edit,
    move_to,
    read_campaign,
    transition,
)
from tests.services.donations.factories_supplies import distribute, give_line, receive_in_kind
from tests.support import BACKENDS, client_for, principal


class TestTransitionCampaign:
    async def test_draft_opens_closes_and_settles_recording_when(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client, status="draft")

        opened = await move_to(client, campaign["id"], "open")
        closed = await move_to(client, campaign["id"], "closed")
        settled = await move_to(client, campaign["id"], "settled")

        assert (opened["status"], opened["version"]) == ("open", 2)
        assert opened["opened_at"] is not None
        assert opened["closed_at"] is None
        assert (closed["status"], closed["version"]) == ("closed", 3)
        assert closed["closed_at"] >= opened["opened_at"]
        assert (settled["status"], settled["version"]) == ("settled", 4)
        assert settled["settled_at"] >= closed["closed_at"]
        assert settled["opened_at"] == opened["opened_at"]
        assert (await read_campaign(client, campaign["id"])).json() == settled

    async def test_answers_the_new_etag(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client)
        response = await transition(client, campaign["id"], "closed")
        assert (
            response.headers["etag"]
            == (await read_campaign(client, campaign["id"])).headers["etag"]
        )

    @pytest.mark.parametrize(
        ("states", "to"),
        [
            ((), "draft"),
            ((), "open"),
            ((), "settled"),
            (("closed",), "open"),
            (("closed",), "closed"),
            (("closed",), "draft"),
            (("closed", "settled"), "open"),
            (("closed", "settled"), "closed"),
            (("closed", "settled"), "settled"),
        ],
    )
    async def test_other_moves_are_409_naming_both_states_and_change_nothing(
        self, client: httpx.AsyncClient, states: tuple[str, ...], to: str
    ) -> None:
        campaign = await create_campaign(client)
        before = await move_to(client, campaign["id"], *states) if states else campaign
        current = states[-1] if states else "open"

        response = await transition(client, campaign["id"], to)

        assert response.status_code == 409
        assert response.json()["type"] == "urn:fnet:problem:transition-not-allowed"
        assert f"is {current}; it cannot become {to}" in response.json()["detail"]
        after = (await read_campaign(client, campaign["id"])).json()
        assert (after["status"], after["version"]) == (before["status"], before["version"])

    @pytest.mark.parametrize("to", ["closed", "settled"])
    async def test_a_draft_must_open_first(self, client: httpx.AsyncClient, to: str) -> None:
        campaign = await create_campaign(client, status="draft")
        response = await transition(client, campaign["id"], to)
        assert response.status_code == 409
        assert "is draft; it cannot become" in response.json()["detail"]
        assert (await read_campaign(client, campaign["id"])).json()["status"] == "draft"

    async def test_settling_while_holding_money_is_409_naming_it(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        assert (await donate(client, campaign["id"], "100")).status_code == 201
        assert (await donate(client, campaign["id"], "5.5", currency="HKD")).status_code == 201
        await move_to(client, campaign["id"], "closed")

        response = await transition(client, campaign["id"], "settled")

        assert response.status_code == 409
        assert response.json()["type"] == "urn:fnet:problem:campaign-holds-money"
        assert "still holds 100.00 CNY, 5.50 HKD" in response.json()["detail"]
        read = (await read_campaign(client, campaign["id"])).json()
        assert (read["status"], read["settled_at"]) == ("closed", None)

    async def test_settling_while_holding_goods_is_409_naming_them(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        # Donated goods without a fair value: nothing in the ledger, still in stock.
        for item, unit, quantity in [("sprays", "bottle", 20), ("masks", "piece", 300)]:
            response = await receive_in_kind(
                client, campaign["id"], item=item, unit=unit, quantity=quantity
            )
            assert response.status_code == 201, response.text
        given = await distribute(client, campaign["id"], [give_line("masks", "piece", 299)])
        assert given.status_code == 201, given.text
        before = await move_to(client, campaign["id"], "closed")

        response = await transition(client, campaign["id"], "settled")

        assert response.status_code == 409
        problem = response.json()
        assert problem["type"] == "urn:fnet:problem:campaign-holds-goods"
        assert "still holds goods: masks 1 piece, sprays 20 bottle;" in problem["detail"]
        assert "distribute them first" in problem["detail"]
        after = (await read_campaign(client, campaign["id"])).json()
        assert after == before

    async def test_goods_given_out_let_it_settle(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client)
        await receive_in_kind(client, campaign["id"], item="masks", unit="piece", quantity=300)
        await receive_in_kind(
            client,
            campaign["id"],
            item="sprays",
            unit="bottle",
            quantity=20,
            fair_value={"amount": "200.00", "currency": "CNY"},
        )
        await move_to(client, campaign["id"], "closed")
        lines = [give_line("masks", "piece", 300), give_line("sprays", "bottle", 20)]
        assert (await distribute(client, campaign["id"], lines)).status_code == 201

        response = await transition(client, campaign["id"], "settled")

        assert response.status_code == 200, response.text
        assert response.json()["status"] == "settled"

    async def test_money_is_named_before_goods(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client)
        await donate(client, campaign["id"], "10")
        await receive_in_kind(client, campaign["id"], quantity=1)
        await move_to(client, campaign["id"], "closed")

        response = await transition(client, campaign["id"], "settled")

        assert response.json()["type"] == "urn:fnet:problem:campaign-holds-money"

    async def test_many_items_left_are_listed_then_counted(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client)
        for i in range(23):
            response = await receive_in_kind(client, campaign["id"], item=f"item {i:02d}")
            assert response.status_code == 201, response.text
        await move_to(client, campaign["id"], "closed")

        detail = (await transition(client, campaign["id"], "settled")).json()["detail"]

        assert "item 00 100 piece" in detail
        assert "item 19 100 piece and 3 more items;" in detail
        assert "item 20" not in detail

    async def test_another_campaigns_goods_do_not_count(self, client: httpx.AsyncClient) -> None:
        stocked = await create_campaign(client)
        await receive_in_kind(client, stocked["id"], quantity=5)
        empty = await create_campaign(client, title="phase 2")
        await move_to(client, empty["id"], "closed")

        response = await transition(client, empty["id"], "settled")

        assert response.status_code == 200, response.text

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"to": "shut"}, "to"),
            ({"to": None}, "to"),
            ({"to": 3}, "to"),
            ({}, "to"),
            ({"to": "open", "at": "now"}, "at"),
        ],
    )
    async def test_bad_body_is_422_naming_the_field(
        self, client: httpx.AsyncClient, body: dict[str, Any], field: str
    ) -> None:
        campaign = await create_campaign(client, status="draft")
        response = await client.post(f"/api/v1/campaigns/{campaign['id']}/transitions", json=body)
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == [field]
        assert (await read_campaign(client, campaign["id"])).json()["status"] == "draft"

    async def test_if_match_is_optional_but_checked(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client, status="draft")
        stale = (await read_campaign(client, campaign["id"])).headers["etag"]
        assert (await edit(client, campaign["id"], {"title": "x"})).status_code == 200

        refused = await transition(client, campaign["id"], "open", if_match=stale)
        current = (await read_campaign(client, campaign["id"])).headers["etag"]
        accepted = await transition(client, campaign["id"], "open", if_match=current)

        assert refused.status_code == 412
        assert accepted.status_code == 200

    async def test_a_retry_with_the_same_key_answers_as_the_first(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        first = await transition(client, campaign["id"], "closed", key="close-1")
        again = await transition(client, campaign["id"], "closed", key="close-1")

        assert (first.status_code, again.status_code) == (200, 200)
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json() == first.json()
        assert again.headers["etag"] == first.headers["etag"]

    async def test_another_foundations_campaign_is_404(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        async with client_for(app, principal()) as other:
            response = await transition(other, campaign["id"], "closed")
        assert response.status_code == 404
        assert (await read_campaign(client, campaign["id"])).json()["status"] == "open"

    async def test_needs_the_write_scope(
        self, app: FastAPI, client: httpx.AsyncClient, foundation: Principal
    ) -> None:
        campaign = await create_campaign(client)
        reader = principal(foundation.organisation_id, scopes=frozenset({"campaigns:read"}))
        async with client_for(app, reader) as read_only:
            response = await transition(read_only, campaign["id"], "closed")
        assert response.status_code == 403
        assert (await read_campaign(client, campaign["id"])).json()["status"] == "open"

    async def test_close_waits_for_donations_in_flight_and_none_come_after(
        self, committing_app: FastAPI
    ) -> None:
        # The close's answer is read under its lock: every donation that got in is in its
        # figures, and every one that did not was refused.
        async with client_for(committing_app, principal()) as client:
            campaign = await create_campaign(client)
            donations = [donate(client, campaign["id"], "1.00") for _ in range(30)]
            results = await asyncio.gather(
                *donations[:15], transition(client, campaign["id"], "closed"), *donations[15:]
            )
            final = (await read_campaign(client, campaign["id"])).json()
        close = results[15]
        accepted = [r for r in results if r is not close and r.status_code == 201]
        refused = [r for r in results if r is not close and r.status_code != 201]

        assert close.status_code == 200
        assert {r.status_code for r in refused} <= {409}
        assert all(r.json()["type"] == "urn:fnet:problem:campaign-closed" for r in refused)
        assert close.json()["donation_count"] == len(accepted) == final["donation_count"]
        assert close.json()["raised"] == final["raised"]

    @pytest.mark.parametrize("backend", [b for b in BACKENDS if b == "postgresql"])
    async def test_close_under_a_steady_stream_of_donations_answers_at_once(
        self, committing_app: FastAPI, backend: str
    ) -> None:
        """16 clients donate without pause; a close waits only for the donations already in
        flight (PostgreSQL queues the campaign's locks fairly), so it answers at once, and
        nothing is recorded or accepted after it. SQLite serialises writers: nothing to
        starve there, so this runs on PostgreSQL (which CI always gives)."""
        who = principal()
        async with client_for(committing_app, who) as client:
            campaign = await create_campaign(client)
            closed = asyncio.Event()
            close_answered_at: list[float] = []
            late: list[httpx.Response] = []

            async def donate_without_pause() -> None:
                while not closed.is_set():
                    asked_at = time.monotonic()
                    response = await donate(client, campaign["id"], "1.00")
                    if (
                        response.status_code == 201
                        and close_answered_at
                        and (asked_at > close_answered_at[0])
                    ):
                        late.append(response)
                    if response.status_code == 409:
                        return
                    assert response.status_code == 201, response.text

            donors = [asyncio.create_task(donate_without_pause()) for _ in range(16)]
            await asyncio.sleep(3)
            started = time.monotonic()
            close = await transition(client, campaign["id"], "closed")
            close_answered_at.append(time.monotonic())
            took = close_answered_at[0] - started
            # A few more donations after the answer: each must be refused.
            await asyncio.sleep(0.3)
            closed.set()
            await asyncio.gather(*donors)
            listed = await all_donations(client, campaign["id"])
            final = (await read_campaign(client, campaign["id"])).json()

        assert close.status_code == 200, close.text
        assert took < 1.0, f"the close took {took:.2f} s"
        closed_at = dt.datetime.fromisoformat(close.json()["closed_at"])
        assert final["donation_count"] > 16
        assert close.json()["donation_count"] == final["donation_count"] == len(listed)
        assert late == []
        for field in ("created_at", "donated_at"):
            after = [d for d in listed if dt.datetime.fromisoformat(d[field]) > closed_at]
            assert after == [], field


async def all_donations(client: httpx.AsyncClient, campaign_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 100}
        if cursor:
            params["cursor"] = cursor
        response = await client.get(f"/api/v1/campaigns/{campaign_id}/donations", params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        items.extend(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return items


class TestDonationsByCampaignState:
    @pytest.mark.parametrize(
        ("status", "states"),
        [("draft", ()), ("open", ("closed",)), ("open", ("closed", "settled"))],
    )
    async def test_donation_outside_open_is_409_and_stores_nothing(
        self, client: httpx.AsyncClient, status: str, states: tuple[str, ...]
    ) -> None:
        campaign = await create_campaign(client, status=status)
        await move_to(client, campaign["id"], *states)
        current = states[-1] if states else status

        response = await donate(client, campaign["id"], "10", key=f"to-{current}")

        assert response.status_code == 409
        assert response.json()["type"] == "urn:fnet:problem:campaign-closed"
        assert f"is {current}" in response.json()["detail"]
        listing = await client.get(f"/api/v1/campaigns/{campaign['id']}/donations")
        assert listing.json()["items"] == []
        read = (await read_campaign(client, campaign["id"])).json()
        assert (read["donation_count"], read["held"]) == (0, [])

    async def test_an_opened_draft_takes_donations(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client, status="draft")
        await move_to(client, campaign["id"], "open")
        assert (await donate(client, campaign["id"], "10")).status_code == 201
