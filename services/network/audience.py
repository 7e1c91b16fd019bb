"""Who a foundation is, as an audience of shared resources: the public, the networks it is
an active member of, and its active pairings. Read fresh on every request, so losing a
network or a pairing takes effect at once."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.network.networks.repository import MembershipRepository
from services.network.pairings.repository import PairingRepository
from services.network.sync.models import PUBLIC


async def audience_of(session: AsyncSession, foundation_id: uuid.UUID) -> frozenset[uuid.UUID]:
    networks = await MembershipRepository(session).active_network_ids(foundation_id)
    pairings = await PairingRepository(session).active_ids(foundation_id)
    return frozenset([PUBLIC, *networks, *pairings])
