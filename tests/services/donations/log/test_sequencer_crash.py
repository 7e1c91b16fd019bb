"""A sequencer killed in the middle of a batch loses and doubles nothing: its transaction
dies with it, the entries stay queued, and the next sequencer integrates each once."""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from kit.db import Database, transaction
from kit.ids import new_id
from kit.migrations import upgrade
from services.donations.app import MIGRATIONS
from services.donations.donations import integration
from services.donations.ledger.chain import transfer
from services.donations.ledger.models import LogQueue
from services.donations.ledger.repository import LedgerRepository
from services.donations.ledger.service import NewEntry, post_many
from services.donations.log import merkle
from services.donations.log.models import LogLeaf, LogNode, TreeHead
from services.donations.log.sequencer import Sequencer
from services.donations.log.signing import HeadSigner
from tests.support import BACKENDS, create_postgres_database, drop_postgres_databases

ENTRIES = 20_000

# Integrates every queued entry in one batch, in a process of its own, for the test to kill.
SEQUENCER = """
import asyncio, sys
from kit.db import Database, transaction
from services.donations.donations import integration
from services.donations.log.sequencer import integrate
from services.donations.log.signing import HeadSigner

async def main():
    database = Database.from_url(sys.argv[1], pool_size=1)
    async with transaction(database, write=True) as session:
        await integrate(session, HeadSigner.generate(), steps=integration.STEPS, limit=1_000_000)
    print("committed", flush=True)

asyncio.run(main())
"""


@pytest.fixture
async def database_url() -> AsyncIterator[str]:
    url = await create_postgres_database("fnet_test_crash")
    try:
        await asyncio.to_thread(upgrade, MIGRATIONS, url)
        yield url
    finally:
        await drop_postgres_databases([url])


async def _count(database: Database, model: type, foundation_id: uuid.UUID) -> int:
    async with transaction(database, write=False) as session:
        stmt = (
            select(func.count())
            .select_from(model)
            .where(
                model.foundation_id == foundation_id  # type: ignore[attr-defined]
            )
        )
        return int((await session.execute(stmt)).scalar_one())


async def _in_transaction(url: str, pid: int) -> bool:
    """Whether the sequencer process's connection is inside its batch's transaction."""
    dsn = make_url(url)
    conn = await asyncpg.connect(
        host=dsn.host, port=dsn.port, user=dsn.username, database=dsn.database
    )
    try:
        rows = await conn.fetch(
            "SELECT xact_start FROM pg_stat_activity WHERE datname = $1 AND pid <> "
            "pg_backend_pid() AND xact_start IS NOT NULL AND state <> 'idle'",
            dsn.database,
        )
        return bool(rows)
    finally:
        await conn.close()


@pytest.mark.parametrize("backend", [b for b in BACKENDS if b == "postgresql"])
async def test_a_sequencer_killed_mid_batch_loses_and_doubles_nothing(
    database_url: str, backend: str
) -> None:
    foundation_id = new_id()
    database = Database.from_url(database_url, pool_size=2)
    try:
        async with transaction(database, write=True) as session:
            await post_many(
                LedgerRepository(session),
                foundation_id,
                [
                    NewEntry(
                        kind="donation",
                        fund_id=foundation_id,
                        source_id=new_id(),
                        lines=transfer(
                            debit="cash",
                            credit="donations",
                            fund_id=foundation_id,
                            currency="CNY",
                            minor=n + 1,
                        ),
                    )
                    for n in range(ENTRIES)
                ],
            )
        assert await _count(database, LogQueue, foundation_id) == ENTRIES

        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            SEQUENCER,
            database_url,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while not await _in_transaction(database_url, process.pid):
            assert process.returncode is None, "the sequencer process ended early"
            assert time.monotonic() < deadline, "the sequencer never began its batch"
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # well into the batch, which takes seconds
        process.kill()  # SIGKILL: no cleanup of any kind
        output = (await asyncio.wait_for(process.communicate(), 30))[0].decode()
        assert "committed" not in output, "the batch finished before the kill; make it larger"

        # Nothing of the dead batch is left, and nothing is lost.
        for _ in range(100):  # the server notices the dead connection and rolls it back
            if await _count(database, LogLeaf, foundation_id) == 0:
                break
            await asyncio.sleep(0.1)
        assert await _count(database, LogLeaf, foundation_id) == 0
        assert await _count(database, LogNode, foundation_id) == 0
        assert await _count(database, LogQueue, foundation_id) == ENTRIES

        # Another sequencer takes over and integrates each entry once.
        successor = Sequencer(database, HeadSigner.generate(), steps=integration.STEPS, batch=5_000)
        while await successor.run_once() == 5_000:
            continue
        assert successor.integrated == ENTRIES
        assert await _count(database, LogQueue, foundation_id) == 0
        async with transaction(database, write=False) as session:
            indexes = (
                await session.execute(
                    select(LogLeaf.index).where(LogLeaf.foundation_id == foundation_id)
                )
            ).scalars()
            assert sorted(indexes) == list(range(ENTRIES))
            head = (
                await session.execute(
                    select(TreeHead)
                    .where(TreeHead.foundation_id == foundation_id)
                    .order_by(TreeHead.size.desc())
                    .limit(1)
                )
            ).scalar_one()
            leaves = (
                await session.execute(
                    select(LogNode.index, LogNode.hash)
                    .where(LogNode.foundation_id == foundation_id, LogNode.level == 0)
                    .order_by(LogNode.index)
                )
            ).all()
        assert head.size == ENTRIES
        rebuilt = merkle.completed_nodes(0, [hash_ for _, hash_ in leaves], {})
        assert merkle.range_hash(0, ENTRIES, rebuilt) == head.root_hash
    finally:
        await database.dispose()
