"""Under more concurrent requests than pooled connections, a service keeps to its pool (no
connection opened and closed per request) and answers each request 200 or, when no
connection frees up in time, 503 with Retry-After: never a 500, never a hang."""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from kit.db import Database
from kit.events import InMemoryBus
from services.donations.app import create_app
from services.donations.settings import DonationsSettings
from tests.services.donations.factories import create_campaign
from tests.support import BACKENDS, POSTGRES_URL, TEST_SECRET, client_for, principal, running

CONCURRENT = 200
# What the service's connections call themselves in pg_stat_activity, in this test only.
APPLICATION = f"fnet-pool-test-{secrets.token_hex(4)}"

pytestmark = pytest.mark.parametrize("backend", [b for b in BACKENDS if b == "postgresql"])


@asynccontextmanager
async def service(
    database_url: str, *, pool_size: int, pool_timeout: float
) -> AsyncIterator[FastAPI]:
    settings = DonationsSettings(
        database_url=database_url,
        internal_token_secret=TEST_SECRET,
        json_logs=False,
        db_pool_size=pool_size,
        db_pool_timeout_seconds=pool_timeout,
    )
    # The app on a pool of the test's own, named apart: connections that other tests'
    # apps may still hold in this database never count.
    database = Database.from_url(
        database_url,
        pool_size=pool_size,
        pool_timeout=pool_timeout,
        application_name=APPLICATION,
    )
    bus = InMemoryBus()
    try:
        async with running(create_app(settings, database=database, bus=bus)) as app:
            yield app
    finally:
        await bus.close()
        await database.dispose()


async def _admin() -> asyncpg.Connection:
    assert POSTGRES_URL is not None
    admin = make_url(POSTGRES_URL)
    return await asyncpg.connect(
        host=admin.host, port=admin.port, user=admin.username, database=admin.database
    )


async def server_now() -> dt.datetime:
    conn = await _admin()
    try:
        now: dt.datetime = await conn.fetchval("SELECT clock_timestamp()")
        return now
    finally:
        await conn.close()


@asynccontextmanager
async def peak_connections(database_url: str, since: dt.datetime) -> AsyncIterator[list[int]]:
    """Samples the number of the service's connections to the database (those opened
    since ``since``, taken before the service started: whatever earlier tests left open
    does not count) while the block runs; the list yielded holds the highest seen once
    the block is over."""
    conn = await _admin()
    peak = [0]
    name = make_url(database_url).database

    async def sample() -> None:
        while True:
            count = await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1"
                " AND backend_start >= $2 AND application_name = $3",
                name,
                since,
                APPLICATION,
            )
            peak[0] = max(peak[0], int(count))
            await asyncio.sleep(0.005)

    sampler = asyncio.create_task(sample())
    try:
        yield peak
    finally:
        sampler.cancel()
        await asyncio.gather(sampler, return_exceptions=True)
        await conn.close()


async def _burst(client: httpx.AsyncClient, path: str) -> list[httpx.Response]:
    return await asyncio.gather(*(client.get(path) for _ in range(CONCURRENT)))


async def test_many_concurrent_reads_stay_within_the_pool(database_url: str, backend: str) -> None:
    pool_size = 4
    since = await server_now()
    async with (
        service(database_url, pool_size=pool_size, pool_timeout=5.0) as app,
        client_for(app, principal()) as client,
    ):
        campaign = await create_campaign(client)
        path = f"/api/v1/campaigns/{campaign['id']}/donations?limit=1"
        async with peak_connections(database_url, since) as peak:
            answers = await _burst(client, path)

    statuses = [r.status_code for r in answers]
    assert set(statuses) <= {200, 503}, sorted(set(statuses))
    assert statuses.count(200) > CONCURRENT // 2
    assert 0 < peak[0] <= pool_size


async def test_a_request_without_a_connection_in_time_is_503_with_retry_after(
    database_url: str, backend: str
) -> None:
    since = await server_now()
    async with (
        service(database_url, pool_size=2, pool_timeout=0.05) as app,
        client_for(app, principal()) as client,
    ):
        campaign = await create_campaign(client)
        path = f"/api/v1/campaigns/{campaign['id']}/donations?limit=1"
        async with peak_connections(database_url, since) as peak:
            answers = await _burst(client, path)

    statuses = [r.status_code for r in answers]
    assert set(statuses) == {200, 503}, sorted(set(statuses))
    refused = next(r for r in answers if r.status_code == 503)
    assert refused.headers["retry-after"] == "1"
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["status"] == 503
    assert peak[0] <= 2
