"""The transparency log through its public API: every journal entry integrated once, signed
heads, inclusion and consistency proofs that an outside verifier accepts, and tampering
that it names."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Executable, func, select, update

from fnet.verify import LogVerifier
from kit.db import Database, transaction
from kit.identity import Principal
from services.donations.donations import integration
from services.donations.ledger.models import JournalEntry, JournalLine
from services.donations.log.models import LogLeaf, LogNode, TreeHead
from services.donations.log.repository import LogRepository
from services.donations.log.router import _size_cursor
from services.donations.log.sequencer import Sequencer, integrate_everything
from services.donations.log.signing import HeadSigner
from tests.services.donations.factories import create_campaign, donate, public_client
from tests.support import BACKENDS, client_for, principal

SIGNER = HeadSigner.generate()
Client = httpx.AsyncClient


async def run_sequencer(app: FastAPI, signer: HeadSigner = SIGNER) -> int:
    """Integrate what is queued, waiting for any other sequencer's turn to end."""
    database: Database = app.state.database
    async with transaction(database, write=True) as session:
        return await integrate_everything(session, signer, steps=integration.STEPS)


async def journal_size(app: FastAPI, foundation_id: uuid.UUID) -> int:
    async with transaction(app.state.database, write=False) as session:
        count = await session.execute(
            select(func.count()).where(JournalEntry.foundation_id == foundation_id)
        )
        return int(count.scalar_one())


@pytest.fixture
async def public(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    # Not public_client: these tests run the sequencer themselves, and look at reports
    # before it has run.
    async with client_for(app, None) as client:
        yield client


async def donations(client: httpx.AsyncClient, count: int) -> str:
    campaign = await create_campaign(client)
    for n in range(count):
        assert (await donate(client, campaign["id"], f"{n + 1}.00")).status_code == 201
    return str(campaign["id"])


class TestIntegration:
    async def test_every_entry_is_in_the_log_once(
        self, app: FastAPI, client: httpx.AsyncClient, foundation: Principal
    ) -> None:
        await run_sequencer(app)  # what tests that committed before left queued
        await donations(client, 5)
        integrated = await run_sequencer(app)

        assert integrated == await journal_size(app, foundation.organisation_id) == 5
        assert await run_sequencer(app) == 0  # nothing twice
        async with transaction(app.state.database, write=False) as session:
            indexes = (
                await session.execute(
                    select(LogLeaf.index).where(LogLeaf.foundation_id == foundation.organisation_id)
                )
            ).scalars()
            assert sorted(indexes) == list(range(5))

    async def test_a_log_with_no_head_is_404(self, public: httpx.AsyncClient) -> None:
        response = await public.get(f"/api/v1/foundations/{uuid.uuid4()}/log/head")
        assert response.status_code == 404
        assert response.json()["type"] == "urn:fnet:problem:log-empty"

    async def test_an_index_past_a_bigint_is_422_not_a_database_error(
        self, public: httpx.AsyncClient
    ) -> None:
        # Found by Schemathesis: PostgreSQL could not take the number, and the service
        # answered 503 "the database is busy".
        huge = 2**63
        base = f"/api/v1/foundations/{uuid.uuid4()}/log"
        cursor = _size_cursor(huge)
        for path, params in (
            (f"{base}/entries/{huge}", {}),
            (f"{base}/proofs/inclusion", {"seq": huge}),
            (f"{base}/proofs/inclusion", {"seq": 0, "size": huge}),
            (f"{base}/proofs/consistency", {"from": 1, "to": huge}),
            (f"{base}/heads", {"cursor": cursor}),
        ):
            response = await public.get(path, params=params)
            assert response.status_code == 422, (path, params, response.text)
        assert (await public.get(f"{base}/entries/{huge - 1}")).status_code == 404

    async def test_the_head_is_signed_and_public(
        self, app: FastAPI, client: Client, public: Client, foundation: Principal
    ) -> None:
        await donations(client, 3)
        await run_sequencer(app)
        base = f"/api/v1/foundations/{foundation.organisation_id}/log"
        head = (await public.get(f"{base}/head")).json()
        keys = (await public.get("/api/v1/log/keys")).json()

        assert head["size"] == 3
        assert head["key_id"] == SIGNER.key_id
        assert SIGNER.key_id in {k["key_id"] for k in keys}
        report = await LogVerifier(public, foundation.organisation_id).verify()
        assert report.valid, report.problems
        assert (report.size, report.heads, report.entries) == (3, 1, 3)

    async def test_later_heads_extend_earlier_ones(
        self, app: FastAPI, client: Client, public: Client, foundation: Principal
    ) -> None:
        campaign = await donations(client, 3)
        await run_sequencer(app)
        for n in range(4):
            await donate(client, campaign, f"{n + 10}.00")
            await run_sequencer(app)
        base = f"/api/v1/foundations/{foundation.organisation_id}/log"

        heads = (await public.get(f"{base}/heads", params={"limit": 2})).json()
        assert [h["size"] for h in heads["items"]] == [7, 6]
        rest = (await public.get(f"{base}/heads", params={"cursor": heads["next_cursor"]})).json()
        assert [h["size"] for h in rest["items"]] == [5, 4, 3]
        report = await LogVerifier(public, foundation.organisation_id).verify()
        assert report.valid, report.problems
        assert report.heads == 5

    async def test_other_foundations_logs_are_apart(
        self, app: FastAPI, client: Client, public: Client, foundation: Principal
    ) -> None:
        other = principal()
        async with client_for(app, other) as theirs:
            await donations(theirs, 2)
        await donations(client, 1)
        await run_sequencer(app)

        mine = await LogVerifier(public, foundation.organisation_id).verify()
        assert (mine.valid, mine.size) == (True, 1)
        assert (await LogVerifier(public, other.organisation_id).verify()).size == 2


class TestProofs:
    async def test_out_of_range_proofs_are_problems(
        self, app: FastAPI, client: Client, public: Client, foundation: Principal
    ) -> None:
        await donations(client, 2)
        await run_sequencer(app)
        base = f"/api/v1/foundations/{foundation.organisation_id}/log"

        beyond = await public.get(f"{base}/proofs/inclusion", params={"seq": 2})
        assert beyond.status_code == 422
        assert beyond.json()["type"] == "urn:fnet:problem:proof-out-of-range"
        unsigned = await public.get(f"{base}/proofs/inclusion", params={"seq": 0, "size": 1})
        assert unsigned.status_code == 404
        backwards = await public.get(f"{base}/proofs/consistency", params={"from": 2, "to": 1})
        assert backwards.status_code == 422
        assert (await public.get(f"{base}/entries/9")).status_code == 404
        assert (await public.get(f"{base}/entries/-1")).status_code == 422


def node_changed(foundation: Principal, level: int, index: int, value: bytes) -> Executable:
    return (
        update(LogNode)
        .where(
            LogNode.foundation_id == foundation.organisation_id,
            LogNode.level == level,
            LogNode.index == index,
        )
        .values(hash=value)
    )


class TestTampering:
    async def tampered(self, app: FastAPI, statement: Executable) -> None:
        async with transaction(app.state.database, write=True) as session:
            await session.execute(statement)

    async def verify(self, public: httpx.AsyncClient, foundation: Principal) -> list[str]:
        report = await LogVerifier(public, foundation.organisation_id).verify()
        return report.problems

    async def logged(self, app: FastAPI, client: httpx.AsyncClient) -> None:
        await donations(client, 4)
        await run_sequencer(app)

    async def test_a_changed_line_names_its_entry(
        self, app: FastAPI, client: Client, public: Client, foundation: Principal
    ) -> None:
        await self.logged(app, client)
        entry = await self.entry_at(app, foundation, 2)
        await self.tampered(
            app,
            update(JournalLine)
            .where(JournalLine.entry_id == entry)
            .values(amount_minor=JournalLine.amount_minor * 10),
        )
        assert await self.verify(public, foundation) == [
            "entry 2: its content does not hash to its leaf",
            "entry 2: not included in head 4",
        ]

    async def test_a_changed_entry_names_it(
        self, app: FastAPI, client: Client, public: Client, foundation: Principal
    ) -> None:
        await self.logged(app, client)
        entry = await self.entry_at(app, foundation, 0)
        await self.tampered(
            app, update(JournalEntry).where(JournalEntry.id == entry).values(memo="moved")
        )
        problems = await self.verify(public, foundation)
        assert "entry 0: its content does not hash to its leaf" in problems

    async def test_a_changed_leaf_hash_is_not_included(
        self, app: FastAPI, client: Client, public: Client, foundation: Principal
    ) -> None:
        await self.logged(app, client)
        await self.tampered(app, node_changed(foundation, 0, 1, b"\x00" * 32))
        # Entry 1 no longer matches its stored leaf; its sibling's proof runs through that
        # leaf, so entry 0 is no longer in the signed tree either.
        assert await self.verify(public, foundation) == [
            "entry 0: not included in head 4",
            "entry 1: its content does not hash to its leaf",
        ]

    async def test_a_changed_head_fails_its_signature(
        self, app: FastAPI, client: Client, public: Client, foundation: Principal
    ) -> None:
        await self.logged(app, client)
        await self.tampered(
            app,
            update(TreeHead)
            .where(TreeHead.foundation_id == foundation.organisation_id)
            .values(root_hash=b"\x01" * 32),
        )
        problems = await self.verify(public, foundation)
        assert problems[0] == "head 4: signature does not verify"

    async def test_a_forked_log_fails_consistency(
        self, app: FastAPI, client: Client, public: Client, foundation: Principal
    ) -> None:
        campaign = await donations(client, 2)
        await run_sequencer(app)
        await donate(client, campaign, "9.00")
        # A server that rewrites history signs a head whose tree does not contain the old
        # one: here, with the log's own key, over a tree whose first leaf was replaced.
        await self.tampered(app, node_changed(foundation, 1, 0, b"\x02" * 32))
        await run_sequencer(app)
        problems = await self.verify(public, foundation)
        assert (
            "heads 2 and 3: the later does not extend the earlier (a forked or rewritten log)"
            in problems
        )

    async def entry_at(self, app: FastAPI, foundation: Principal, index: int) -> uuid.UUID:
        async with transaction(app.state.database, write=False) as session:
            leaf = await session.get(LogLeaf, (foundation.organisation_id, index))
            assert leaf is not None
            return leaf.entry_id


@pytest.mark.parametrize("backend", [b for b in BACKENDS if b == "postgresql"])
async def test_two_sequencers_integrate_each_entry_once(
    committing_app: FastAPI, backend: str
) -> None:
    """Two sequencer candidates (as two replicas run them) while donations pour in: one
    tree per foundation, each entry in it once, every proof checks."""
    database: Database = committing_app.state.database
    candidates = [
        Sequencer(database, HeadSigner.generate(), steps=integration.STEPS, interval=0.01)
        for _ in range(2)
    ]
    foundations = [principal() for _ in range(3)]
    for candidate in candidates:
        await candidate.start()
    try:
        clients = [client_for(committing_app, who) for who in foundations]
        campaigns = [(await create_campaign(c))["id"] for c in clients]
        answers = await asyncio.gather(
            *(donate(clients[n % 3], campaigns[n % 3], "1.00") for n in range(120))
        )
        assert {a.status_code for a in answers} == {201}
        # The app runs a sequencer of its own too: three candidates in all.
        for _ in range(400):
            async with transaction(database, write=False) as session:
                if await LogRepository(session).backlog() == 0:
                    break
            await asyncio.sleep(0.05)
        assert sum(c.integrated for c in candidates) > 0
    finally:
        for candidate in candidates:
            await candidate.stop()
    async with public_client(committing_app) as public:
        for who in foundations:
            report = await LogVerifier(public, who.organisation_id).verify()
            assert report.valid, report.problems
            assert report.size == await journal_size(committing_app, who.organisation_id) == 40
    for client in clients:
        await client.aclose()


class TestReceipts:
    async def receipt(self, client: Client, campaign: str, donation: str) -> dict[str, Any]:
        url = f"/api/v1/campaigns/{campaign}/donations/{donation}/receipt"
        response = await client.get(url)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def test_a_receipt_names_its_log_entry_and_verifies(
        self, app: FastAPI, client: Client, public: Client, foundation: Principal
    ) -> None:
        campaign = (await create_campaign(client))["id"]
        await donations(client, 2)
        donation = (await donate(client, campaign, "88.88")).json()["id"]
        pending = await self.receipt(client, campaign, donation)
        await run_sequencer(app)
        receipt = await self.receipt(client, campaign, donation)

        assert pending["log"]["seq"] is None
        assert receipt["log"]["seq"] == 2
        base = f"/api/v1/foundations/{foundation.organisation_id}/log"
        assert receipt["log"]["inclusion_proof"] == f"{base}/proofs/inclusion?seq=2"
        assert (await public.get(receipt["log"]["entry"])).json()["entry"]["id"] == receipt[
            "entry_id"
        ]
        verifier = LogVerifier(public, foundation.organisation_id)
        report = await verifier.verify_receipt(receipt)
        assert report.valid, report.problems
        assert (await verifier.verify_receipt(pending)).problems == [
            "the receipt was issued before its entry reached the log; fetch it again"
        ]

    async def test_a_receipt_that_does_not_match_its_entry_fails(
        self, app: FastAPI, client: Client, public: Client, foundation: Principal
    ) -> None:
        campaign = (await create_campaign(client))["id"]
        first = (await donate(client, campaign, "10.00")).json()["id"]
        second = (await donate(client, campaign, "20.00")).json()["id"]
        await run_sequencer(app)
        receipt = await self.receipt(client, campaign, first)
        verifier = LogVerifier(public, foundation.organisation_id)

        inflated = {**receipt, "amount": {"amount": "100.00", "currency": "CNY"}}
        assert (await verifier.verify_receipt(inflated)).problems == [
            "entry 0: records no 100.00 CNY, the receipt's amount"
        ]
        other = await self.receipt(client, campaign, second)
        swapped = {**receipt, "log": other["log"]}
        assert (await verifier.verify_receipt(swapped)).problems == [
            f"entry 1: is not the receipt's entry {receipt['entry_id']}",
            "entry 1: records no 10.00 CNY, the receipt's amount",
        ]


class TestReportsStandAgainstAHead:
    async def test_the_public_report_names_the_head_and_what_it_has_not_taken_yet(
        self, app: FastAPI, client: Client, public: Client, foundation: Principal
    ) -> None:
        await run_sequencer(app)
        campaign = await donations(client, 2)
        report_path = f"/api/v1/campaigns/{campaign}/report"
        assert (await public.get(report_path)).json()["log"] is None

        await run_sequencer(app)
        await donate(client, campaign, "5.00")
        log = (await public.get(report_path)).json()["log"]

        assert (log["size"], log["pending"]) == (2, 1)
        assert log["path"] == f"/api/v1/foundations/{foundation.organisation_id}/log/head"
        head = (await public.get(log["path"])).json()
        assert (head["size"], head["root_hash"]) == (log["size"], log["root_hash"])

    async def test_a_disclosure_freezes_a_head_holding_every_entry_it_counts(
        self, app: FastAPI, client: Client, public: Client, foundation: Principal
    ) -> None:
        await run_sequencer(app)
        campaign = await create_campaign(
            client, starts_at="2025-03-01T00:00:00+00:00", ends_at="2025-05-01T00:00:00+00:00"
        )
        for amount in ("10.00", "20.00", "30.00"):
            given = await donate(
                client, campaign["id"], amount, donated_at="2025-04-01T08:00:00+00:00"
            )
            assert given.status_code == 201, given.text
        # No sequencer has run: the disclosure itself takes the entries into the log.
        response = await client.post(
            f"/api/v1/campaigns/{campaign['id']}/disclosures", json={"kind": "final"}
        )

        assert response.status_code == 201, response.text
        report = response.json()["report"]
        assert report["log"]["pending"] == 0
        assert report["log"]["size"] == await journal_size(app, foundation.organisation_id) == 3
        assert report["raised"][0]["net"] == {"amount": "60.00", "currency": "CNY"}
        verified = await LogVerifier(public, foundation.organisation_id).verify()
        assert verified.valid, verified.problems
        assert (verified.size, verified.root) == (report["log"]["size"], report["log"]["root_hash"])
