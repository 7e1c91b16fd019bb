"""Keeping the partner copies, and the one rule they serve: a grant is paid only to a
current partner of the paying foundation. Never commits."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.partners import PartnerRecordV1
from kit.errors import FieldProblem
from kit.events import Consumer, Event
from services.donations.partner_copies.exceptions import NotAPartner
from services.donations.partner_copies.repository import PartnerCopyRepository

PARTNER_EVENTS = (
    "partners.partner.created",
    "partners.partner.updated",
    "partners.partner.verified",
    "partners.partner.archived",
)


async def keep_copy(session: AsyncSession, event: Event) -> None:
    """Apply any partner event: each carries the whole record and its version. An event of
    a version this code does not know, or without its foundation, raises: it is retried,
    then dead-lettered."""
    payload = event.parse()
    if not isinstance(payload, PartnerRecordV1):
        raise TypeError(f"{event.type} v{event.version} is not a partner record")
    if event.foundation_id is None:
        raise ValueError(f"event {event.id} names no foundation")
    await PartnerCopyRepository(session).keep_newest(
        partner_id=payload.partner_id,
        foundation_id=event.foundation_id,
        name=payload.name,
        archived=payload.archived,
        version=payload.version,
        changed_at=payload.changed_at,
    )


def handle_partner_events(consumer: Consumer) -> None:
    """Register the copies' handlers on the service's one consumer."""
    for event_type in PARTNER_EVENTS:
        consumer.on(event_type)(keep_copy)


async def require_partner(
    session: AsyncSession,
    foundation_id: uuid.UUID,
    partner_id: uuid.UUID,
    *,
    field: str = "partner_organisation_id",
) -> None:
    """Refuse (422 naming ``field``) an organisation that is not a current (not archived)
    partner of the foundation, as far as the partners service has announced."""
    copy = await PartnerCopyRepository(session).of_foundation(foundation_id, partner_id)
    if copy is None or copy.archived:
        reason = "is archived" if copy is not None else "is not one of the foundation's partners"
        raise NotAPartner(
            f"partner organisation {partner_id} {reason}; add it in the partners service "
            "(/api/v1/partners) first",
            errors=[FieldProblem(field=field, message=reason, code="not_a_partner")],
        )
