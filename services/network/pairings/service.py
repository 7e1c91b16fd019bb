"""Pairing rules. Never commits.

One open (proposed or active) pairing per two foundations. Accepting makes both sides an
audience of the pairing for shared resources, ending removes both (the sync feed learns of
each, :func:`services.network.sync.feed.audience_changed`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import utcnow
from kit.errors import FieldProblem
from kit.identity import Principal
from kit.pagination import PageParams
from services.network.foundations import service as foundations
from services.network.pairings.exceptions import (
    NotYourAnswer,
    PairingExists,
    PairingNotFound,
    PairingNotOpen,
    PairingWithItself,
)
from services.network.pairings.models import Pairing, PairingStatus
from services.network.pairings.repository import PairingRepository
from services.network.pairings.schemas import PairingCreate
from services.network.sync import feed


async def propose(session: AsyncSession, who: Principal, data: PairingCreate) -> Pairing:
    me = who.organisation_id
    if data.partner_id == me:
        raise PairingWithItself(
            "partner_id is the caller's own foundation; name another foundation",
            errors=[FieldProblem(field="partner_id", message="is yourself", code="self")],
        )
    await foundations.get(session, data.partner_id)
    repo = PairingRepository(session)
    existing = await repo.open_between(me, data.partner_id)
    if existing is not None:
        raise PairingExists(f"pairing {existing.id} between the two is {existing.status}")
    now = utcnow()
    return await repo.add(
        Pairing(
            proposer_id=me,
            partner_id=data.partner_id,
            note=data.note,
            status=PairingStatus.PROPOSED,
            created_at=now,
            updated_at=now,
        )
    )


async def get(
    session: AsyncSession, pairing_id: uuid.UUID, who: Principal, *, lock: bool = False
) -> Pairing:
    """The pairing, if the caller's foundation is one of its two; else 404."""
    repo = PairingRepository(session)
    pairing = await (repo.get_locked(pairing_id) if lock else repo.get(pairing_id))
    if pairing is None or not pairing.has(who.organisation_id):
        raise PairingNotFound(f"no pairing {pairing_id}")
    return pairing


async def list_page(
    session: AsyncSession, who: Principal, params: PageParams, *, status: PairingStatus | None
) -> Sequence[Pairing]:
    return await PairingRepository(session).of(who.organisation_id, params, status=status)


async def _answer(
    session: AsyncSession, pairing: Pairing, who: Principal, status: PairingStatus
) -> Pairing:
    if pairing.status != PairingStatus.PROPOSED:
        raise PairingNotOpen(f"the pairing is {pairing.status}, not proposed")
    if who.organisation_id != pairing.partner_id:
        raise NotYourAnswer("only the proposed partner may answer a pairing proposal")
    pairing.status = status
    pairing.updated_at = utcnow()
    await session.flush()
    return pairing


async def accept(session: AsyncSession, pairing: Pairing, who: Principal) -> Pairing:
    await _answer(session, pairing, who, PairingStatus.ACTIVE)
    for side in (pairing.proposer_id, pairing.partner_id):
        await feed.audience_changed(session, side, pairing.id)
    return pairing


async def decline(session: AsyncSession, pairing: Pairing, who: Principal) -> Pairing:
    return await _answer(session, pairing, who, PairingStatus.DECLINED)


async def end(session: AsyncSession, pairing: Pairing, who: Principal) -> Pairing:
    """Either side ends an active pairing (or the proposer withdraws a proposal). What
    was shared with the pairing disappears from the other's copy at its next sync."""
    if pairing.status not in {PairingStatus.ACTIVE, PairingStatus.PROPOSED}:
        raise PairingNotOpen(f"the pairing is already {pairing.status}")
    was_active = pairing.status == PairingStatus.ACTIVE
    pairing.status = PairingStatus.ENDED
    pairing.ended_by = who.organisation_id
    pairing.updated_at = utcnow()
    await session.flush()
    if was_active:
        for side in (pairing.proposer_id, pairing.partner_id):
            await feed.audience_changed(session, side, pairing.id)
    return pairing
