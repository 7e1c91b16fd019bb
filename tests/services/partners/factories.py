"""Plain async helpers that make test data through the API."""

from __future__ import annotations

from typing import Any

import httpx


async def add_partner(
    client: httpx.AsyncClient,
    *,
    name: str = "妈妈幸福学习园",
    kind: str = "social_organisation",
    key: str | None = None,
    **extra: Any,
) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key else {}
    return await client.post(
        "/api/v1/partners", json={"name": name, "kind": kind, **extra}, headers=headers
    )


async def create_partner(
    client: httpx.AsyncClient,
    *,
    name: str = "妈妈幸福学习园",
    kind: str = "social_organisation",
    **extra: Any,
) -> dict[str, Any]:
    response = await add_partner(client, name=name, kind=kind, **extra)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body
