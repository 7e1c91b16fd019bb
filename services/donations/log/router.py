"""The transparency log, public: anyone may fetch heads, entries and proofs and check
them (``fnet verify``), since they show nothing a public report does not."""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query

from kit.db import SessionDep
from kit.errors import FieldProblem, Unprocessable, problem_responses
from kit.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from services.donations.log import service
from services.donations.log.exceptions import (
    HeadNotFound,
    LogEmpty,
    LogEntryNotFound,
    ProofOutOfRange,
)
from services.donations.log.repository import LogRepository
from services.donations.log.schemas import (
    ConsistencyProofRead,
    InclusionProofRead,
    LogEntryRead,
    LogKeyRead,
    TreeHeadRead,
)

router = APIRouter(prefix="/api/v1/foundations/{foundation_id}/log", tags=["transparency log"])
keys_router = APIRouter(prefix="/api/v1/log", tags=["transparency log"])


@router.get(
    "/head",
    response_model=TreeHeadRead,
    summary="The foundation's latest signed tree head",
    responses=problem_responses(LogEmpty),
)
async def get_log_head(foundation_id: uuid.UUID, session: SessionDep) -> TreeHeadRead:
    return service.head_read(await service.latest_head(session, foundation_id))


# Sizes and indexes are PostgreSQL bigints: a larger number is no entry nor head, and is
# refused as invalid (422) instead of failing in the database.
MAX_INDEX = 2**63 - 1


def _size_cursor(size: int) -> str:
    return base64.urlsafe_b64encode(f"head:{size}".encode()).decode().rstrip("=")


def _cursor_size(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, size = raw.partition(":")
        if kind != "head" or not 0 <= int(size) <= MAX_INDEX:
            raise ValueError(raw)
        return int(size)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise Unprocessable(
            "cursor is not one this list gave out",
            errors=[FieldProblem(field="cursor", message="invalid cursor", code="cursor")],
        ) from exc


@router.get(
    "/heads",
    response_model=Page[TreeHeadRead],
    summary="Every signed tree head of the foundation's log, newest first",
)
async def list_log_heads(
    foundation_id: uuid.UUID,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> Page[TreeHeadRead]:
    below = _cursor_size(cursor) if cursor else None
    heads = await LogRepository(session).heads(foundation_id, below=below, limit=limit + 1)
    page = heads[:limit]
    return Page(
        items=[service.head_read(head) for head in page],
        next_cursor=_size_cursor(page[-1].size) if len(heads) > limit else None,
    )


@router.get(
    "/entries/{seq}",
    response_model=LogEntryRead,
    summary="One entry of the log, as it is hashed into its leaf",
    responses=problem_responses(LogEntryNotFound),
)
async def get_log_entry(
    foundation_id: uuid.UUID, seq: Annotated[int, Path(ge=0, le=MAX_INDEX)], session: SessionDep
) -> LogEntryRead:
    return await service.entry(session, foundation_id, seq)


@router.get(
    "/proofs/inclusion",
    response_model=InclusionProofRead,
    summary="Proof that entry `seq` is in the log of `size` entries (default: the latest head)",
    responses=problem_responses(LogEmpty, HeadNotFound, ProofOutOfRange),
)
async def get_inclusion_proof(
    foundation_id: uuid.UUID,
    session: SessionDep,
    seq: Annotated[
        int, Query(ge=0, le=MAX_INDEX, description="the entry's index in the log, from 0")
    ],
    size: Annotated[
        int | None, Query(ge=1, le=MAX_INDEX, description="a signed head's size")
    ] = None,
) -> InclusionProofRead:
    return await service.inclusion_proof(session, foundation_id, seq, size)


@router.get(
    "/proofs/consistency",
    response_model=ConsistencyProofRead,
    summary="Proof that the log of size `from` is a prefix of the log of size `to`",
    responses=problem_responses(HeadNotFound, ProofOutOfRange),
)
async def get_consistency_proof(
    foundation_id: uuid.UUID,
    session: SessionDep,
    first: Annotated[int, Query(alias="from", ge=1, le=MAX_INDEX)],
    second: Annotated[int, Query(alias="to", ge=1, le=MAX_INDEX)],
) -> ConsistencyProofRead:
    return await service.consistency_proof(session, foundation_id, first, second)


@keys_router.get(
    "/keys",
    response_model=list[LogKeyRead],
    summary="Every public key that has signed tree heads, oldest first",
)
async def list_log_keys(session: SessionDep) -> list[LogKeyRead]:
    return [service.key_read(key) for key in await LogRepository(session).keys()]
