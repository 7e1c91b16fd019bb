"""The journal: every donation is a balanced entry carrying its leaf hash, and any change
made behind the service's back shows up in ``/ledger/verify``."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import transaction
from services.donations.donations.models import Donation
from services.donations.ledger import service as ledger
from services.donations.ledger.chain import Posting, canonical, entry_hash
from services.donations.ledger.exceptions import InsufficientFunds
from services.donations.ledger.models import (
    GENESIS_HASH,
    JournalEntry,
    JournalLine,
    LedgerHead,
    LedgerTotal,
    LogQueue,
)
from services.donations.ledger.repository import LedgerRepository
from tests.services.donations.factories import create_campaign, donate, integrated
from tests.support import client_for, principal


async def donate_many(client: httpx.AsyncClient, amounts: list[str]) -> dict[str, Any]:
    campaign = await create_campaign(client)
    for amount in amounts:
        assert (await donate(client, campaign["id"], amount)).status_code == 201
    return campaign


async def entries(client: httpx.AsyncClient, **params: str) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/ledger/entries", params={"limit": "200", **params})
    assert response.status_code == 200
    items: list[dict[str, Any]] = response.json()["items"]
    return items


class TestPosting:
    async def test_a_donation_is_one_balanced_entry(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client)
        donation = (await donate(client, campaign["id"], "88.88")).json()

        entry = (await client.get(f"/api/v1/ledger/entries/{donation['entry_id']}")).json()
        assert entry["kind"] == "donation"
        assert entry["source_id"] == donation["id"]
        assert entry["fund_id"] == campaign["id"]
        assert entry["lines"] == [
            {
                "account": "cash",
                "fund_id": campaign["id"],
                "debit": {"amount": "88.88", "currency": "CNY"},
                "credit": None,
            },
            {
                "account": "donations",
                "fund_id": campaign["id"],
                "debit": None,
                "credit": {"amount": "88.88", "currency": "CNY"},
            },
        ]

    async def test_entries_are_numbered_in_order_and_link_to_nothing(
        self, client: httpx.AsyncClient
    ) -> None:
        # The log orders entries now: none waits for the one before to take its number.
        await donate_many(client, ["1.00", "2.00", "3.00"])
        listed = sorted(await entries(client), key=lambda e: e["seq"])
        assert len({e["seq"] for e in listed}) == 3
        assert [e["prev_hash"] for e in listed] == ["", "", ""]
        # In the order they were recorded.
        cash = [line["debit"]["amount"] for e in listed for line in e["lines"] if line["debit"]]
        assert cash == ["1.00", "2.00", "3.00"]

    async def test_the_hash_is_the_leaf_hash_of_the_documented_form(
        self, client: httpx.AsyncClient, app: FastAPI
    ) -> None:
        # Anyone holding the rows can recompute the hash without our code: check the bytes.
        campaign = await donate_many(client, ["20670.18"])
        async with transaction(app.state.database, write=False) as session:
            entry = (
                await session.execute(
                    select(JournalEntry).where(JournalEntry.fund_id == uuid.UUID(campaign["id"]))
                )
            ).scalar_one()
            lines = (
                (
                    await session.execute(
                        select(JournalLine)
                        .where(JournalLine.entry_id == entry.id)
                        .order_by(JournalLine.position)
                    )
                )
                .scalars()
                .all()
            )
        postings = [Posting(x.account, x.fund_id, x.currency, x.amount_minor) for x in lines]
        assert entry.hash == documented_hash(entry, postings)


class TestVerify:
    async def test_an_untouched_ledger_verifies(self, client: httpx.AsyncClient) -> None:
        await donate_many(client, ["10.00", "20.00"])
        last = max(await entries(client), key=lambda e: e["seq"])
        result = (await client.get("/api/v1/ledger/verify")).json()
        assert result == {
            "valid": True,
            "entries": 2,
            "head_seq": last["seq"],
            "head_hash": last["hash"],
            "breaks": [],
        }

    async def test_an_empty_ledger_verifies(self, client: httpx.AsyncClient) -> None:
        result = (await client.get("/api/v1/ledger/verify")).json()
        assert result["valid"] is True
        assert (result["entries"], result["head_hash"]) == (0, GENESIS_HASH)

    @pytest.mark.parametrize("column", ["amount_minor", "account", "currency"])
    async def test_a_changed_line_breaks_the_chain_at_its_entry(
        self, client: httpx.AsyncClient, app: FastAPI, column: str
    ) -> None:
        await donate_many(client, ["10.00", "20.00", "30.00"])
        second = sorted(await entries(client), key=lambda e: e["seq"])[1]
        value: Any = {"amount_minor": 200000, "account": "stock", "currency": "HKD"}[column]
        async with transaction(app.state.database, write=True) as session:
            line = (
                await session.execute(
                    select(JournalLine)
                    .where(JournalLine.entry_id == uuid.UUID(second["id"]))
                    .limit(1)
                )
            ).scalar_one()
            await session.execute(
                update(JournalLine).where(JournalLine.id == line.id).values({column: value})
            )

        result = (await client.get("/api/v1/ledger/verify")).json()
        assert result["valid"] is False
        assert result["breaks"][0]["seq"] == second["seq"]
        assert result["breaks"][0]["entry_id"] == second["id"]

    async def test_a_changed_entry_breaks_the_chain(
        self, client: httpx.AsyncClient, app: FastAPI
    ) -> None:
        await donate_many(client, ["10.00", "20.00"])
        first = min(await entries(client), key=lambda e: e["seq"])
        async with transaction(app.state.database, write=True) as session:
            await session.execute(
                update(JournalEntry)
                .where(JournalEntry.id == uuid.UUID(first["id"]))
                .values(memo="edited")
            )
        breaks = (await client.get("/api/v1/ledger/verify")).json()["breaks"]
        assert breaks[0]["seq"] == first["seq"]
        assert "hash mismatch" in breaks[0]["reason"]

    async def test_a_removed_entry_no_longer_adds_up_to_the_logs_totals(
        self, client: httpx.AsyncClient, app: FastAPI
    ) -> None:
        # The log holds its leaf (``fnet verify`` names it); inside, the totals the
        # sequencer summed as it took the entry in no longer match the lines.
        await donate_many(client, ["10.00", "20.00", "30.00"])
        await integrated(app)
        second = sorted(await entries(client), key=lambda e: e["seq"])[1]
        async with transaction(app.state.database, write=True) as session:
            # Someone erases a donation and its entry, as if it had never been.
            entry_id = uuid.UUID(second["id"])
            await session.execute(delete(Donation).where(Donation.entry_id == entry_id))
            await session.execute(delete(JournalLine).where(JournalLine.entry_id == entry_id))
            await session.execute(delete(JournalEntry).where(JournalEntry.id == entry_id))
        breaks = (await client.get("/api/v1/ledger/verify")).json()["breaks"]
        assert [b["reason"] for b in breaks] == [
            f"running totals of {account} (donation, CNY) in fund {second['fund_id']} differ "
            "from the journal lines of the entries in the log"
            for account in ("cash", "donations")
        ]

    async def test_rewritten_running_totals_are_reported(
        self, client: httpx.AsyncClient, app: FastAPI
    ) -> None:
        campaign = await donate_many(client, ["10.00"])
        await integrated(app)
        async with transaction(app.state.database, write=True) as session:
            await session.execute(
                update(LedgerTotal)
                .where(
                    LedgerTotal.fund_id == uuid.UUID(campaign["id"]),
                    LedgerTotal.account == "donations",
                )
                .values(credit_minor=LedgerTotal.credit_minor + 1)
            )
        result = (await client.get("/api/v1/ledger/verify")).json()
        assert result["valid"] is False
        assert "running totals of donations" in result["breaks"][0]["reason"]

    async def test_each_foundation_has_a_chain_of_its_own(self, app: FastAPI) -> None:
        a, b = principal(), principal()
        async with client_for(app, a) as client_a, client_for(app, b) as client_b:
            await donate_many(client_a, ["1.00", "2.00"])
            await donate_many(client_b, ["3.00"])
            result_a = (await client_a.get("/api/v1/ledger/verify")).json()
            result_b = (await client_b.get("/api/v1/ledger/verify")).json()
            listed_b = await entries(client_b)
        assert (result_a["entries"], result_b["entries"]) == (2, 1)
        assert result_a["valid"]
        assert result_b["valid"]
        assert len(listed_b) == 1


class TestTheHashChainEra:
    """Entries posted before the log replaced the chain keep their chained hashes; the
    journal goes on after them, and verify checks both."""

    async def chained(self, session: AsyncSession, foundation: uuid.UUID, fund: uuid.UUID) -> None:
        prev = GENESIS_HASH
        rows = []
        for seq, new in enumerate(movements(fund)[:2], start=1):
            entry = JournalEntry(
                id=uuid.uuid4(),
                foundation_id=foundation,
                seq=seq,
                kind=new.kind,
                fund_id=fund,
                source_id=new.source_id,
                memo=new.memo,
                posted_at=dt.datetime(2020, 1, 28, 1, seq, tzinfo=dt.UTC),
                prev_hash=prev,
            )
            entry.hash = prev = entry_hash(
                prev,
                canonical(
                    foundation_id=foundation,
                    seq=seq,
                    entry_id=entry.id,
                    kind=entry.kind,
                    fund_id=fund,
                    source_id=entry.source_id,
                    memo=entry.memo,
                    posted_at=entry.posted_at,
                    lines=new.lines,
                ),
            )
            rows.append((entry, new.lines))
        repo = LedgerRepository(session)
        await repo.add_entries(rows)
        await repo.queue_for_log(foundation, [entry.id for entry, _ in rows])
        session.add(LedgerHead(foundation_id=foundation, seq=2, hash=prev))
        await session.flush()

    async def test_the_chain_and_the_entries_after_it_verify(self, app: FastAPI) -> None:
        foundation, fund = uuid.uuid4(), uuid.uuid4()
        async with transaction(app.state.database, write=True) as session:
            await self.chained(session, foundation, fund)
            repo = LedgerRepository(session)
            await ledger.post_many(repo, foundation, movements(fund)[2:4])
            result = await ledger.verify(repo, foundation)
        assert result.valid, result.breaks
        assert result.entries == 4

    async def test_a_changed_chained_entry_is_a_break(self, app: FastAPI) -> None:
        foundation, fund = uuid.uuid4(), uuid.uuid4()
        async with transaction(app.state.database, write=True) as session:
            await self.chained(session, foundation, fund)
            await ledger.post_many(LedgerRepository(session), foundation, movements(fund)[2:3])
            await session.execute(
                update(JournalEntry)
                .where(JournalEntry.foundation_id == foundation, JournalEntry.seq == 1)
                .values(memo="edited")
            )
            result = await ledger.verify(LedgerRepository(session), foundation)
        assert [(b.seq, b.reason) for b in result.breaks] == [
            (1, "the entry or its lines were changed after posting (hash mismatch)")
        ]

    async def test_a_chain_cut_short_disagrees_with_its_head(self, app: FastAPI) -> None:
        foundation, fund = uuid.uuid4(), uuid.uuid4()
        async with transaction(app.state.database, write=True) as session:
            await self.chained(session, foundation, fund)
            await session.execute(
                update(LedgerHead)
                .where(LedgerHead.foundation_id == foundation)
                .values(hash="e" * 64)
            )
            await ledger.post_many(LedgerRepository(session), foundation, movements(fund)[2:3])
            result = await ledger.verify(LedgerRepository(session), foundation)
        assert [b.reason for b in result.breaks] == ["the chain head does not match the last entry"]


class TestVerifyFromATrustedPoint:
    async def test_checks_only_the_entries_after_it(self, client: httpx.AsyncClient) -> None:
        await donate_many(client, ["1.00", "2.00", "3.00"])
        _, second, third = sorted(await entries(client), key=lambda e: e["seq"])
        result = (
            await client.get(
                "/api/v1/ledger/verify",
                params={"after_seq": second["seq"], "after_hash": second["hash"]},
            )
        ).json()
        assert result["valid"] is True
        assert (result["entries"], result["head_seq"]) == (1, third["seq"])

    async def test_a_rewritten_anchor_is_a_break(
        self, client: httpx.AsyncClient, app: FastAPI
    ) -> None:
        # Someone rewrote entry 2 and every hash after it: a full walk would pass, but the
        # hash published earlier for entry 2 no longer matches.
        await donate_many(client, ["1.00", "2.00", "3.00"])
        second = sorted(await entries(client), key=lambda e: e["seq"])[1]
        async with transaction(app.state.database, write=True) as session:
            await session.execute(
                update(JournalEntry)
                .where(JournalEntry.id == uuid.UUID(second["id"]))
                .values(hash="f" * 64)
            )
        result = (
            await client.get(
                "/api/v1/ledger/verify",
                params={"after_seq": second["seq"], "after_hash": second["hash"]},
            )
        ).json()
        assert result["valid"] is False
        assert result["breaks"][0]["seq"] == second["seq"]
        assert "trusted" in result["breaks"][0]["reason"]

    async def test_a_point_beyond_the_chain_is_a_break(self, client: httpx.AsyncClient) -> None:
        await donate_many(client, ["1.00"])
        result = (
            await client.get(
                "/api/v1/ledger/verify", params={"after_seq": 5, "after_hash": "a" * 64}
            )
        ).json()
        assert result["valid"] is False

    @pytest.mark.parametrize(
        "params",
        [
            {"after_seq": "2"},
            {"after_hash": "a" * 64},
            {"after_seq": "-1", "after_hash": "a" * 64},
            {"after_seq": "1", "after_hash": "A" * 64},
            {"after_seq": "1", "after_hash": "abc"},
        ],
    )
    async def test_bad_parameters_are_422(
        self, client: httpx.AsyncClient, params: dict[str, str]
    ) -> None:
        response = await client.get("/api/v1/ledger/verify", params=params)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"


class TestTrialBalance:
    async def test_debits_equal_credits_per_currency(self, client: httpx.AsyncClient) -> None:
        campaign = await donate_many(client, ["100.00", "0.01"])
        assert (await donate(client, campaign["id"], "50", currency="HKD")).status_code == 201

        balance = (await client.get("/api/v1/ledger/trial-balance")).json()
        assert balance["totals"] == [
            {
                "currency": "CNY",
                "debit": {"amount": "100.01", "currency": "CNY"},
                "credit": {"amount": "100.01", "currency": "CNY"},
            },
            {
                "currency": "HKD",
                "debit": {"amount": "50.00", "currency": "HKD"},
                "credit": {"amount": "50.00", "currency": "HKD"},
            },
        ]
        cash = next(
            r
            for r in balance["rows"]
            if (r["account"], r["balance"]["currency"]) == ("cash", "CNY")
        )
        assert cash["balance"] == {"amount": "100.01", "currency": "CNY"}
        assert balance["head_seq"] == max(e["seq"] for e in await entries(client))


class TestEntries:
    async def test_another_foundations_entry_is_404(self, app: FastAPI) -> None:
        async with client_for(app, principal()) as owner, client_for(app, principal()) as other:
            campaign = await create_campaign(owner)
            donation = (await donate(owner, campaign["id"], "1")).json()
            response = await other.get(f"/api/v1/ledger/entries/{donation['entry_id']}")
            listed = await entries(other)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert listed == []

    async def test_filter_by_fund(self, client: httpx.AsyncClient) -> None:
        first = await donate_many(client, ["1.00"])
        await donate_many(client, ["2.00", "3.00"])
        assert [e["fund_id"] for e in await entries(client, fund_id=first["id"])] == [first["id"]]

    async def test_reading_needs_the_ledger_scope(self, app: FastAPI) -> None:
        reader = principal(scopes=frozenset({"campaigns:read"}))
        async with client_for(app, reader) as client:
            response = await client.get("/api/v1/ledger/verify")
        assert response.status_code == 403


class TestConcurrentPostings:
    async def test_concurrent_donations_all_count_and_verify(self, committing_app: FastAPI) -> None:
        async with client_for(committing_app, principal()) as client:
            campaign = await create_campaign(client)
            responses = await asyncio.gather(
                *(donate(client, campaign["id"], f"{i}.00") for i in range(1, 41))
            )
            result = (await client.get("/api/v1/ledger/verify")).json()
            read = (await client.get(f"/api/v1/campaigns/{campaign['id']}")).json()
        assert {r.status_code for r in responses} == {201}
        assert result["valid"] is True, result["breaks"]
        assert result["entries"] == 40
        assert read["raised"]["amount"] == f"{sum(range(1, 41))}.00"
        # Numbered when the log takes them in, which the verification does not wait for.
        assert {r.json()["receipt_number"] for r in responses} == {None}


def documented_hash(entry: JournalEntry, lines: list[Posting]) -> str:
    """The entry's leaf hash as docs/ledger.md spells it, computed without the service's
    code."""
    document = {
        "v": 1,
        "foundation_id": str(entry.foundation_id),
        "id": str(entry.id),
        "kind": entry.kind,
        "fund_id": str(entry.fund_id),
        "source_id": str(entry.source_id),
        "memo": entry.memo,
        "posted_at": entry.posted_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "lines": [[x.account, str(x.fund_id), x.currency, x.amount_minor] for x in lines],
    }
    body = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(b"\x00" + body.encode()).hexdigest()


def movements(fund: uuid.UUID) -> list[ledger.NewEntry]:
    """Money in (two currencies), goods bought with it, some given out, a refund."""

    def entry(kind: str, memo: str, *lines: tuple[str, str, int]) -> ledger.NewEntry:
        return ledger.NewEntry(
            kind=kind,
            fund_id=fund,
            source_id=uuid.uuid4(),
            lines=[Posting(account, fund, currency, amount) for account, currency, amount in lines],
            memo=memo,
        )

    return [
        entry("donation", "via 微信支付", ("cash", "CNY", 10_000), ("donations", "CNY", -10_000)),
        entry("donation", "", ("cash", "HKD", 500), ("donations", "HKD", -500)),
        entry("donation", "again", ("cash", "CNY", 2_067_018), ("donations", "CNY", -2_067_018)),
        entry("purchase", "masks", ("stock", "CNY", 1_000_000), ("cash", "CNY", -1_000_000)),
        entry("distribution", "", ("distributed", "CNY", 400_000), ("stock", "CNY", -400_000)),
        entry("refund", "", ("donations", "HKD", 500), ("cash", "HKD", -500)),
    ]


async def posted_rows(
    session: AsyncSession, foundation_id: uuid.UUID
) -> list[tuple[JournalEntry, list[Posting]]]:
    """The foundation's entries in chain order, with their lines."""
    stmt = (
        select(JournalEntry)
        .where(JournalEntry.foundation_id == foundation_id)
        .order_by(JournalEntry.seq)
    )
    found = (await session.execute(stmt)).scalars().all()
    lines = await LedgerRepository(session).lines([e.id for e in found])
    return [(e, ledger.postings(lines[e.id])) for e in found]


async def totals_of(session: AsyncSession, foundation_id: uuid.UUID) -> set[tuple[Any, ...]]:
    columns = "fund_id account kind currency debit_minor credit_minor debit_count credit_count"
    return {
        tuple(getattr(t, c) for c in columns.split())
        for t in await LedgerRepository(session).totals(foundation_id)
    }


class TestPostMany:
    async def test_posts_what_post_would_one_by_one(self, app: FastAPI) -> None:
        batched, one_by_one, fund = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        wanted = movements(fund)
        async with transaction(app.state.database, write=True) as session:
            repo = LedgerRepository(session)
            await ledger.post(repo, batched, **vars_of(wanted[0]))
            returned = await ledger.post_many(repo, batched, wanted[1:])
            for new in wanted:
                await ledger.post(repo, one_by_one, **vars_of(new))

            many = await posted_rows(session, batched)
            single = await posted_rows(session, one_by_one)
            assert [e.id for e in returned] == [e.id for e, _ in many[1:]]
            # The entries answered carry the numbers stored, and the log takes them in the
            # order they were posted.
            assert [e.seq for e in returned] == [e.seq for e, _ in many[1:]]
            queued = await session.execute(
                select(LogQueue.entry_id)
                .where(LogQueue.foundation_id == batched)
                .order_by(LogQueue.id)
            )
            assert list(queued.scalars()) == [e.id for e, _ in many]
            assert await totals_of(session, batched) == await totals_of(session, one_by_one)
            assert (await ledger.verify(repo, batched)).valid

        def shape(e: JournalEntry, lines: list[Posting]) -> tuple[Any, ...]:
            return (e.seq, e.kind, e.fund_id, e.memo, lines)

        assert [shape(*row)[1:] for row in many] == [shape(*row)[1:] for row in single]
        assert [e.source_id for e, _ in many] == [new.source_id for new in wanted]
        seqs = [e.seq for e, _ in many]
        assert seqs == sorted(set(seqs))
        for entry, lines in many:
            assert entry.prev_hash == ""
            assert entry.hash == documented_hash(entry, lines)

    async def test_an_entry_that_overdraws_midway_posts_nothing(self, app: FastAPI) -> None:
        foundation, fund = uuid.uuid4(), uuid.uuid4()
        gift, spend = movements(fund)[0], movements(fund)[3]  # 100.00 in, 10,000.00 out
        small_spend = ledger.NewEntry(
            kind="expense",
            fund_id=fund,
            source_id=uuid.uuid4(),
            lines=[
                Posting("expense:transport", fund, "CNY", 6_000),
                Posting("cash", fund, "CNY", -6_000),
            ],
        )
        with pytest.raises(InsufficientFunds, match=r"holds 40\.00 CNY; this needs 60\.00 CNY"):
            async with transaction(app.state.database, write=True) as session:
                # The gift covers the first spend of 60.00 and not the second.
                await ledger.post_many(
                    LedgerRepository(session), foundation, [gift, small_spend, small_spend]
                )
        with pytest.raises(InsufficientFunds, match=r"holds 100\.00 CNY; this needs 10000\.00 CNY"):
            async with transaction(app.state.database, write=True) as session:
                await ledger.post_many(LedgerRepository(session), foundation, [gift, spend])
        async with transaction(app.state.database, write=False) as session:
            repo = LedgerRepository(session)
            assert await posted_rows(session, foundation) == []
            assert await repo.totals(foundation) == []
            assert (await ledger.verify(repo, foundation)).entries == 0

    async def test_money_given_earlier_in_the_batch_can_be_spent_later_in_it(
        self, app: FastAPI
    ) -> None:
        foundation, fund = uuid.uuid4(), uuid.uuid4()
        wanted = movements(fund)
        async with transaction(app.state.database, write=True) as session:
            repo = LedgerRepository(session)
            await ledger.post_many(repo, foundation, wanted)
            held = await repo.balances(
                foundation, [(fund, "cash", "CNY"), (fund, "stock", "CNY"), (fund, "cash", "HKD")]
            )
        assert held[(fund, "cash", "CNY")] == 10_000 + 2_067_018 - 1_000_000
        assert held[(fund, "stock", "CNY")] == 600_000
        assert held[(fund, "cash", "HKD")] == 0

    async def test_nothing_to_post_touches_nothing(self, app: FastAPI) -> None:
        foundation = uuid.uuid4()
        async with transaction(app.state.database, write=True) as session:
            repo = LedgerRepository(session)
            assert await ledger.post_many(repo, foundation, []) == []
            assert await repo.last_entry(foundation) is None


def vars_of(new: ledger.NewEntry) -> dict[str, Any]:
    return {
        "kind": new.kind,
        "fund_id": new.fund_id,
        "source_id": new.source_id,
        "lines": new.lines,
        "memo": new.memo,
    }
