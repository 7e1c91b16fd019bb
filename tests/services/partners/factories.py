"""Plain async helpers that make test data through the API."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from kit.db import transaction
from kit.events import Event, outbox
from kit.events.outbox import row_to_event
from kit.identity import Principal, PrincipalKind, Scope


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


def partner_key(foundation: Principal, partner_id: str | uuid.UUID) -> Principal:
    """A partner organisation's key, of ``foundation``'s partner ``partner_id``, with the
    scopes the gateway gives partner keys (and, to show that the kind decides, contacts)."""
    return Principal(
        subject=f"partner-key-{partner_id}",
        organisation_id=foundation.organisation_id,
        scopes=frozenset({Scope.PARTNERS_READ, Scope.PARTNERS_WRITE, Scope.PARTNER_CONTACTS_READ}),
        kind=PrincipalKind.PARTNER,
        partner_id=uuid.UUID(str(partner_id)),
    )


async def outbox_events(app: FastAPI, event_type: str) -> list[Event]:
    async with transaction(app.state.database, write=False) as session:
        rows = await session.execute(
            select(outbox).where(outbox.c.type == event_type).order_by(outbox.c.seq)
        )
        return [row_to_event(r) for r in rows]


async def create_collaboration(
    client: httpx.AsyncClient, partner_ids: list[str], **extra: Any
) -> dict[str, Any]:
    body = {
        "title": "线上社区电台 Online community radio",
        "area": "亲子教育 parent education",
        "starts_on": "2020-02-10",
        "ends_on": "2020-06-30",
        "partner_ids": partner_ids,
        **extra,
    }
    response = await client.post("/api/v1/collaborations", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def move(
    client: httpx.AsyncClient, collaboration: dict[str, Any], status: str
) -> httpx.Response:
    """Move the collaboration as last read (its version as If-Match)."""
    return await client.post(
        f"/api/v1/collaborations/{collaboration['id']}/status",
        json={"status": status},
        headers={"If-Match": f'"{collaboration["version"]}"'},
    )
