"""Plain async helpers that make test data through the API."""

from __future__ import annotations

from typing import Any

import httpx


async def create_campaign(
    client: httpx.AsyncClient,
    *,
    title: str = "Epidemic mutual-aid fundraising, phase 1",
    goal: str = "20000.00",
    currency: str = "CNY",
    **extra: Any,
) -> dict[str, Any]:
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
