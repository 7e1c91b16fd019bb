"""The sync feed, measured: (a) a full resync of N visible resources through the gateway
against (raw) one plain SQL query streaming the same rows, and (b) how soon a change reaches
200 long-poll waiters through the gateway.

Targets: resync throughput at least 0.3 of the raw query's (raw time / resync time);
a change reaching the waiters at p50 < 50 ms and p99 < 250 ms (from the start of the
request that makes it). Each app runs as its own uvicorn process on PostgreSQL, with NATS.

    python -m bench.sync            # 100,000 resources
    python -m bench.sync --quick    # 10,000
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import secrets
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from bench.gateway import Postgres, Process, free_port
from fnet.apps import APPS
from gateway.keys import service as keys
from kit.db import Database, transaction
from kit.identity import DEFAULT_SCOPES
from kit.migrations import upgrade

PUBLIC = uuid.UUID(int=0)
WAITERS = 200


async def seed(url: str, owner: uuid.UUID, count: int) -> None:
    """``count`` public guides of ``owner``, written straight into the network database."""
    target = make_url(url)
    conn = await asyncpg.connect(
        host=target.host, port=target.port, user=target.username, database=target.database
    )
    try:
        now = dt.datetime.now(dt.UTC)
        ids = [uuid.uuid4() for _ in range(count)]
        start = await conn.fetchval("SELECT last_seq FROM sync_feed WHERE id = 1")
        await conn.copy_records_to_table(
            "shared_resources",
            columns=[
                "id",
                "owner_id",
                "kind",
                "title",
                "body",
                "language",
                "tags",
                "attachments",
                "visibility",
                "version",
                "seq",
                "created_at",
                "updated_at",
            ],
            records=[
                (
                    rid,
                    owner,
                    "guide",
                    f"Guide {i}",
                    "## A guide\n\n" + "text " * 40,
                    "zh-CN",
                    '["bench"]',
                    "[]",
                    "public",
                    1,
                    start + i + 1,
                    now,
                    now,
                )
                for i, rid in enumerate(ids)
            ],
        )
        await conn.copy_records_to_table(
            "shared_resource_audiences",
            columns=["resource_id", "target_id"],
            records=[(rid, PUBLIC) for rid in ids],
        )
        await conn.execute("UPDATE sync_feed SET last_seq = $1 WHERE id = 1", start + count)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def raw_stream(url: str) -> tuple[float, int]:
    """The baseline: one query streaming every visible row, with its audience."""
    target = make_url(url)
    conn = await asyncpg.connect(
        host=target.host, port=target.port, user=target.username, database=target.database
    )
    try:
        started = time.perf_counter()
        rows = 0
        async with conn.transaction():
            async for _ in conn.cursor(
                "SELECT r.*, a.target_id FROM shared_resources r "
                "JOIN shared_resource_audiences a ON a.resource_id = r.id "
                "WHERE r.deleted_at IS NULL ORDER BY r.seq",
                prefetch=1000,
            ):
                rows += 1
        return time.perf_counter() - started, rows
    finally:
        await conn.close()


async def resync(gateway: str, key: str) -> tuple[float, int]:
    async with httpx.AsyncClient(base_url=gateway, headers={"X-API-Key": key}, timeout=120) as http:
        started = time.perf_counter()
        rows, since = 0, None
        while True:
            params: dict[str, str] = {"limit": "1000"}
            if since:
                params["since"] = since
            response = await http.get("/api/v1/sync/changes", params=params)
            response.raise_for_status()
            page = response.json()
            rows += len(page["changes"])
            since = page["cursor"]
            if not page["more"]:
                return time.perf_counter() - started, rows


async def fan_out(gateway: str, reader_keys: list[str], writer_key: str) -> list[float]:
    """Milliseconds from the start of the request that shares a resource to each of the
    waiting polls' answers; one waiter per foundation (each reads for itself)."""
    limits = httpx.Limits(max_connections=WAITERS + 10, max_keepalive_connections=WAITERS + 10)
    feed = "/api/v1/sync/changes"
    async with (
        httpx.AsyncClient(base_url=gateway, timeout=60, limits=limits) as readers,
        httpx.AsyncClient(
            base_url=gateway, headers={"X-API-Key": writer_key}, timeout=60
        ) as writer,
    ):
        # Every reader sees the same public resources: one catch-up gives the head's cursor.
        first = {"X-API-Key": reader_keys[0]}
        head = (await readers.get(feed, params={"limit": "1000"}, headers=first)).json()
        since = head["cursor"]
        while head["more"]:
            params = {"since": since, "limit": "1000"}
            head = (await readers.get(feed, params=params, headers=first)).json()
            since = head["cursor"]
        arrived: list[float] = []

        async def wait(key: str) -> None:
            response = await readers.get(
                feed, params={"since": since, "wait": "30"}, headers={"X-API-Key": key}
            )
            response.raise_for_status()
            assert response.json()["changes"], "a waiter timed out"
            arrived.append(time.perf_counter())

        waiters = [asyncio.create_task(wait(key)) for key in reader_keys]
        await asyncio.sleep(3)  # every waiter is in its long poll
        started = time.perf_counter()
        made = await writer.post(
            "/api/v1/shared-resources",
            json={"kind": "guide", "title": "new", "language": "en", "visibility": "public"},
        )
        made.raise_for_status()
        await asyncio.gather(*waiters)
    return sorted((t - started) * 1000 for t in arrived)


async def main(count: int) -> None:
    pg = Postgres()
    processes: list[Process] = []
    try:
        urls = {
            name: await pg.create(name) for name in ("gateway", "network", "donations", "partners")
        }
        for app in APPS:
            await asyncio.to_thread(upgrade, app.migrations, urls[app.name])
        secret = secrets.token_urlsafe(48)
        env = {k: v for k, v in os.environ.items() if not k.startswith("FNET_")}
        for app in APPS:
            env[f"{app.env_prefix}DATABASE_URL"] = urls[app.name]
            env[f"{app.env_prefix}INTERNAL_TOKEN_SECRET"] = secret
            env[f"{app.env_prefix}LOG_LEVEL"] = "WARNING"
        network_port, gateway_port = free_port(), free_port()
        env["FNET_NETWORK_BUS_URL"] = os.environ.get("FNET_BENCH_NATS_URL", "nats://127.0.0.1:4222")
        env["FNET_NETWORK_BUS_STREAM"] = f"FNET_BENCH_{secrets.token_hex(3)}"
        env["FNET_NETWORK_BUS_SUBJECT_PREFIX"] = f"fnetbench{secrets.token_hex(3)}"
        env["FNET_NETWORK_DB_POOL_SIZE"] = "20"
        env["FNET_GATEWAY_NETWORK_URL"] = f"http://127.0.0.1:{network_port}"
        env["FNET_GATEWAY_DONATIONS_URL"] = "http://127.0.0.1:9"  # unused here
        env["FNET_GATEWAY_PARTNERS_URL"] = "http://127.0.0.1:9"
        logs = Path(tempfile.mkdtemp(prefix="fnet-bench-sync-"))
        owner, reader = uuid.uuid4(), uuid.uuid4()
        waiter_keys: list[str] = []
        await seed(urls["network"], owner, count)
        processes.append(
            Process("services.network.app:create_app", network_port, env, logs / "network.log")
        )
        gateway = Process("gateway.app:create_app", gateway_port, env, logs / "gateway.log")
        processes.append(gateway)
        gateway_db = Database.from_url(urls["gateway"], pool_size=1)
        async with transaction(gateway_db, write=True) as session:
            _, reader_key = await keys.create_key(
                session, organisation_id=reader, name="reader", scopes=DEFAULT_SCOPES
            )
            _, writer_key = await keys.create_key(
                session, organisation_id=owner, name="writer", scopes=DEFAULT_SCOPES
            )
            for i in range(WAITERS):
                _, key = await keys.create_key(
                    session, organisation_id=uuid.uuid4(), name=f"waiter {i}", scopes=DEFAULT_SCOPES
                )
                waiter_keys.append(key)
        await gateway_db.dispose()

        raw_seconds, raw_rows = await raw_stream(urls["network"])
        ours_seconds, ours_rows = await resync(gateway.url, reader_key)
        print(f"full resync of {ours_rows:,} resources through the gateway: {ours_seconds:.2f} s")
        print(f"raw: one query streaming {raw_rows:,} rows:                {raw_seconds:.2f} s")
        print(f"ratio raw/resync: {raw_seconds / ours_seconds:.2f} (target >= 0.3)")
        latencies = await fan_out(gateway.url, waiter_keys, writer_key)
        p50 = latencies[len(latencies) // 2]
        p99 = latencies[int(len(latencies) * 0.99) - 1]
        print(
            f"a change reaching {len(latencies)} long-poll waiters: p50 {p50:.1f} ms, "
            f"p99 {p99:.1f} ms (targets 50, 250)"
        )
    finally:
        for process in processes:
            process.stop()
        await pg.drop_all()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 resources, not 100,000")
    asyncio.run(main(10_000 if parser.parse_args().quick else 100_000))
