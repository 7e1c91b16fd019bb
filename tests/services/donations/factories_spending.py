"""Plain async helpers for expenses, grants and conversions, through the API."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import httpx

from tests.services.donations.factories import held, move_to
from tests.services.donations.factories_partners import partner_of
from tests.services.donations.factories_supplies import distribute, give_line, stock


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
    announce: bool = True,
    **extra: Any,
) -> httpx.Response:
    """Pay a grant; the partner (a new one unless named) is first made known to the
    donations service as the partners service would, unless ``announce`` is false."""
    partner = partner_organisation_id or str(uuid.uuid4())
    if announce:
        await partner_of(client, partner)
    body = {
        "partner_organisation_id": partner,
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


async def paid_expense(
    client: httpx.AsyncClient,
    approver: httpx.AsyncClient,
    campaign_id: str,
    amount: str,
    *,
    category: str = "transport",
) -> dict[str, Any]:
    """An expense submitted by ``client``, approved by ``approver`` (a colleague) and paid."""
    response = await submit_expense(client, campaign_id, amount, category=category)
    assert response.status_code == 201, response.text
    expense_id = response.json()["id"]
    for who, action in ((approver, "approve"), (client, "pay")):
        response = await decide(who, campaign_id, expense_id, action)
        assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def settle(client: httpx.AsyncClient, campaign_id: str) -> None:
    """Settle the campaign through the API: give out the goods it holds, pay what money it
    holds to a partner as grants (a campaign holding either cannot settle), then close it
    if open, and settle it. A campaign holding a currency other than its own cannot be
    emptied this way: convert that first."""
    left = [
        give_line(item, unit, q)
        for (item, unit), (q, _) in (await stock(client, campaign_id)).items()
        if q
    ]
    if left:
        response = await distribute(client, campaign_id, left, recipient="招商街道")
        assert response.status_code == 201, response.text
    for currency, amount in (await held(client, campaign_id)).items():
        if Decimal(amount) == 0:
            continue
        response = await pay_grant(client, amount, currency=currency, campaign_id=campaign_id)
        assert response.status_code == 201, response.text
    status = (await client.get(f"/api/v1/campaigns/{campaign_id}")).json()["status"]
    await move_to(client, campaign_id, *(["closed"] if status == "open" else []), "settled")
