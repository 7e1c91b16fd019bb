"""Event handlers that share what other services publish. Never commit: each runs in the
consumer's transaction, which also records the event as processed (so it acts once).

A published disclosure (``donations.disclosure.published``) becomes a ``report`` owned by
the foundation, visible to the networks it is an active member of; a foundation in no
network shares it publicly (a disclosure is public anyway). A topic group's published
output (``partners.topic_output.published``: a grocery guide, a survey's findings)
becomes a ``guide`` the same way, except that a foundation in no network keeps it to
itself until it shares it. The resource's ``source`` (``donations.disclosure:<id>``,
``partners.topic_output:<id>``) is unique, so nothing is shared twice.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.donations import DisclosurePublishedV1
from contracts.partners import TopicOutputPublishedV1
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


async def _networks_unless_shared(
    session: AsyncSession, foundation_id: uuid.UUID, source: str
) -> list[uuid.UUID] | None:
    """The foundation's networks to share ``source`` with, or None if it is shared already."""
    exists = await session.execute(select(SharedResource.id).where(SharedResource.source == source))
    if exists.first() is not None:
        return None
    networks = await MembershipRepository(session).active_network_ids(foundation_id)
    return sorted(networks, key=str)


async def share_disclosure(session: AsyncSession, event: Event) -> None:
    payload = event.parse_as(DisclosurePublishedV1)
    if event.foundation_id is None:
        return
    source = f"donations.disclosure:{payload.disclosure_id}"
    networks = await _networks_unless_shared(session, event.foundation_id, source)
    if networks is None:
        return
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
            network_ids=networks,
        ),
        source=source,
    )


async def share_topic_output(session: AsyncSession, event: Event) -> None:
    payload = event.parse_as(TopicOutputPublishedV1)
    source = f"partners.topic_output:{payload.output_id}"
    networks = await _networks_unless_shared(session, payload.foundation_id, source)
    if networks is None:
        return
    # A foundation in no network keeps its topic group's work to itself (visible to a
    # pairing or the public only when it says so): nothing there to share it with.
    if not networks:
        return
    await resources.create(
        session,
        payload.foundation_id,
        ResourceCreate(
            kind=Kind.GUIDE,
            title=payload.title,
            body=payload.body,
            language=payload.language,
            tags=sorted({*payload.tags, "topic-group"}),
            visibility=Visibility.NETWORKS,
            network_ids=networks,
        ),
        source=source,
    )
