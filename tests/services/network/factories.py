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
