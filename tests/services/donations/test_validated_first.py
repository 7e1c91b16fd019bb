"""A write whose request is invalid is refused before it touches the database: it opens no
transaction and takes no lock, so a stream of bad requests never holds up a good writer."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import pytest
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.services.donations.factories import create_campaign, money
from tests.support import BACKENDS, client_for, principal

INVALID_DONATIONS: list[dict[str, Any]] = [
    {"amount": money("1.001")},
    {"amount": {"amount": "-5.00", "currency": "CNY"}},
    {"amount": money("10.00"), "donated_at": 0.5},
    {"donor_name": "nobody gave an amount"},
]


async def test_an_invalid_donation_checks_out_no_connection(committing_app: FastAPI) -> None:
    engine = committing_app.state.database.bind
    assert isinstance(engine, AsyncEngine)
    async with client_for(committing_app, principal()) as client:
        campaign = await create_campaign(client)
        url = f"/api/v1/campaigns/{campaign['id']}/donations"
        checkouts: list[object] = []
        listener = lambda *_: checkouts.append(1)  # noqa: E731
        event.listen(engine.sync_engine, "checkout", listener)
        try:
            answers = [
                await client.post(url, json=body, headers={"Idempotency-Key": f"bad-{n}"})
                for n, body in enumerate(INVALID_DONATIONS)
            ]
            bad_key = await client.post(
                url, json={"amount": money("1.00")}, headers={"Idempotency-Key": "k" * 300}
            )
        finally:
            event.remove(engine.sync_engine, "checkout", listener)

        assert [a.status_code for a in answers] == [422] * len(INVALID_DONATIONS)
        assert bad_key.status_code == 422
        assert checkouts == []
        # The same request made valid does reach the database.
        good = await client.post(url, json={"amount": money("1.00")})
        assert good.status_code == 201


async def _hold_campaign_row(database_url: str, campaign_id: str) -> asyncpg.Connection:
    """A writer in the middle of its transaction, holding the campaign row exclusively."""
    url = make_url(database_url)
    conn = await asyncpg.connect(
        host=url.host, port=url.port, user=url.username, database=url.database
    )
    await conn.execute("BEGIN")
    await conn.execute("SELECT id FROM campaigns WHERE id = $1 FOR UPDATE", uuid.UUID(campaign_id))
    return conn


@pytest.mark.parametrize("backend", [b for b in BACKENDS if b == "postgresql"])
async def test_invalid_requests_wait_for_no_writer(
    committing_app: FastAPI, database_url: str, backend: str
) -> None:
    async with client_for(committing_app, principal()) as client:
        campaign = await create_campaign(client)
        url = f"/api/v1/campaigns/{campaign['id']}/donations"
        writer = await _hold_campaign_row(database_url, campaign["id"])
        try:
            # Before, each of these share-locked the campaign first and so queued behind
            # the writer until it committed; now they are answered while it still holds on.
            answers = await asyncio.wait_for(
                asyncio.gather(
                    *(client.post(url, json=INVALID_DONATIONS[n % 4]) for n in range(40))
                ),
                timeout=20,
            )
        finally:
            await writer.execute("ROLLBACK")
            await writer.close()

        assert {a.status_code for a in answers} == {422}
        assert (await client.post(url, json={"amount": money("2.00")})).status_code == 201
