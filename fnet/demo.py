"""Loads the story's demo data into a running system, through the apps' HTTP APIs.

Loading twice adds nothing twice: foundations are found by slug, keys are reused from the
credentials file while they still work, and every create carries an Idempotency-Key.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from fnet import demo_people, story, story_network, story_partners
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
                "ends_at": story.PHASE_1_END.isoformat(),
                "host": story.HOST,
            },
            headers={"Idempotency-Key": "demo:campaign:phase-1"},
        ),
        201,
    )
    # A replayed create answers as the campaign was then; read its totals as they are now.
    current = _check(await api.get(f"/api/v1/campaigns/{campaign['id']}"), 200)
    if current["status"] == "open" and current["donation_count"] < story.PHASE_1_COUNT:
        limit = asyncio.Semaphore(8)

        async def give(i: int, d: story.DemoDonation) -> None:
            async with limit:
                _check(
                    await api.post(
                        f"/api/v1/campaigns/{campaign['id']}/donations",
                        json={
                            "amount": {"amount": d.amount, "currency": "CNY"},
                            "channel": "host_platform",
                            "external_id": f"TX20200128{i:06d}",
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


class _Writes:
    """Counts the writes that changed something: a successful POST that is not the replay
    of an earlier one (Idempotent-Replayed) and not a 409 for what already exists."""

    def __init__(self) -> None:
        self.count = 0

    async def __call__(self, response: httpx.Response) -> None:
        if (
            response.request.method == "POST"
            and 200 <= response.status_code < 300
            and response.headers.get("idempotent-replayed") != "true"
        ):
            self.count += 1


@dataclass(frozen=True, slots=True)
class Loaded:
    """What :func:`load` did: the credentials document, and how many writes changed
    something (0: everything was already there)."""

    document: dict[str, Any]
    writes: int


async def load(
    *, gateway_url: str, network_url: str, gateway_db: Database, secret: str, var_dir: Path
) -> Loaded:
    """Load the story and write ``var/demo-credentials.json`` (its content is the answer's
    ``document``). Safe to stop at any point: the next load finishes the work."""
    writes = _Writes()
    hooks: dict[str, list[Callable[..., Any]]] = {"response": [writes]}
    path = var_dir / CREDENTIALS_FILE
    previous: dict[str, Any] = {}
    previous_people: dict[str, Any] = {}
    previous_logins: dict[str, Any] = {}
    if path.exists():
        saved = json.loads(path.read_text(encoding="utf-8"))
        previous, previous_people = saved.get("foundations", {}), saved.get("people", {})
        previous_logins = saved.get("logins", {})
    operator = {IDENTITY_HEADER: TokenSigner(secret).sign(OPERATOR)}
    credentials: dict[str, dict[str, str]] = {}
    async with httpx.AsyncClient(
        base_url=network_url, headers=operator, timeout=30, event_hooks=hooks
    ) as network:
        for f in story.FOUNDATIONS:
            foundation_id = await _ensure_foundation(network, f)
            api_key = await _ensure_key(gateway_db, f.slug, foundation_id, previous)
            credentials[f.slug] = {"id": foundation_id, "api_key": api_key}
        shared = await story_network.load(
            network,
            secret=secret,
            operator=operator,
            ids={s: c["id"] for s, c in credentials.items()},
        )
    # A second key of Shekou's: expenses are approved by someone other than the submitter.
    treasurer = "shekou-treasurer"
    people = {
        treasurer: {
            "id": credentials["shekou"]["id"],
            "api_key": await _ensure_key(
                gateway_db, treasurer, credentials["shekou"]["id"], previous_people
            ),
        }
    }
    async with (
        httpx.AsyncClient(
            base_url=gateway_url,
            headers={"X-API-Key": credentials["shekou"]["api_key"]},
            timeout=30,
            event_hooks=hooks,
        ) as shekou,
        httpx.AsyncClient(
            base_url=gateway_url,
            headers={"X-API-Key": people[treasurer]["api_key"]},
            timeout=30,
            event_hooks=hooks,
        ) as approver,
    ):
        campaigns = await load_story(shekou, approver)
        partners = await story_partners.load(shekou)
        await _log_settled(shekou, campaigns["shekou-phase-1"])
    partner_keys = await story_partners.ensure_partner_key(
        gateway_db, credentials["shekou"]["id"], partners, path
    )
    logins = await demo_people.ensure(
        gateway_db,
        shekou_id=credentials["shekou"]["id"],
        partner_id=partners["partners"][story_partners.RADIO_PARTNER],
        previous=previous_logins,
    )
    document = {
        "foundations": credentials,
        "logins": logins,
        "people": people,
        "campaigns": campaigns,
        "network": shared,
        "partners": partners,
        "partner_keys": partner_keys,
    }
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    path.chmod(0o600)
    return Loaded(document, writes.count)


async def _log_settled(client: httpx.AsyncClient, campaign_id: str) -> None:
    """Wait (a few seconds at most) until the foundation's transparency log holds every
    entry the story recorded: a public report counts the entries of the log's head, and the
    tour reads one at once."""
    for _ in range(200):
        report = await client.get(f"/api/v1/campaigns/{campaign_id}/report")
        log = report.json().get("log") if report.status_code == 200 else None
        if log is not None and log["pending"] == 0:
            return
        await asyncio.sleep(0.05)


def describe(
    document: dict[str, Any], gateway_url: str, var_dir: Path, *, added: bool = True
) -> str:
    """What to tell the user once the demo is in: "loaded" only if this run added
    something, else that it was already there; then the keys and where to start."""
    first = "Demo data loaded." if added else "Demo data already loaded; nothing to add."
    lines = [f"{first} API keys (also in {var_dir / CREDENTIALS_FILE}):"]
    for slug, entry in document["foundations"].items():
        lines.append(f"  {slug:<8} foundation {entry['id']}  key {entry['api_key']}")
    key = document["foundations"]["shekou"]["api_key"]
    phase_1 = document["campaigns"]["shekou-phase-1"]
    lines.append(f"Try: curl -H 'X-API-Key: {key}' {gateway_url}/api/v1/campaigns/{phase_1}")
    lines.append(f"The public account (no key): {gateway_url}/api/v1/campaigns/{phase_1}/report")
    logins = document.get("logins", {})
    if logins:
        lines.append("People who sign in (POST /api/v1/auth/login; passwords in the same file):")
        for name, entry in logins.items():
            lines.append(f"  {name:<9} {entry['email']}")
    return "\n".join(lines)


async def load_story(shekou: httpx.AsyncClient, treasurer: httpx.AsyncClient) -> dict[str, str]:
    """The whole Shekou story through the gateway, as the foundation's key (``shekou``) and a
    second key of the same foundation (``treasurer``, who approves expenses). Loading it
    again repeats nothing. Answers the campaigns' ids."""
    phase_1 = await _ensure_phase_1(shekou)
    await _ensure_partners(shekou)
    return await _Story(shekou, treasurer).run(phase_1)


class _Story:
    """The rest of the story, after phase 1's donations: what the money bought and where
    it went, phase 2, the Stream Plan grant and a grant to a partner. Every write carries
    an Idempotency-Key named after its step, so loading again repeats nothing."""

    def __init__(self, api: httpx.AsyncClient, treasurer: httpx.AsyncClient) -> None:
        self.api = api
        self.treasurer = treasurer  # a second person: expenses need someone else's approval

    async def post(
        self, path: str, body: dict[str, Any], step: str, *, by: httpx.AsyncClient | None = None
    ) -> dict[str, Any]:
        client = by or self.api
        return _check(
            await client.post(path, json=body, headers={"Idempotency-Key": f"demo:{step}"}),
            200,
            201,
        )

    async def run(self, phase_1: dict[str, Any]) -> dict[str, str]:
        p1 = phase_1["id"]
        await self.buy(p1, story.PHASE_1_PURCHASES, "2020-01-29T10:00:00+08:00", "phase-1")
        masks = story.community_shares(story.MASKS.quantity)
        sprays = story.community_shares(story.SPRAYS.quantity)
        for i, community in enumerate(story.COMMUNITIES):
            lines = [
                {"item": story.MASKS.item, "unit": story.MASKS.unit, "quantity": masks[i]},
                {"item": story.SPRAYS.item, "unit": story.SPRAYS.unit, "quantity": sprays[i]},
            ]
            await self.give(p1, community, "community", lines, f"phase-1:community:{i:02d}")
        await self.transport(p1)
        await self.close(p1, "phase-1", "Phase 1: money raised, supplies bought and given out")

        phase_2 = await self.post(
            "/api/v1/campaigns",
            {
                "title": story.PHASE_2_TITLE,
                "purpose": story.PHASE_2_PURPOSE,
                "goal": {"amount": story.PHASE_2_GOAL, "currency": "CNY"},
                "starts_at": story.PHASE_2_START.isoformat(),
                "ends_at": story.PHASE_2_END.isoformat(),
                "follows_id": p1,
                "host": story.HOST,
            },
            "campaign:phase-2",
        )
        p2 = phase_2["id"]
        for i, amount in enumerate(story.PHASE_2_DONATIONS):
            await self.post(
                f"/api/v1/campaigns/{p2}/donations",
                {
                    "amount": {"amount": amount, "currency": "CNY"},
                    "channel": "wechat_pay",
                    "external_id": f"WX20200205{i:06d}",
                    "donated_at": (story.PHASE_2_START.replace(hour=10 + i)).isoformat(),
                },
                f"phase-2:donation:{i}",
            )
        grant = story.STREAM_PLAN
        await self.post(
            "/api/v1/grants/received",
            {
                "grantor": grant["grantor"],
                "programme": grant["programme"],
                "purpose": grant["purpose"],
                "amount": {"amount": grant["amount"], "currency": "CNY"},
                "campaign_id": p2,
                "received_at": "2020-02-06T09:00:00+08:00",
            },
            "phase-2:grant:stream-plan",
        )
        await self.buy(p2, story.PHASE_2_PURCHASES, "2020-02-07T10:00:00+08:00", "phase-2")
        for i, (name, kind, quantity) in enumerate(story.PHASE_2_RECIPIENTS):
            line = {"item": story.MASKS.item, "unit": story.MASKS.unit, "quantity": quantity}
            await self.give(p2, name, kind, [line], f"phase-2:recipient:{i}")
        await self.radio_grant(p2)
        await self.close(p2, "phase-2", "Phase 2: donations, the Stream Plan grant and their use")
        return {"shekou-phase-1": p1, "shekou-phase-2": p2}

    async def buy(
        self, campaign: str, lines: tuple[story.DemoPurchaseLine, ...], at: str, step: str
    ) -> None:
        await self.post(
            f"/api/v1/campaigns/{campaign}/purchases",
            {
                "supplier": story.PHASE_1_SUPPLIER,
                "purchased_at": at,
                "lines": [
                    {
                        "item": line.item,
                        "unit": line.unit,
                        "quantity": line.quantity,
                        "unit_price": {"amount": line.unit_price, "currency": "CNY"},
                    }
                    for line in lines
                ],
                "evidence": {
                    "ref": f"demo://invoices/{step}.pdf",
                    "sha256": hashlib.sha256(step.encode()).hexdigest(),
                },
            },
            f"{step}:purchase",
        )

    async def give(
        self, campaign: str, name: str, kind: str, lines: list[dict[str, Any]], step: str
    ) -> None:
        await self.post(
            f"/api/v1/campaigns/{campaign}/distributions",
            {"recipient": {"name": name, "kind": kind}, "lines": lines},
            f"{step}:distribution",
        )

    async def transport(self, campaign: str) -> None:
        expense = await self.post(
            f"/api/v1/campaigns/{campaign}/expenses",
            {
                "category": "transport",
                "payee": "社区志愿者车队 volunteer drivers",
                "description": "Fuel and van hire to bring the supplies to 24 communities",
                "amount": {"amount": story.PHASE_1_TRANSPORT, "currency": "CNY"},
            },
            "phase-1:expense:transport",
        )
        path = f"/api/v1/campaigns/{campaign}/expenses/{expense['id']}"
        current = _check(await self.api.get(path), 200)
        if current["status"] == "submitted":
            await self.post(
                f"{path}/approve", {"note": "checked"}, "phase-1:expense:approve", by=self.treasurer
            )
            current = _check(await self.api.get(path), 200)
        if current["status"] == "approved":
            await self.post(f"{path}/pay", {}, "phase-1:expense:pay")

    async def close(self, campaign: str, step: str, disclosure: str) -> None:
        """Close the campaign and publish its final disclosure (信息公开)."""
        current = _check(await self.api.get(f"/api/v1/campaigns/{campaign}"), 200)
        if current["status"] == "open":
            await self.post(
                f"/api/v1/campaigns/{campaign}/transitions", {"to": "closed"}, f"{step}:close"
            )
        await self.post(
            f"/api/v1/campaigns/{campaign}/disclosures",
            {"kind": "final", "note": disclosure},
            f"{step}:disclosure:final",
        )

    async def radio_grant(self, campaign: str) -> None:
        partners = _check(await self.api.get("/api/v1/partners", params={"limit": 200}), 200)
        radio = next(p for p in partners["items"] if p["name"] == story.RADIO_GRANT["partner"])
        await self.post(
            "/api/v1/grants/paid",
            {
                "partner_organisation_id": radio["id"],
                "campaign_id": campaign,
                "purpose": story.RADIO_GRANT["purpose"],
                "amount": {"amount": story.RADIO_GRANT["amount"], "currency": "CNY"},
                "paid_at": "2020-02-10T10:00:00+08:00",
            },
            "phase-2:grant:radio",
        )
