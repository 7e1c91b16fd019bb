from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from kit.db import SessionDep
from kit.errors import Forbidden, Unprocessable, problem_responses
from kit.idempotency import Created, IdempotentCreateDep
from kit.pagination import Page, PageParamsDep
from services.network.auth import NetworkRead, NetworkWrite
from services.network.foundations.exceptions import FoundationNotFound
from services.network.pairings import service
from services.network.pairings.dependencies import LockedPairing, ValidPairing
from services.network.pairings.exceptions import (
    NotYourAnswer,
    PairingExists,
    PairingNotFound,
    PairingNotOpen,
    PairingWithItself,
)
from services.network.pairings.models import PairingStatus
from services.network.pairings.schemas import PairingCreate, PairingRead

router = APIRouter(prefix="/api/v1/pairings", tags=["pairings"])


@router.post(
    "",
    status_code=201,
    response_model=PairingRead,
    summary="Propose a pairing with another foundation",
    description="The partner accepts or declines (`POST /api/v1/pairings/{id}/accept`, "
    "`.../decline`). Send an `Idempotency-Key` so that a retry proposes once.",
    responses=problem_responses(
        Forbidden, FoundationNotFound, PairingExists, PairingWithItself, Unprocessable
    ),
)
async def propose_pairing(
    principal: NetworkWrite,
    data: PairingCreate,
    session: SessionDep,
    create: IdempotentCreateDep,
) -> Response:
    async def make() -> Created:
        pairing = await service.propose(session, principal, data)
        return Created(
            PairingRead.model_validate(pairing), location=f"/api/v1/pairings/{pairing.id}"
        )

    return await create(data, make)


@router.get(
    "",
    response_model=Page[PairingRead],
    summary="List the caller's pairings, newest first",
    responses=problem_responses(Forbidden),
)
async def list_pairings(
    principal: NetworkRead,
    session: SessionDep,
    params: PageParamsDep,
    status: Annotated[
        PairingStatus | None, Query(description="only pairings in this state")
    ] = None,
) -> Page[PairingRead]:
    rows = await service.list_page(session, principal, params, status=status)
    return params.page(rows, PairingRead.model_validate)


@router.get(
    "/{pairing_id}",
    response_model=PairingRead,
    summary="Read a pairing (one of its two foundations only)",
    responses=problem_responses(Forbidden, PairingNotFound),
)
async def get_pairing(pairing: ValidPairing) -> PairingRead:
    return PairingRead.model_validate(pairing)


@router.post(
    "/{pairing_id}/accept",
    response_model=PairingRead,
    summary="Accept a proposed pairing (the partner only)",
    responses=problem_responses(Forbidden, PairingNotFound, NotYourAnswer, PairingNotOpen),
)
async def accept_pairing(
    principal: NetworkWrite, pairing: LockedPairing, session: SessionDep
) -> PairingRead:
    return PairingRead.model_validate(await service.accept(session, pairing, principal))


@router.post(
    "/{pairing_id}/decline",
    response_model=PairingRead,
    summary="Decline a proposed pairing (the partner only)",
    responses=problem_responses(Forbidden, PairingNotFound, NotYourAnswer, PairingNotOpen),
)
async def decline_pairing(
    principal: NetworkWrite, pairing: LockedPairing, session: SessionDep
) -> PairingRead:
    return PairingRead.model_validate(await service.decline(session, pairing, principal))


@router.post(
    "/{pairing_id}/end",
    response_model=PairingRead,
    summary="End a pairing (either side), or withdraw a proposal",
    description="What was shared with the pairing is removed from the other side's copy at "
    "its next sync.",
    responses=problem_responses(Forbidden, PairingNotFound, PairingNotOpen),
)
async def end_pairing(
    principal: NetworkWrite, pairing: LockedPairing, session: SessionDep
) -> PairingRead:
    return PairingRead.model_validate(await service.end(session, pairing, principal))
