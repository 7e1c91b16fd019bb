"""Plain async helpers that make test data through the API."""

from __future__ import annotations

import secrets
from typing import Any

import httpx


def unique_slug(prefix: str = "cf") -> str:
    """A slug no other test uses, for data that outlives the test (committing apps)."""
    return f"{prefix}-{secrets.token_hex(4)}"


async def register(
    client: httpx.AsyncClient,
    *,
    slug: str = "shekou-community-foundation",
    name: str = "蛇口社区基金会",
    key: str | None = None,
    **extra: Any,
) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key else {}
    return await client.post(
        "/api/v1/foundations", json={"slug": slug, "name": name, **extra}, headers=headers
    )


async def create_foundation(
    client: httpx.AsyncClient,
    *,
    slug: str = "shekou-community-foundation",
    name: str = "蛇口社区基金会",
    **extra: Any,
) -> dict[str, Any]:
    response = await register(client, slug=slug, name=name, **extra)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def create_network(
    client: httpx.AsyncClient, *, name: str = "珠三角社区基金会行动网络", **extra: Any
) -> dict[str, Any]:
    response = await client.post("/api/v1/networks", json={"name": name, **extra})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def join(
    network_id: str, member: httpx.AsyncClient, coordinator: httpx.AsyncClient, member_id: str
) -> None:
    """``member`` asks to join and ``coordinator`` accepts."""
    asked = await member.post(f"/api/v1/networks/{network_id}/join-requests")
    assert asked.status_code == 201, asked.text
    accepted = await coordinator.post(f"/api/v1/networks/{network_id}/members/{member_id}/accept")
    assert accepted.status_code == 200, accepted.text


async def pair(a: httpx.AsyncClient, b: httpx.AsyncClient, b_id: str) -> dict[str, Any]:
    """An active pairing: ``a`` proposes, ``b`` accepts."""
    proposed = await a.post("/api/v1/pairings", json={"partner_id": b_id})
    assert proposed.status_code == 201, proposed.text
    accepted = await b.post(f"/api/v1/pairings/{proposed.json()['id']}/accept")
    assert accepted.status_code == 200, accepted.text
    body: dict[str, Any] = accepted.json()
    return body


GROCERY_GUIDE: dict[str, Any] = {
    "kind": "guide",
    "title": "蛇口买菜攻略",
    "body": "## 蛇口买菜攻略\n\nWhere residents can buy groceries during the epidemic.",
    "language": "zh-CN",
    "tags": ["epidemic", "groceries"],
    "attachments": [
        {
            "name": "map.pdf",
            "url": "https://files.skcf.org.cn/map.pdf",
            "sha256": "ab" * 32,
            "media_type": "application/pdf",
            "size": 1234,
        }
    ],
}


async def share(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/shared-resources", json={**GROCERY_GUIDE, **fields})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body
