"""Grants received by partner organisations: kept by the donations service's
``donations.grant.paid`` events. Never commits: the request's session or the consumer's
transaction does."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.donations import GrantPaidV1
from kit.events import Consumer, Event
from kit.money import parse_minor
from kit.pagination import PageParams
from services.partners.grants.models import PartnerGrant
from services.partners.grants.repository import PartnerGrantRepository
from services.partners.organisations.models import PartnerOrganisation


async def record_grant_paid(session: AsyncSession, event: Event) -> None:
    """Record the grant against its organisation. An event of a version this code does not
    know, or without its foundation, raises: it is retried, then dead-lettered."""
    payload = event.parse_as(GrantPaidV1)
    if event.foundation_id is None:
        raise ValueError(f"event {event.id} names no foundation")
    await PartnerGrantRepository(session).record(
        {
            "id": payload.grant_id,
            "foundation_id": event.foundation_id,
            "partner_organisation_id": payload.partner_organisation_id,
            "campaign_id": payload.campaign_id,
            "amount_minor": parse_minor(payload.amount, payload.currency),
            "currency": payload.currency,
            "purpose": payload.purpose,
            "paid_at": payload.paid_at,
        }
    )


def handle_grant_events(consumer: Consumer) -> None:
    """Register the grants' handlers on the service's consumer (one per service: it is the
    service's one durable subscription)."""
    consumer.on("donations.grant.paid")(record_grant_paid)


async def list_page(
    session: AsyncSession, partner: PartnerOrganisation, params: PageParams
) -> Sequence[PartnerGrant]:
    return await PartnerGrantRepository(session).list(partner.foundation_id, partner.id, params)
