"""Plain async helpers that make test data through the API, shared by every area's tests.

Area-specific helpers live beside them: ``factories_donations`` (refunds, receipts, CSV
imports), ``factories_supplies`` and ``factories_spending`` (expenses, grants, conversions,
and :func:`~tests.services.donations.factories_spending.settle`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select, update

from kit.db import transaction
from kit.events import Event
from kit.events.outbox import outbox, row_to_event
from kit.identity import Principal
from services.donations.campaigns.models import Campaign
from services.donations.donations import integration
from services.donations.log.sequencer import integrate_everything
from tests.support import client_for, principal


def money(amount: str, currency: str = "CNY") -> dict[str, str]:
    return {"amount": amount, "currency": currency}


def colleague(of: Principal, scopes: frozenset[str] | None = None) -> Principal:
    """Someone else of the same foundation (e.g. an approver)."""
    if scopes is None:
        return principal(of.organisation_id)
    return principal(of.organisation_id, scopes=scopes)


def public_client(app: FastAPI) -> httpx.AsyncClient:
    """A client with no identity at all, as the gateway forwards a public request. A
    campaign's report counts the entries of the log's latest head, which takes what was
    just recorded well under a second later: this client reads a report as a reader that
    moment later would, with everything recorded so far integrated first."""
    client = client_for(app, None)

    async def settle_first(request: httpx.Request) -> None:
        if "/report" in request.url.path:
            await integrated(app)

    client.event_hooks["request"].append(settle_first)
    return client


async def integrated(app: FastAPI) -> int:
    """Integrate every entry recorded so far into the log, as the app's sequencer does
    within its interval; answers how many."""
    async with transaction(app.state.database, write=True) as session:
        return await integrate_everything(session, app.state.log_signer, steps=integration.STEPS)


# Campaigns


async def create_campaign(
    client: httpx.AsyncClient,
    *,
    title: str = "Epidemic mutual-aid fundraising, phase 1",
    goal: str = "20000.00",
    currency: str = "CNY",
    **extra: Any,
) -> dict[str, Any]:
    """A campaign (open unless ``status="draft"`` is among ``extra``)."""
    response = await client.post(
        "/api/v1/campaigns",
        json={"title": title, "goal": {"amount": goal, "currency": currency}, **extra},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def donate(
    client: httpx.AsyncClient,
    campaign_id: str,
    amount: str,
    *,
    currency: str = "CNY",
    key: str | None = None,
    **extra: Any,
) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key else {}
    return await client.post(
        f"/api/v1/campaigns/{campaign_id}/donations",
        json={"amount": {"amount": amount, "currency": currency}, **extra},
        headers=headers,
    )


async def funded_campaign(
    client: httpx.AsyncClient, amount: str = "1000.00", *, currency: str = "CNY", **extra: Any
) -> dict[str, Any]:
    """A campaign in ``currency`` holding ``amount`` of it, given by one donation."""
    campaign = await create_campaign(client, currency=currency, **extra)
    response = await donate(client, campaign["id"], amount, currency=currency)
    assert response.status_code == 201, response.text
    return campaign


async def transition(
    client: httpx.AsyncClient,
    campaign_id: str,
    to: str,
    *,
    key: str | None = None,
    if_match: str | None = None,
) -> httpx.Response:
    headers = {}
    if key is not None:
        headers["Idempotency-Key"] = key
    if if_match is not None:
        headers["If-Match"] = if_match
    return await client.post(
        f"/api/v1/campaigns/{campaign_id}/transitions", json={"to": to}, headers=headers
    )


async def move_to(client: httpx.AsyncClient, campaign_id: str, *states: str) -> dict[str, Any]:
    """Take the campaign through ``states`` in order; the last answer's body."""
    body: dict[str, Any] = {}
    for state in states:
        response = await transition(client, campaign_id, state)
        assert response.status_code == 200, response.text
        body = response.json()
    return body


async def read_campaign(client: httpx.AsyncClient, campaign_id: str) -> httpx.Response:
    response = await client.get(f"/api/v1/campaigns/{campaign_id}")
    assert response.status_code == 200, response.text
    return response


async def patch_campaign(
    client: httpx.AsyncClient, campaign_id: str, body: dict[str, Any], *, if_match: str | None
) -> httpx.Response:
    """PATCH with ``if_match`` as the If-Match header (none when None)."""
    headers = {"If-Match": if_match} if if_match is not None else {}
    return await client.patch(f"/api/v1/campaigns/{campaign_id}", json=body, headers=headers)


async def edit(client: httpx.AsyncClient, campaign_id: str, body: dict[str, Any]) -> httpx.Response:
    """PATCH based on a fresh read of the campaign."""
    etag = (await read_campaign(client, campaign_id)).headers["etag"]
    return await patch_campaign(client, campaign_id, body, if_match=etag)


async def closed_in_the_past(
    client: httpx.AsyncClient, app: FastAPI, campaign_id: str, closed_at: dt.datetime
) -> None:
    """Close the campaign through the API, then move its recorded close back to
    ``closed_at``. The API records a close at the time it happens; tests of disclosure
    periods need one that happened months ago, which only a direct write can give."""
    await move_to(client, campaign_id, "closed")
    async with transaction(app.state.database, write=True) as session:
        await session.execute(
            update(Campaign)
            .where(Campaign.id == uuid.UUID(campaign_id))
            .values(closed_at=closed_at)
        )


async def held(client: httpx.AsyncClient, campaign_id: str) -> dict[str, str]:
    """What the campaign holds, per currency."""
    response = await read_campaign(client, campaign_id)
    return {m["currency"]: m["amount"] for m in response.json()["held"]}


# The ledger and the outbox


async def ledger_state(client: httpx.AsyncClient) -> dict[str, Any]:
    """The foundation's chain as ``/ledger/verify`` reports it (valid, entries, head_hash...)."""
    verify = await client.get("/api/v1/ledger/verify")
    assert verify.status_code == 200, verify.text
    body: dict[str, Any] = verify.json()
    return body


async def verified_entries(client: httpx.AsyncClient) -> int:
    """How many journal entries the foundation's chain holds, after checking it verifies."""
    state = await ledger_state(client)
    assert state["valid"], state
    count: int = state["entries"]
    return count


async def trial_balance(
    client: httpx.AsyncClient, fund_id: str
) -> dict[tuple[str, str], dict[str, Any]]:
    """The trial balance's rows of one fund, by (account, currency), and the chain's head
    under ``("head", "")``."""
    response = await client.get("/api/v1/ledger/trial-balance")
    assert response.status_code == 200, response.text
    body = response.json()
    rows = {
        (r["account"], r["balance"]["currency"]): r for r in body["rows"] if r["fund_id"] == fund_id
    }
    return {**rows, ("head", ""): {"seq": body["head_seq"], "hash": body["head_hash"]}}


async def fund_balance(client: httpx.AsyncClient, fund_id: str, account: str) -> dict[str, str]:
    """A fund's balance of ``account`` per currency, from the trial balance."""
    rows = await trial_balance(client, fund_id)
    return {
        currency: row["balance"]["amount"]
        for (name, currency), row in rows.items()
        if name == account
    }


async def outbox_events(app: FastAPI, event_type: str) -> list[Event]:
    async with transaction(app.state.database, write=False) as session:
        rows = await session.execute(
            select(outbox).where(outbox.c.type == event_type).order_by(outbox.c.seq)
        )
        return [row_to_event(r) for r in rows]


async def outbox_count(app: FastAPI) -> int:
    async with transaction(app.state.database, write=False) as session:
        return int((await session.scalar(select(func.count()).select_from(outbox))) or 0)
