"""Who a foundation is, as an audience of shared resources: the public, the networks it is
an active member of, and its active pairings. Read fresh on every request, so losing a
network or a pairing takes effect at once."""

from __future__ import annotations

import uuid

from sqlalchemy import or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from services.network.networks.models import Membership, MemberStatus
from services.network.pairings.models import Pairing, PairingStatus
from services.network.sync.models import PUBLIC


class AudienceRepository:
    """The SQL behind :func:`audience_of`: memberships and pairings, in one statement
    (every woken long poll runs it first)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def targets(self, foundation_id: uuid.UUID) -> list[uuid.UUID]:
        stmt = union_all(
            select(Membership.network_id).where(
                Membership.foundation_id == foundation_id,
                Membership.status == MemberStatus.ACTIVE,
            ),
            select(Pairing.id).where(
                Pairing.status == PairingStatus.ACTIVE,
                or_(Pairing.proposer_id == foundation_id, Pairing.partner_id == foundation_id),
            ),
        )
        return list((await self.session.execute(stmt)).scalars().all())


async def audience_of(session: AsyncSession, foundation_id: uuid.UUID) -> frozenset[uuid.UUID]:
    return frozenset([PUBLIC, *await AudienceRepository(session).targets(foundation_id)])
