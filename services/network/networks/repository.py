from __future__ import annotations

import builtins
import uuid
from collections.abc import Sequence

from sqlalchemy import delete, func, select

from kit.pagination import PageParams
from kit.repository import Repository
from services.network.networks.models import (
    AuditRecord,
    Membership,
    MemberStatus,
    Network,
    Role,
)


class NetworkRepository(Repository[Network]):
    model = Network

    async def get_locked(self, network_id: uuid.UUID) -> Network | None:
        """The network, locked until commit (PostgreSQL): membership changes of one network
        take turns, so that two coordinators cannot both leave at once."""
        return await self.one_or_none(
            select(Network).where(Network.id == network_id).with_for_update()
        )

    async def list(self, params: PageParams, *, member: uuid.UUID | None) -> Sequence[Network]:
        stmt = select(Network)
        if member is not None:
            stmt = stmt.where(
                Network.id.in_(
                    select(Membership.network_id).where(
                        Membership.foundation_id == member,
                        Membership.status == MemberStatus.ACTIVE,
                    )
                )
            )
        return await self.page(stmt, params)


class MembershipRepository(Repository[Membership]):
    model = Membership

    async def find(self, network_id: uuid.UUID, foundation_id: uuid.UUID) -> Membership | None:
        return await self.one_or_none(
            select(Membership).where(
                Membership.network_id == network_id, Membership.foundation_id == foundation_id
            )
        )

    async def remove(self, membership: Membership) -> None:
        await self.session.execute(
            delete(Membership).where(
                Membership.network_id == membership.network_id,
                Membership.foundation_id == membership.foundation_id,
            )
        )

    async def coordinators(self, network_id: uuid.UUID) -> int:
        stmt = select(func.count()).where(
            Membership.network_id == network_id,
            Membership.role == Role.COORDINATOR,
            Membership.status == MemberStatus.ACTIVE,
        )
        return int((await self.session.execute(stmt)).scalar_one())

    async def members(
        self,
        network_id: uuid.UUID,
        params: PageParams,
        *,
        all_pending: bool,
        pending_of: uuid.UUID | None,
    ) -> Sequence[Membership]:
        """A page of members (by foundation id, see :class:`PageParams`); pending rows only
        for a coordinator (``all_pending``) or the foundation they are about
        (``pending_of``)."""
        stmt = select(Membership).where(Membership.network_id == network_id)
        if not all_pending:
            visible = Membership.status == MemberStatus.ACTIVE
            if pending_of is not None:
                visible = visible | (Membership.foundation_id == pending_of)
            stmt = stmt.where(visible)
        return await self.all(params.apply(stmt, Membership.foundation_id))

    async def active_network_ids(self, foundation_id: uuid.UUID) -> builtins.list[uuid.UUID]:
        stmt = select(Membership.network_id).where(
            Membership.foundation_id == foundation_id, Membership.status == MemberStatus.ACTIVE
        )
        return list((await self.session.execute(stmt)).scalars().all())


class AuditRepository(Repository[AuditRecord]):
    model = AuditRecord

    async def list(self, network_id: uuid.UUID, params: PageParams) -> Sequence[AuditRecord]:
        return await self.page(
            select(AuditRecord).where(AuditRecord.network_id == network_id), params
        )
