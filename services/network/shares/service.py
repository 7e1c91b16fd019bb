"""Event handlers that share what other services publish. Never commit: each runs in the
consumer's transaction, which also records the event as processed (so it acts once).

A published disclosure (``donations.disclosure.published``) becomes a ``report`` owned by
the foundation, visible to the networks it is an active member of; a foundation in no
network shares it publicly (a disclosure is public anyway). The resource's ``source``
(``donations.disclosure:<id>``) is unique, so the same disclosure is never shared twice.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.donations import DisclosurePublishedV1
from kit.events import Event
from services.network.networks.repository import MembershipRepository
from services.network.resources import service as resources
from services.network.resources.models import Kind, SharedResource, Visibility
from services.network.resources.schemas import ResourceCreate

DISCLOSURE_KINDS = {
    "periodic": "定期信息公开 Periodic disclosure",
    "final": "结项信息公开 Final disclosure",
}


def _disclosure_body(payload: DisclosurePublishedV1) -> str:
    lines = [
        f"## {DISCLOSURE_KINDS.get(payload.kind, payload.kind)}",
        "",
        f"- Period: {payload.period_start:%Y-%m-%d} to {payload.period_end:%Y-%m-%d}",
        f"- Published: {payload.published_at:%Y-%m-%d %H:%M} UTC",
        f"- The report: `GET /api/v1/disclosures/{payload.disclosure_id}` (public)",
        f"- Report SHA-256: `{payload.report_sha256}`",
        f"- Ledger head: `{payload.ledger_head_hash}`",
    ]
    if payload.corrects_id is not None:
        lines.append(f"- Corrects the disclosure `{payload.corrects_id}`")
    return "\n".join(lines) + "\n"


async def share_disclosure(session: AsyncSession, event: Event) -> None:
    payload = DisclosurePublishedV1.model_validate(event.payload)
    if event.foundation_id is None:
        return
    source = f"donations.disclosure:{payload.disclosure_id}"
    exists = await session.execute(select(SharedResource.id).where(SharedResource.source == source))
    if exists.first() is not None:
        return
    networks = await MembershipRepository(session).active_network_ids(event.foundation_id)
    title = f"{DISCLOSURE_KINDS.get(payload.kind, payload.kind)} {payload.period_end:%Y-%m-%d}"
    await resources.create(
        session,
        event.foundation_id,
        ResourceCreate(
            kind=Kind.REPORT,
            title=title,
            body=_disclosure_body(payload),
            language="zh-CN",
            tags=["disclosure", payload.kind],
            visibility=Visibility.NETWORKS if networks else Visibility.PUBLIC,
            network_ids=sorted(networks, key=str),
        ),
        source=source,
    )
