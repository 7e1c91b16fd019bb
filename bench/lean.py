"""The lean baseline: plain FastAPI and one asyncpg pool, doing the donations service's hot
work and nothing else (no auth, no middleware, no ORM, no idempotency, no ledger).

- ``GET /api/v1/campaigns/{id}/donations?limit=`` runs the statements the service runs for
  the same read: the campaign, by id and foundation; then the page of its donations,
  newest first, one row more than asked.
- ``POST /api/v1/campaigns/{id}/donations`` inserts one row into a table of its own
  (``lean_donations``, made at start-up) and answers it.

Run by ``bench/gateway.py`` as a uvicorn process (``bench.lean:create_app --factory``) on the
service's database, reading ``FNET_LEAN_DSN`` (an asyncpg DSN) and ``FNET_LEAN_FOUNDATION_ID``
(the foundation the bench's campaign belongs to). Never part of the product.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

import asyncpg
from fastapi import FastAPI, HTTPException, Request

_CAMPAIGN = (
    "SELECT id, foundation_id, title, status, goal_minor, currency, starts_at, ends_at"
    " FROM campaigns WHERE id = $1 AND foundation_id = $2"
)
_PAGE = (
    "SELECT id, campaign_id, amount_minor, currency, refunded_minor, channel, external_id,"
    " donor_name, anonymous, donated_at, receipt_number, entry_id, created_at"
    " FROM donations WHERE campaign_id = $1 ORDER BY id DESC LIMIT $2"
)
_TABLE = (
    "CREATE TABLE IF NOT EXISTS lean_donations (id uuid PRIMARY KEY, campaign_id uuid NOT NULL,"
    " amount_minor bigint NOT NULL, currency char(3) NOT NULL,"
    " donated_at timestamptz NOT NULL DEFAULT now())"
)
_INSERT = (
    "INSERT INTO lean_donations (id, campaign_id, amount_minor, currency)"
    " VALUES ($1, $2, $3, $4) RETURNING donated_at"
)


def _money(minor: int, currency: str) -> dict[str, str]:
    return {"amount": str(Decimal(minor).scaleb(-2)), "currency": currency}


def create_app() -> FastAPI:
    dsn = os.environ["FNET_LEAN_DSN"]
    foundation_id = uuid.UUID(os.environ["FNET_LEAN_FOUNDATION_ID"])
    pool_size = int(os.environ.get("FNET_LEAN_POOL_SIZE", "20"))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = await asyncpg.create_pool(dsn, min_size=pool_size, max_size=pool_size)
        async with pool.acquire() as conn:
            await conn.execute(_TABLE)
        app.state.pool = pool
        yield
        await pool.close()

    app = FastAPI(lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/api/v1/campaigns/{campaign_id}/donations")
    async def list_donations(
        campaign_id: uuid.UUID, request: Request, limit: int = 50
    ) -> dict[str, Any]:
        pool: asyncpg.Pool = request.app.state.pool
        async with pool.acquire() as conn:
            if await conn.fetchrow(_CAMPAIGN, campaign_id, foundation_id) is None:
                raise HTTPException(404)
            rows = await conn.fetch(_PAGE, campaign_id, limit + 1)
        items = [
            {
                "id": r["id"],
                "campaign_id": r["campaign_id"],
                "amount": _money(r["amount_minor"], r["currency"]),
                "refunded": _money(r["refunded_minor"], r["currency"]),
                "channel": r["channel"],
                "external_id": r["external_id"],
                "donor_name": r["donor_name"],
                "anonymous": r["anonymous"],
                "donated_at": r["donated_at"],
                "receipt_number": r["receipt_number"],
                "entry_id": r["entry_id"],
                "created_at": r["created_at"],
            }
            for r in rows[:limit]
        ]
        return {"items": items, "next_cursor": str(rows[-1]["id"]) if len(rows) > limit else None}

    @app.post("/api/v1/campaigns/{campaign_id}/donations", status_code=201)
    async def record_donation(campaign_id: uuid.UUID, request: Request) -> dict[str, Any]:
        body = await request.json()
        amount = Decimal(body["amount"]["amount"])
        currency = str(body["amount"]["currency"])
        donation_id = uuid.uuid4()
        pool: asyncpg.Pool = request.app.state.pool
        async with pool.acquire() as conn:
            donated_at = await conn.fetchval(
                _INSERT, donation_id, campaign_id, int(amount.scaleb(2)), currency
            )
        return {
            "id": donation_id,
            "campaign_id": campaign_id,
            "amount": _money(int(amount.scaleb(2)), currency),
            "donated_at": donated_at,
        }

    return app
