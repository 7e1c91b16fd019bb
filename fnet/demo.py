"""Loads the story's demo data into a running system, through the apps' HTTP APIs.

Loading twice adds nothing twice: foundations are found by slug, keys are reused from the
credentials file while they still work, and every create carries an Idempotency-Key.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import httpx

from fnet import story
from gateway.keys import service as keys
from kit.db import Database, transaction
from kit.identity import DEFAULT_SCOPES, IDENTITY_HEADER, Principal, Scope, TokenSigner

CREDENTIALS_FILE = "demo-credentials.json"
# The demo registers foundations in the directory as the network operator would.
OPERATOR = Principal(
    subject="fnet-demo",
    organisation_id=uuid.UUID(int=0),
    scopes=frozenset({Scope.DIRECTORY_ADMIN, Scope.FOUNDATIONS_READ}),
)


class DemoError(RuntimeError):
    pass


def _check(response: httpx.Response, *ok: int) -> dict[str, Any]:
    if response.status_code not in ok:
        raise DemoError(
            f"{response.request.method} {response.request.url} answered "
            f"{response.status_code}: {response.text[:500]}"
        )
    body: dict[str, Any] = response.json()
    return body


async def _ensure_foundation(network: httpx.AsyncClient, f: story.DemoFoundation) -> str:
    found = _check(await network.get("/api/v1/foundations", params={"slug": f.slug}), 200)
    if found["items"]:
        return str(found["items"][0]["id"])
    created = _check(
        await network.post(
            "/api/v1/foundations",
            json={
                "slug": f.slug,
                "name": f.name,
                "name_en": f.name_en,
                "city": f.city,
                "region": f.region or None,
                "description": f.description,
                "public_fundraising_licence": f.public_fundraising_licence,
            },
            headers={"Idempotency-Key": f"demo:foundation:{f.slug}"},
        ),
        201,
    )
    return str(created["id"])


async def _ensure_key(
    gateway_db: Database, slug: str, foundation_id: str, previous: dict[str, Any]
) -> str:
    async with transaction(gateway_db, write=True) as session:
        old = previous.get(slug, {})
        if old.get("id") == foundation_id and old.get("api_key"):
            principal = await keys.authenticate(session, old["api_key"])
            if principal is not None and str(principal.organisation_id) == foundation_id:
                return str(old["api_key"])
        _, plaintext = await keys.create_key(
            session,
            organisation_id=uuid.UUID(foundation_id),
            name=f"demo key for {slug}",
            scopes=DEFAULT_SCOPES,
        )
        return plaintext


async def _ensure_phase_1(api: httpx.AsyncClient) -> dict[str, Any]:
    campaign = _check(
        await api.post(
            "/api/v1/campaigns",
            json={
                "title": story.PHASE_1_TITLE,
                "purpose": story.PHASE_1_PURPOSE,
                "goal": {"amount": story.PHASE_1_GOAL, "currency": "CNY"},
                "starts_at": story.PHASE_1_START.isoformat(),
            },
            headers={"Idempotency-Key": "demo:campaign:phase-1"},
        ),
        201,
    )
    # A replayed create answers as the campaign was then; read its totals as they are now.
    current = _check(await api.get(f"/api/v1/campaigns/{campaign['id']}"), 200)
    if current["donation_count"] < story.PHASE_1_COUNT:
        limit = asyncio.Semaphore(8)

        async def give(i: int, d: story.DemoDonation) -> None:
            async with limit:
                _check(
                    await api.post(
                        f"/api/v1/campaigns/{campaign['id']}/donations",
                        json={
                            "amount": {"amount": d.amount, "currency": "CNY"},
                            "donor_name": d.donor_name,
                            "anonymous": d.anonymous,
                            "donated_at": d.donated_at.isoformat(),
                        },
                        headers={"Idempotency-Key": f"demo:phase-1:donation:{i:03d}"},
                    ),
                    201,
                )

        await asyncio.gather(*(give(i, d) for i, d in enumerate(story.phase_1_donations())))
    return _check(await api.get(f"/api/v1/campaigns/{campaign['id']}"), 200)


async def _ensure_partners(api: httpx.AsyncClient) -> None:
    for i, partner in enumerate(story.SHEKOU_PARTNERS):
        _check(
            await api.post(
                "/api/v1/partners",
                json={
                    "name": partner.name,
                    "kind": partner.kind,
                    "description": partner.description,
                    "expertise": partner.expertise,
                },
                headers={"Idempotency-Key": f"demo:partner:{i}"},
            ),
            201,
            409,
        )


async def load(
    *, gateway_url: str, network_url: str, gateway_db: Database, secret: str, var_dir: Path
) -> dict[str, Any]:
    """Load the story and write ``var/demo-credentials.json``; returns its content."""
    path = var_dir / CREDENTIALS_FILE
    previous: dict[str, Any] = {}
    if path.exists():
        previous = json.loads(path.read_text(encoding="utf-8")).get("foundations", {})
    operator = {IDENTITY_HEADER: TokenSigner(secret).sign(OPERATOR)}
    credentials: dict[str, dict[str, str]] = {}
    async with httpx.AsyncClient(base_url=network_url, headers=operator, timeout=30) as network:
        for f in story.FOUNDATIONS:
            foundation_id = await _ensure_foundation(network, f)
            api_key = await _ensure_key(gateway_db, f.slug, foundation_id, previous)
            credentials[f.slug] = {"id": foundation_id, "api_key": api_key}
    async with httpx.AsyncClient(
        base_url=gateway_url, headers={"X-API-Key": credentials["shekou"]["api_key"]}, timeout=30
    ) as shekou:
        phase_1 = await _ensure_phase_1(shekou)
        await _ensure_partners(shekou)
    document = {"foundations": credentials, "campaigns": {"shekou-phase-1": phase_1["id"]}}
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    path.chmod(0o600)
    return document


def describe(document: dict[str, Any], gateway_url: str, var_dir: Path) -> str:
    lines = [f"Demo data loaded. API keys (also in {var_dir / CREDENTIALS_FILE}):"]
    for slug, entry in document["foundations"].items():
        lines.append(f"  {slug:<8} foundation {entry['id']}  key {entry['api_key']}")
    key = document["foundations"]["shekou"]["api_key"]
    lines.append(
        f"Try: curl -H 'X-API-Key: {key}' {gateway_url}/api/v1/campaigns/"
        f"{document['campaigns']['shekou-phase-1']}"
    )
    return "\n".join(lines)
