"""The transparency log under a giving-day rush (PostgreSQL): 1,000 concurrent donations to
one campaign and 100 concurrent spends against another that affords 10, with two
sequencer candidates besides the app's own. Exactly 10 spends pass, every entry is in one
tree once, and the totals equal the sum of what was given."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from fnet.verify import LogVerifier
from kit.db import Database, transaction
from services.donations.donations import integration
from services.donations.donations.models import Donation
from services.donations.log.models import LogLeaf
from services.donations.log.repository import LogRepository
from services.donations.log.sequencer import Sequencer
from services.donations.log.signing import HeadSigner
from tests.services.donations.factories import (
    create_campaign,
    donate,
    funded_campaign,
    public_client,
)
from tests.services.donations.factories_supplies import buy, buy_line
from tests.support import BACKENDS, client_for, principal

DONATIONS = 1_000
SPENDS = 100


@pytest.mark.parametrize("backend", [b for b in BACKENDS if b == "postgresql"])
async def test_a_rush_of_gifts_and_spends_keeps_every_figure_and_every_entry_once(
    committing_app: FastAPI, backend: str
) -> None:
    database: Database = committing_app.state.database
    candidates = [
        Sequencer(database, HeadSigner.generate(), steps=integration.STEPS, interval=0.02)
        for _ in range(2)
    ]
    who = principal()
    async with client_for(committing_app, who) as client:
        rush = await create_campaign(client, goal="1000000.00")
        spending = await funded_campaign(client, "100.00")  # affords 10 spends of 10.00
        for candidate in candidates:
            await candidate.start()
        try:
            gate = asyncio.Semaphore(64)  # 64 clients at a time, like the benchmark

            async def give(n: int) -> int:
                async with gate:
                    response = await donate(client, rush["id"], f"{n % 100 + 1}.00")
                    return response.status_code

            async def spend(n: int) -> int:
                async with gate:
                    response = await buy(
                        client, spending["id"], [buy_line("mask", "box", 1, "10.00")]
                    )
                    return response.status_code

            results = await asyncio.gather(
                *(give(n) for n in range(DONATIONS)), *(spend(n) for n in range(SPENDS))
            )
            for _ in range(600):
                async with transaction(database, write=False) as session:
                    if await LogRepository(session).queued_for(who.organisation_id) == 0:
                        break
                await asyncio.sleep(0.05)
        finally:
            for candidate in candidates:
                await candidate.stop()
        rush_read = (await client.get(f"/api/v1/campaigns/{rush['id']}")).json()

    gifts, spends = results[:DONATIONS], results[DONATIONS:]
    assert gifts == [201] * DONATIONS
    assert sorted(spends) == [201] * 10 + [409] * (SPENDS - 10)
    given = sum(Decimal(n % 100 + 1) for n in range(DONATIONS))
    assert Decimal(rush_read["raised"]["amount"]) == given
    assert rush_read["donation_count"] == DONATIONS
    async with public_client(committing_app) as public:
        report = await LogVerifier(public, who.organisation_id).verify()
        rush_report = (await public.get(f"/api/v1/campaigns/{rush['id']}/report")).json()
    assert report.valid, report.problems[:5]
    # Every entry once: the funding gift, the rush, the ten spends.
    assert report.size == report.entries == 1 + DONATIONS + 10
    assert rush_report["log"]["size"] == report.size
    assert rush_report["log"]["pending"] == 0
    assert Decimal(rush_report["raised"][0]["net"]["amount"]) == given
    # Every gift names no donor, so each is its own: counted once each, by the sequencers.
    assert rush_report["unique_donors"] == DONATIONS
    # Receipt numbers, given by whichever candidate ran each batch: the funding gift's and
    # the rush's, one each, contiguous per year, in the order the log took them in.
    async with transaction(database, write=False) as session:
        numbered = (
            (
                await session.execute(
                    select(Donation.receipt_number)
                    .join(LogLeaf, LogLeaf.entry_id == Donation.entry_id)
                    .where(Donation.foundation_id == who.organisation_id)
                    .order_by(LogLeaf.index)
                )
            )
            .scalars()
            .all()
        )
    assert len(numbered) == 1 + DONATIONS
    by_year: dict[str, list[int]] = {}
    for number in numbered:
        assert number is not None
        year, n = number.split("-")
        by_year.setdefault(year, []).append(int(n))
    for ns in by_year.values():
        assert ns == list(range(1, len(ns) + 1))
