from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from kit.db import SessionDep
from kit.errors import Forbidden, Unprocessable, problem_responses
from kit.idempotency import Created, IdempotentCreateDep
from kit.pagination import Page, PageParamsDep
from services.network.auth import NetworkRead, NetworkWrite
from services.network.foundations.exceptions import FoundationNotFound
from services.network.networks import service
from services.network.networks.dependencies import LockedNetwork, ValidNetwork
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
from services.network.networks.schemas import (
    AuditRead,
    Invitation,
    MemberRead,
    NetworkCreate,
    RoleChange,
)
from services.network.networks.schemas import (
    NetworkRead as NetworkOut,
)

router = APIRouter(prefix="/api/v1/networks", tags=["networks"])


def _member_location(member: MemberRead) -> str:
    return f"/api/v1/networks/{member.network_id}/members/{member.foundation_id}"


@router.post(
    "",
    status_code=201,
    response_model=NetworkOut,
    summary="Create a network, with the caller's foundation as its coordinator",
    responses=problem_responses(Forbidden, Unprocessable),
)
async def create_network(
    principal: NetworkWrite,
    data: NetworkCreate,
    session: SessionDep,
    create: IdempotentCreateDep,
) -> Response:
    async def make() -> Created:
        network = await service.create(session, principal, data)
        return Created(
            NetworkOut.model_validate(network), location=f"/api/v1/networks/{network.id}"
        )

    return await create(data, make)


@router.get(
    "",
    response_model=Page[NetworkOut],
    summary="List networks, newest first",
    responses=problem_responses(Forbidden),
)
async def list_networks(
    principal: NetworkRead,
    session: SessionDep,
    params: PageParamsDep,
    mine: Annotated[
        bool, Query(description="only the networks the caller's foundation is a member of")
    ] = False,
) -> Page[NetworkOut]:
    rows = await service.list_page(
        session, params, member=principal.organisation_id if mine else None
    )
    return params.page(rows, NetworkOut.model_validate)


@router.get(
    "/{network_id}",
    response_model=NetworkOut,
    summary="Read a network",
    responses=problem_responses(Forbidden, NetworkNotFound),
)
async def get_network(principal: NetworkRead, network: ValidNetwork) -> NetworkOut:
    return NetworkOut.model_validate(network)


@router.get(
    "/{network_id}/members",
    response_model=Page[MemberRead],
    summary="List a network's members",
    description="Active members for everyone; pending requests and invitations too for "
    "coordinators (and for the foundation each is about).",
    responses=problem_responses(Forbidden, NetworkNotFound),
)
async def list_network_members(
    principal: NetworkRead, network: ValidNetwork, session: SessionDep, params: PageParamsDep
) -> Page[MemberRead]:
    rows = await service.list_members(session, network, principal, params)
    return params.page(rows, MemberRead.model_validate, key=lambda m: m.foundation_id)


@router.post(
    "/{network_id}/join-requests",
    status_code=201,
    response_model=MemberRead,
    summary="Ask to join a network",
    description="The caller's foundation asks; a coordinator accepts "
    "(`POST .../members/{foundation_id}/accept`) or rejects it.",
    responses=problem_responses(Forbidden, NetworkNotFound, AlreadyMember),
)
async def request_to_join(
    principal: NetworkWrite,
    network: LockedNetwork,
    session: SessionDep,
    create: IdempotentCreateDep,
) -> Response:
    async def ask() -> Created:
        member = await service.request_to_join(session, network, principal)
        return Created(MemberRead.model_validate(member))

    return await create(None, ask)


@router.post(
    "/{network_id}/invitations",
    status_code=201,
    response_model=MemberRead,
    summary="Invite a foundation to a network",
    description="Coordinators only. The invited foundation accepts "
    "(`POST .../members/{foundation_id}/accept`) or declines.",
    responses=problem_responses(
        Forbidden, NetworkNotFound, FoundationNotFound, NotCoordinator, AlreadyMember
    ),
)
async def invite(
    principal: NetworkWrite,
    data: Invitation,
    network: LockedNetwork,
    session: SessionDep,
    create: IdempotentCreateDep,
) -> Response:
    async def send() -> Created:
        member = await service.invite(session, network, principal, data)
        return Created(MemberRead.model_validate(member))

    return await create(data, send)


@router.post(
    "/{network_id}/members/{foundation_id}/accept",
    response_model=MemberRead,
    summary="Accept a join request (a coordinator) or an invitation (the invited foundation)",
    responses=problem_responses(
        Forbidden,
        NetworkNotFound,
        MembershipNotFound,
        NotCoordinator,
        NotYoursToAnswer,
        NotPending,
    ),
)
async def accept(
    principal: NetworkWrite, foundation_id: uuid.UUID, network: LockedNetwork, session: SessionDep
) -> MemberRead:
    membership = await service.accept(session, network, foundation_id, principal)
    return MemberRead.model_validate(membership)


@router.post(
    "/{network_id}/members/{foundation_id}/reject",
    status_code=204,
    summary="Reject or withdraw a pending join request or invitation",
    description="A coordinator rejects a request or withdraws an invitation; the foundation "
    "declines its invitation or withdraws its request.",
    responses=problem_responses(
        Forbidden, NetworkNotFound, MembershipNotFound, NotCoordinator, NotPending
    ),
)
async def reject(
    principal: NetworkWrite, foundation_id: uuid.UUID, network: LockedNetwork, session: SessionDep
) -> Response:
    await service.reject(session, network, foundation_id, principal)
    return Response(status_code=204)


@router.patch(
    "/{network_id}/members/{foundation_id}",
    response_model=MemberRead,
    summary="Change a member's role",
    description="Coordinators only; the network keeps at least one coordinator.",
    responses=problem_responses(
        Forbidden, NetworkNotFound, MembershipNotFound, NotCoordinator, LastCoordinator
    ),
)
async def change_role(
    principal: NetworkWrite,
    foundation_id: uuid.UUID,
    data: RoleChange,
    network: LockedNetwork,
    session: SessionDep,
) -> MemberRead:
    membership = await service.change_role(session, network, foundation_id, data.role, principal)
    return MemberRead.model_validate(membership)


@router.delete(
    "/{network_id}/members/{foundation_id}",
    status_code=204,
    summary="Leave a network (the member itself) or remove a member (a coordinator)",
    description="What the foundation could see only through this network is removed from "
    "its copy at its next sync.",
    responses=problem_responses(
        Forbidden, NetworkNotFound, MembershipNotFound, NotCoordinator, LastCoordinator
    ),
)
async def remove_member(
    principal: NetworkWrite, foundation_id: uuid.UUID, network: LockedNetwork, session: SessionDep
) -> Response:
    await service.remove(session, network, foundation_id, principal)
    return Response(status_code=204)


@router.get(
    "/{network_id}/audit",
    response_model=Page[AuditRead],
    summary="A network's audit trail, newest first",
    description="Every change of the network and its membership, who made it and when. "
    "Members only.",
    responses=problem_responses(Forbidden, NetworkNotFound, NotMember),
)
async def audit_trail(
    principal: NetworkRead, network: ValidNetwork, session: SessionDep, params: PageParamsDep
) -> Page[AuditRead]:
    rows = await service.audit_page(session, network, principal, params)
    return params.page(rows, AuditRead.model_validate)
