"""A service whose database connections are cut (a PostgreSQL restart or failover) answers
at most one request per cut connection with a 503 problem, and serves the next ones."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from tests.services.donations.factories import create_campaign
from tests.support import BACKENDS, POSTGRES_URL, client_for, principal


async def _terminate_connections_to(database_url: str) -> int:
    """Cut every connection to the service's database, as a server restart would."""
    assert POSTGRES_URL is not None
    admin = make_url(POSTGRES_URL)
    conn = await asyncpg.connect(
        host=admin.host, port=admin.port, user=admin.username, database=admin.database
    )
    try:
        rows = await conn.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = $1 AND pid <> pg_backend_pid()",
            make_url(database_url).database,
        )
        return len(rows)
    finally:
        await conn.close()


# SQLite has no connections to cut; CI always gives PostgreSQL, so this always runs there.
@pytest.mark.parametrize("backend", [b for b in BACKENDS if b == "postgresql"])
async def test_cut_connections_cost_at_most_one_503(
    committing_app: FastAPI, database_url: str, backend: str
) -> None:
    async with client_for(committing_app, principal()) as client:
        campaign = await create_campaign(client)
        # Several pooled connections at once, so that the cut hits more than one.
        reads = await asyncio.gather(
            *(client.get(f"/api/v1/campaigns/{campaign['id']}") for _ in range(8))
        )
        assert {r.status_code for r in reads} == {200}
        assert await _terminate_connections_to(database_url) >= 2

        statuses = [
            (await client.get(f"/api/v1/campaigns/{campaign['id']}")).status_code for _ in range(10)
        ]

    assert statuses.count(503) <= 1, statuses
    assert set(statuses) <= {200, 503}
    assert statuses[-1] == 200
