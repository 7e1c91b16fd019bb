"""Plain async helpers for supplies tests: in-kind donations, purchases, distributions, and
snapshots of what a campaign holds (to show that a refused request changed nothing)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.services.donations.factories import held, money, verified_entries


def buy_line(
    item: str, unit: str, quantity: Any, price: str, currency: str = "CNY"
) -> dict[str, Any]:
    return {"item": item, "unit": unit, "quantity": quantity, "unit_price": money(price, currency)}


def give_line(item: str, unit: str, quantity: Any) -> dict[str, Any]:
    return {"item": item, "unit": unit, "quantity": quantity}


def _headers(key: str | None) -> dict[str, str]:
    return {"Idempotency-Key": key} if key else {}


async def receive_in_kind(
    client: httpx.AsyncClient,
    campaign_id: str,
    *,
    item: str = "medical mask",
    unit: str = "piece",
    quantity: Any = 100,
    fair_value: dict[str, str] | None = None,
    key: str | None = None,
    **extra: Any,
) -> httpx.Response:
    body: dict[str, Any] = {"item": item, "unit": unit, "quantity": quantity, **extra}
    if fair_value is not None:
        body["fair_value"] = fair_value
    return await client.post(
        f"/api/v1/campaigns/{campaign_id}/in-kind-donations", json=body, headers=_headers(key)
    )


async def buy(
    client: httpx.AsyncClient,
    campaign_id: str,
    lines: list[dict[str, Any]],
    *,
    supplier: str = "深圳某医疗器械有限公司",
    key: str | None = None,
    **extra: Any,
) -> httpx.Response:
    return await client.post(
        f"/api/v1/campaigns/{campaign_id}/purchases",
        json={"supplier": supplier, "lines": lines, **extra},
        headers=_headers(key),
    )


async def distribute(
    client: httpx.AsyncClient,
    campaign_id: str,
    lines: list[dict[str, Any]],
    *,
    recipient: str = "蛇口社区",
    kind: str = "community",
    key: str | None = None,
    **extra: Any,
) -> httpx.Response:
    return await client.post(
        f"/api/v1/campaigns/{campaign_id}/distributions",
        json={"recipient": {"name": recipient, "kind": kind}, "lines": lines, **extra},
        headers=_headers(key),
    )


async def stock(client: httpx.AsyncClient, campaign_id: str) -> dict[tuple[str, str], Any]:
    """The campaign's stock as {(item, unit): (quantity, value amount)}."""
    response = await client.get(f"/api/v1/campaigns/{campaign_id}/stock", params={"limit": 200})
    assert response.status_code == 200, response.text
    return {
        (i["item"], i["unit"]): (i["quantity"], i["value"]["amount"])
        for i in response.json()["items"]
    }


async def snapshot(client: httpx.AsyncClient, campaign_id: str) -> dict[str, Any]:
    """Everything a refused supplies request must leave as it was."""
    records = {}
    for kind in ("in-kind-donations", "purchases", "distributions"):
        page = await client.get(f"/api/v1/campaigns/{campaign_id}/{kind}")
        records[kind] = [r["id"] for r in page.json()["items"]]
    return {
        "stock": await stock(client, campaign_id),
        "held": await held(client, campaign_id),
        "entries": await verified_entries(client),
        "records": records,
    }
