"""Plain async helpers for expenses, grants and conversions, through the API (and, where
a test must set up what the API cannot yet do, straight in the database)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select, update

from kit.db import transaction
from kit.events.outbox import outbox
from kit.identity import Principal
from services.donations.campaigns.models import Campaign, CampaignStatus
from tests.services.donations.factories import create_campaign, donate
from tests.support import principal


def colleague(of: Principal, scopes: frozenset[str] | None = None) -> Principal:
    """Someone else of the same foundation (e.g. an approver)."""
    if scopes is None:
        return principal(of.organisation_id)
    return principal(of.organisation_id, scopes=scopes)


async def funded_campaign(
    client: httpx.AsyncClient, amount: str = "1000.00", *, currency: str = "CNY", **extra: Any
) -> dict[str, Any]:
    """A campaign in ``currency`` holding ``amount`` of it, given by one donation."""
    campaign = await create_campaign(client, currency=currency, **extra)
    response = await donate(client, campaign["id"], amount, currency=currency)
    assert response.status_code == 201, response.text
    return campaign


async def submit_expense(
    client: httpx.AsyncClient,
    campaign_id: str,
    amount: str = "100.00",
    *,
    currency: str = "CNY",
    category: str = "transport",
    key: str | None = None,
    **extra: Any,
) -> httpx.Response:
    body = {
        "category": category,
        "payee": "深圳市顺达货运 Shunda Freight",
        "description": "Van hire to bring masks to the community stations",
        "amount": {"amount": amount, "currency": currency},
        **extra,
    }
    headers = {"Idempotency-Key": key} if key else {}
    return await client.post(
        f"/api/v1/campaigns/{campaign_id}/expenses", json=body, headers=headers
    )


async def submitted(client: httpx.AsyncClient, campaign_id: str, amount: str = "100.00") -> str:
    response = await submit_expense(client, campaign_id, amount)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def decide(
    client: httpx.AsyncClient,
    campaign_id: str,
    expense_id: str,
    action: str,
    *,
    note: str | None = None,
    if_match: str | None = None,
    key: str | None = None,
) -> httpx.Response:
    """``action`` is approve, reject or pay."""
    headers = {}
    if if_match is not None:
        headers["If-Match"] = if_match
    if key is not None:
        headers["Idempotency-Key"] = key
    body: dict[str, Any] | None = None
    if action == "reject":
        body = {"note": "no receipt" if note is None else note}
    elif action == "approve":
        body = {} if note is None else {"note": note}
    return await client.post(
        f"/api/v1/campaigns/{campaign_id}/expenses/{expense_id}/{action}",
        json=body,
        headers=headers,
    )


async def get_expense(client: httpx.AsyncClient, campaign_id: str, expense_id: str) -> Any:
    response = await client.get(f"/api/v1/campaigns/{campaign_id}/expenses/{expense_id}")
    assert response.status_code == 200, response.text
    return response.json()


async def receive_grant(
    client: httpx.AsyncClient,
    amount: str,
    *,
    currency: str = "CNY",
    campaign_id: str | None = None,
    key: str | None = None,
    **extra: Any,
) -> httpx.Response:
    body = {
        "grantor": "深圳市社会公益基金会",
        "programme": "溪流计划专项资金",
        "purpose": "Epidemic prevention supplies",
        "amount": {"amount": amount, "currency": currency},
        "campaign_id": campaign_id,
        **extra,
    }
    headers = {"Idempotency-Key": key} if key else {}
    return await client.post("/api/v1/grants/received", json=body, headers=headers)


async def pay_grant(
    client: httpx.AsyncClient,
    amount: str,
    *,
    currency: str = "CNY",
    campaign_id: str | None = None,
    partner_organisation_id: str | None = None,
    key: str | None = None,
    **extra: Any,
) -> httpx.Response:
    body = {
        "partner_organisation_id": partner_organisation_id or str(uuid.uuid4()),
        "campaign_id": campaign_id,
        "purpose": "Online community radio, three months",
        "amount": {"amount": amount, "currency": currency},
        **extra,
    }
    headers = {"Idempotency-Key": key} if key else {}
    return await client.post("/api/v1/grants/paid", json=body, headers=headers)


async def convert(
    client: httpx.AsyncClient,
    amount: str,
    currency: str,
    to_currency: str,
    rate: Any,
    *,
    fund_id: str | None = None,
    key: str | None = None,
    **extra: Any,
) -> httpx.Response:
    body: dict[str, Any] = {
        "from": {"amount": amount, "currency": currency},
        "to_currency": to_currency,
        "rate": rate,
        "rate_source": "中国人民银行 central parity",
        "rate_date": "2020-02-03",
        **extra,
    }
    if fund_id is not None:
        body["fund_id"] = fund_id
    headers = {"Idempotency-Key": key} if key else {}
    return await client.post("/api/v1/ledger/conversions", json=body, headers=headers)


async def held(client: httpx.AsyncClient, campaign_id: str) -> dict[str, str]:
    """What the campaign holds, per currency."""
    response = await client.get(f"/api/v1/campaigns/{campaign_id}")
    assert response.status_code == 200, response.text
    return {m["currency"]: m["amount"] for m in response.json()["held"]}


async def ledger_state(client: httpx.AsyncClient) -> tuple[bool, int]:
    """(the chain verifies, number of journal entries)."""
    response = await client.get("/api/v1/ledger/verify")
    assert response.status_code == 200, response.text
    body = response.json()
    return body["valid"], body["entries"]


async def fund_balance(client: httpx.AsyncClient, fund_id: str, account: str) -> dict[str, str]:
    """A fund's balance of ``account`` per currency, from the trial balance."""
    response = await client.get("/api/v1/ledger/trial-balance")
    assert response.status_code == 200, response.text
    return {
        row["balance"]["currency"]: row["balance"]["amount"]
        for row in response.json()["rows"]
        if row["fund_id"] == fund_id and row["account"] == account
    }


async def set_campaign_status(app: FastAPI, campaign_id: str, status: CampaignStatus) -> None:
    """Move a campaign to ``status`` in the database (for states the API cannot reach yet)."""
    async with transaction(app.state.database, write=True) as session:
        await session.execute(
            update(Campaign).where(Campaign.id == uuid.UUID(campaign_id)).values(status=status)
        )


async def outbox_events(app: FastAPI, event_type: str) -> list[Any]:
    async with transaction(app.state.database, write=False) as session:
        rows = await session.execute(
            select(outbox.c.payload, outbox.c.foundation_id)
            .where(outbox.c.type == event_type)
            .order_by(outbox.c.seq)
        )
        return list(rows.all())


async def outbox_count(app: FastAPI) -> int:
    async with transaction(app.state.database, write=False) as session:
        return int((await session.scalar(select(func.count()).select_from(outbox))) or 0)
