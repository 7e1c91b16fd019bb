"""Helpers for campaign lifecycles, through the API."""

from __future__ import annotations

from typing import Any

import httpx


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
