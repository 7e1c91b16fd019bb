"""Network rules: who may join, invite, answer, leave and remove. Never commits.

Every change writes an audit record in the same transaction, and a change of who is an
active member tells the sync feed (:mod:`services.network.sync.feed`): gaining or losing a
network changes which shared resources a foundation may see.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import utcnow
from kit.identity import Principal
from kit.pagination import PageParams
from services.network.foundations import service as foundations
from services.network.networks.exceptions import (
    AlreadyMember,
    LastCoordinator,
    MembershipNotFound,
    NetworkNotFound,
    NotCoordinator,
    NotMember,
    NotPending,
    NotYoursToAnswer,
)
from services.network.networks.models import (
    AuditAction,
    AuditRecord,
    Membership,
    MemberStatus,
    Network,
    Role,
)
from services.network.networks.repository import (
    AuditRepository,
    MembershipRepository,
    NetworkRepository,
)
from services.network.networks.schemas import Invitation, NetworkCreate
from services.network.sync import feed


async def _audit(
    session: AsyncSession,
    network_id: uuid.UUID,
    action: AuditAction,
    actor: Principal,
    *,
    foundation_id: uuid.UUID | None = None,
    role: Role | None = None,
) -> None:
    await AuditRepository(session).add(
        AuditRecord(
            network_id=network_id,
            action=action,
            foundation_id=foundation_id,
            actor_foundation_id=actor.organisation_id,
            actor_subject=actor.subject,
            role=role,
            at=utcnow(),
        )
    )


async def create(session: AsyncSession, principal: Principal, data: NetworkCreate) -> Network:
    """A new network, with the caller's foundation as its first coordinator."""
    now = utcnow()
    network = await NetworkRepository(session).add(
        Network(
            name=data.name,
            name_en=data.name_en,
            description=data.description,
            created_by=principal.organisation_id,
            created_at=now,
            updated_at=now,
        )
    )
    await MembershipRepository(session).add(
        Membership(
            network_id=network.id,
            foundation_id=principal.organisation_id,
            role=Role.COORDINATOR,
            status=MemberStatus.ACTIVE,
            created_at=now,
            updated_at=now,
        )
    )
    await _audit(session, network.id, AuditAction.CREATED, principal)
    await _audit(
        session,
        network.id,
        AuditAction.ACCEPTED,
        principal,
        foundation_id=principal.organisation_id,
        role=Role.COORDINATOR,
    )
    await feed.audience_changed(session, principal.organisation_id, network.id)
    return network


async def get(session: AsyncSession, network_id: uuid.UUID, *, lock: bool = False) -> Network:
    repo = NetworkRepository(session)
    network = await (repo.get_locked(network_id) if lock else repo.get(network_id))
    if network is None:
        raise NetworkNotFound(f"no network {network_id}")
    return network


async def list_page(
    session: AsyncSession, params: PageParams, *, member: uuid.UUID | None
) -> Sequence[Network]:
    return await NetworkRepository(session).list(params, member=member)


async def membership_of(
    session: AsyncSession, network: Network, foundation_id: uuid.UUID
) -> Membership | None:
    return await MembershipRepository(session).find(network.id, foundation_id)


def _is_coordinator(membership: Membership | None) -> bool:
    return (
        membership is not None
        and membership.status == MemberStatus.ACTIVE
        and membership.role == Role.COORDINATOR
    )


async def require_coordinator(session: AsyncSession, network: Network, who: Principal) -> None:
    if not _is_coordinator(await membership_of(session, network, who.organisation_id)):
        raise NotCoordinator(f"only a coordinator of network {network.id} may do this")


async def require_member(session: AsyncSession, network: Network, who: Principal) -> Membership:
    membership = await membership_of(session, network, who.organisation_id)
    if membership is None or membership.status != MemberStatus.ACTIVE:
        raise NotMember(f"only members of network {network.id} may see this")
    return membership


async def list_members(
    session: AsyncSession, network: Network, who: Principal, params: PageParams
) -> Sequence[Membership]:
    mine = await membership_of(session, network, who.organisation_id)
    return await MembershipRepository(session).members(
        network.id, params, all_pending=_is_coordinator(mine), pending_of=who.organisation_id
    )


def _already(membership: Membership) -> AlreadyMember:
    return AlreadyMember(
        f"foundation {membership.foundation_id} is already {membership.status} in this network"
    )


async def request_to_join(session: AsyncSession, network: Network, who: Principal) -> Membership:
    repo = MembershipRepository(session)
    existing = await repo.find(network.id, who.organisation_id)
    if existing is not None:
        raise _already(existing)
    now = utcnow()
    membership = await repo.add(
        Membership(
            network_id=network.id,
            foundation_id=who.organisation_id,
            role=Role.MEMBER,
            status=MemberStatus.REQUESTED,
            created_at=now,
            updated_at=now,
        )
    )
    await _audit(
        session, network.id, AuditAction.JOIN_REQUESTED, who, foundation_id=who.organisation_id
    )
    return membership


async def invite(
    session: AsyncSession, network: Network, who: Principal, data: Invitation
) -> Membership:
    await require_coordinator(session, network, who)
    await foundations.get(session, data.foundation_id)  # 404 for one not in the directory
    repo = MembershipRepository(session)
    existing = await repo.find(network.id, data.foundation_id)
    if existing is not None:
        raise _already(existing)
    now = utcnow()
    membership = await repo.add(
        Membership(
            network_id=network.id,
            foundation_id=data.foundation_id,
            role=data.role,
            status=MemberStatus.INVITED,
            created_at=now,
            updated_at=now,
        )
    )
    await _audit(
        session,
        network.id,
        AuditAction.INVITED,
        who,
        foundation_id=data.foundation_id,
        role=data.role,
    )
    return membership


async def _pending(session: AsyncSession, network: Network, foundation_id: uuid.UUID) -> Membership:
    membership = await membership_of(session, network, foundation_id)
    if membership is None:
        raise MembershipNotFound(f"foundation {foundation_id} has no request or invitation here")
    if membership.status == MemberStatus.ACTIVE:
        raise NotPending(f"foundation {foundation_id} is already a member")
    return membership


async def accept(
    session: AsyncSession, network: Network, foundation_id: uuid.UUID, who: Principal
) -> Membership:
    """A coordinator accepts a request; an invited foundation accepts its invitation."""
    membership = await _pending(session, network, foundation_id)
    if membership.status == MemberStatus.REQUESTED:
        await require_coordinator(session, network, who)
    elif who.organisation_id != foundation_id:
        raise NotYoursToAnswer("only the invited foundation may accept its invitation")
    membership.status = MemberStatus.ACTIVE
    membership.updated_at = utcnow()
    await session.flush()
    await _audit(
        session,
        network.id,
        AuditAction.ACCEPTED,
        who,
        foundation_id=foundation_id,
        role=Role(membership.role),
    )
    await feed.audience_changed(session, foundation_id, network.id)
    return membership


async def reject(
    session: AsyncSession, network: Network, foundation_id: uuid.UUID, who: Principal
) -> None:
    """Either side ends a pending request or invitation: a coordinator rejects a request or
    withdraws an invitation; the foundation declines an invitation or withdraws its
    request."""
    membership = await _pending(session, network, foundation_id)
    if who.organisation_id != foundation_id:
        await require_coordinator(session, network, who)
    await MembershipRepository(session).remove(membership)
    await _audit(session, network.id, AuditAction.REJECTED, who, foundation_id=foundation_id)


async def _active(session: AsyncSession, network: Network, foundation_id: uuid.UUID) -> Membership:
    membership = await membership_of(session, network, foundation_id)
    if membership is None or membership.status != MemberStatus.ACTIVE:
        raise MembershipNotFound(f"foundation {foundation_id} is not a member of this network")
    return membership


async def _keep_a_coordinator(session: AsyncSession, membership: Membership) -> None:
    repo = MembershipRepository(session)
    if membership.role == Role.COORDINATOR and await repo.coordinators(membership.network_id) <= 1:
        raise LastCoordinator(
            "the network's last coordinator cannot leave or step down; make another "
            "member a coordinator first"
        )


async def remove(
    session: AsyncSession, network: Network, foundation_id: uuid.UUID, who: Principal
) -> None:
    """A member leaves (itself), or a coordinator removes it. What it could see only
    through this network disappears from its next sync."""
    membership = await _active(session, network, foundation_id)
    leaving = who.organisation_id == foundation_id
    if not leaving:
        await require_coordinator(session, network, who)
    await _keep_a_coordinator(session, membership)
    await MembershipRepository(session).remove(membership)
    await _audit(
        session,
        network.id,
        AuditAction.LEFT if leaving else AuditAction.REMOVED,
        who,
        foundation_id=foundation_id,
    )
    await feed.audience_changed(session, foundation_id, network.id)


async def change_role(
    session: AsyncSession, network: Network, foundation_id: uuid.UUID, role: Role, who: Principal
) -> Membership:
    await require_coordinator(session, network, who)
    membership = await _active(session, network, foundation_id)
    if membership.role != role:
        if role == Role.MEMBER:
            await _keep_a_coordinator(session, membership)
        membership.role = role
        membership.updated_at = utcnow()
        await session.flush()
        await _audit(
            session,
            network.id,
            AuditAction.ROLE_CHANGED,
            who,
            foundation_id=foundation_id,
            role=role,
        )
    return membership


async def audit_page(
    session: AsyncSession, network: Network, who: Principal, params: PageParams
) -> Sequence[AuditRecord]:
    await require_member(session, network, who)
    return await AuditRepository(session).list(network.id, params)
