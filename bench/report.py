"""The transparency report of a campaign holding many donations, against one hand-written
SQL aggregate over the same rows, measured in the same run.

The donations, their journal entries (hash-chained, as the service writes them), lines and
running totals are written straight into a fresh PostgreSQL database with COPY, since a
million requests would take an hour; ``GET /api/v1/ledger/verify`` on a small run checks the
data is what the service itself would have written. Then:

(report) ``GET /api/v1/campaigns/{id}/report`` from the donations service (one uvicorn
         worker, one connection, wrk),
(sql)    ``SELECT currency, count(*), sum(amount_minor), sum(refunded_minor),
         count(DISTINCT donor_ref) FROM donations WHERE campaign_id = $1 GROUP BY currency``
         on one asyncpg connection.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.engine import make_url

from bench.gateway import Postgres, Process, free_port, wrk
from kit.identity import DEFAULT_SCOPES, IDENTITY_HEADER, Principal, TokenSigner
from kit.ids import new_id
from kit.migrations import upgrade
from services.donations.app import MIGRATIONS
from services.donations.ledger.chain import Posting, canonical, entry_hash
from services.donations.ledger.models import GENESIS_HASH

CHUNK = 50_000
AGGREGATE = (
    "SELECT currency, count(*), sum(amount_minor), sum(refunded_minor),"
    " count(DISTINCT donor_ref) FROM donations WHERE campaign_id = $1 GROUP BY currency"
)


async def load(url: str, foundation: uuid.UUID, count: int) -> uuid.UUID:
    """A campaign of ``foundation`` with ``count`` donations and everything the service
    would have written with them; answers the campaign id."""
    pg = Postgres()
    conn = await pg._connect(make_url(url).database)
    try:
        campaign = new_id()
        start = dt.datetime(2020, 1, 28, 1, 0, tzinfo=dt.UTC)
        await conn.execute(
            "INSERT INTO campaigns (id, created_at, foundation_id, title, purpose, goal_minor,"
            " currency, status, starts_at, phase, co_organisers, version)"
            " VALUES ($1, $2, $3, 'bench', '', 100000000000, 'CNY', 'open', $2, 1, '[]', 1)",
            campaign,
            start,
            foundation,
        )
        prev = GENESIS_HASH
        total = 0
        donors: set[str] = set()
        written = 0
        while written < count:
            n = min(CHUNK, count - written)
            donations: list[tuple[Any, ...]] = []
            entries: list[tuple[Any, ...]] = []
            lines: list[tuple[Any, ...]] = []
            for i in range(written, written + n):
                donation_id, entry_id = new_id(), new_id()
                amount = 100 + (i * 7919) % 50_000
                donor_ref = f"donor-{i % (count // 3 + 1)}"
                donors.add(donor_ref)
                at = start + dt.timedelta(milliseconds=i)
                seq = i + 1
                postings = [
                    Posting("cash", campaign, "CNY", amount),
                    Posting("donations", campaign, "CNY", -amount),
                ]
                memo = "donation via wechat_pay"
                digest = entry_hash(
                    prev,
                    canonical(
                        foundation_id=foundation,
                        seq=seq,
                        entry_id=entry_id,
                        kind="donation",
                        fund_id=campaign,
                        source_id=donation_id,
                        memo=memo,
                        posted_at=at,
                        lines=postings,
                    ),
                )
                entries.append(
                    (
                        entry_id,
                        foundation,
                        seq,
                        "donation",
                        campaign,
                        donation_id,
                        memo,
                        at,
                        prev,
                        digest,
                    )
                )
                lines.extend(
                    (entry_id, pos, p.account, p.fund_id, p.currency, p.amount_minor)
                    for pos, p in enumerate(postings)
                )
                anonymous = i % 5 != 0
                donations.append(
                    (
                        donation_id,
                        at,
                        campaign,
                        foundation,
                        amount,
                        "CNY",
                        "wechat_pay",
                        f"wx-{i}",
                        None if anonymous else f"捐赠人{i}",
                        anonymous,
                        None,
                        donor_ref,
                        at,
                        f"2020-{seq:06d}",
                        0,
                        None,
                        entry_id,
                    )
                )
                prev = digest
                total += amount
            await conn.copy_records_to_table(
                "journal_entries",
                records=entries,
                columns=[
                    "id",
                    "foundation_id",
                    "seq",
                    "kind",
                    "fund_id",
                    "source_id",
                    "memo",
                    "posted_at",
                    "prev_hash",
                    "hash",
                ],
            )
            await conn.copy_records_to_table(
                "journal_lines",
                records=lines,
                columns=["entry_id", "position", "account", "fund_id", "currency", "amount_minor"],
            )
            await conn.copy_records_to_table(
                "donations",
                records=donations,
                columns=[
                    "id",
                    "created_at",
                    "campaign_id",
                    "foundation_id",
                    "amount_minor",
                    "currency",
                    "channel",
                    "external_id",
                    "donor_name",
                    "anonymous",
                    "donor_contact",
                    "donor_ref",
                    "donated_at",
                    "receipt_number",
                    "refunded_minor",
                    "import_id",
                    "entry_id",
                ],
            )
            written += n
            print(f"    loaded {written:,} donations", flush=True)
        await conn.executemany(
            "INSERT INTO ledger_totals (foundation_id, fund_id, account, kind, currency,"
            " debit_minor, credit_minor, debit_count, credit_count)"
            " VALUES ($1, $2, $3, 'donation', 'CNY', $4, $5, $6, $7)",
            [
                (foundation, campaign, "cash", total, 0, count, 0),
                (foundation, campaign, "donations", 0, total, 0, count),
            ],
        )
        await conn.execute(
            "INSERT INTO ledger_heads (foundation_id, seq, hash) VALUES ($1, $2, $3)",
            foundation,
            count,
            prev,
        )
        await conn.execute(
            "INSERT INTO campaign_tallies (campaign_id, unique_donors) VALUES ($1, $2)",
            campaign,
            len(donors),
        )
        await conn.execute(
            "INSERT INTO receipt_counters (foundation_id, year, last_number) VALUES ($1, 2020, $2)",
            foundation,
            count,
        )
        await conn.execute("ANALYZE")
        return campaign
    finally:
        await conn.close()


async def time_aggregate(url: str, campaign: uuid.UUID, runs: int) -> tuple[float, list[Any]]:
    pg = Postgres()
    conn = await pg._connect(make_url(url).database)
    try:
        rows = await conn.fetch(AGGREGATE, campaign)  # warm the cache, as wrk's first requests do
        timings = []
        for _ in range(runs):
            start = time.perf_counter()
            rows = await conn.fetch(AGGREGATE, campaign)
            timings.append((time.perf_counter() - start) * 1000)
        return statistics.median(timings), [tuple(r) for r in rows]
    finally:
        await conn.close()


async def main(count: int, seconds: int, verify: bool) -> None:
    if shutil.which("wrk") is None:
        sys.exit("bench needs wrk: apt-get install wrk")
    pg = Postgres()
    process: Process | None = None
    try:
        url = await pg.create("report")
        await asyncio.to_thread(upgrade, MIGRATIONS, url)
        foundation = uuid.uuid4()
        print(f"loading {count:,} donations ...", flush=True)
        started = time.perf_counter()
        campaign = await load(url, foundation, count)
        print(f"    done in {time.perf_counter() - started:.0f} s")

        secret = secrets.token_urlsafe(48)
        env = {k: v for k, v in os.environ.items() if not k.startswith("FNET_")}
        env.update(
            FNET_DONATIONS_DATABASE_URL=url,
            FNET_DONATIONS_INTERNAL_TOKEN_SECRET=secret,
            FNET_DONATIONS_LOG_LEVEL="WARNING",
            FNET_DONATIONS_BUS_URL=os.environ.get("FNET_BENCH_NATS_URL", "nats://127.0.0.1:4222"),
        )
        logs = Path(tempfile.mkdtemp(prefix="fnet-bench-"))
        process = Process(
            "services.donations.app:create_app", free_port(), env, logs / "donations.log"
        )
        if verify:
            token = TokenSigner(secret, ttl_seconds=3600).sign(
                Principal("bench", foundation, DEFAULT_SCOPES)
            )
            async with httpx.AsyncClient(base_url=process.url, timeout=600) as client:
                checked = (
                    await client.get("/api/v1/ledger/verify", headers={IDENTITY_HEADER: token})
                ).json()
            print(f"ledger/verify on the loaded data: valid={checked['valid']}")
            print(f"    first break: {checked['breaks'][:1]}")

        sql_p50, rows = await time_aggregate(url, campaign, runs=max(5, seconds * 2))
        print(f"(sql)    hand-written aggregate over {count:,} rows: p50 {sql_p50:8.3f} ms  {rows}")
        report = wrk(
            "(report) GET /api/v1/campaigns/{id}/report, 1 conn",
            f"{process.url}/api/v1/campaigns/{campaign}/report",
            connections=1,
            seconds=seconds,
            headers={},
        )
        print(report.line())
        print(
            f"    report p50 / sql p50: {report.p50_ms / sql_p50:.3f}"
            f"   (target: report under 50 ms and within 2x of sql)"
        )
    finally:
        if process is not None:
            process.stop()
        await pg.drop_all()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--donations", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="100,000 donations, 3-second runs")
    parser.add_argument(
        "--verify", action="store_true", help="run ledger/verify on the loaded data first"
    )
    args = parser.parse_args()
    asyncio.run(
        main(100_000 if args.quick else args.donations, 3 if args.quick else 10, args.verify)
    )
