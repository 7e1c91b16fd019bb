from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request

from gateway.audit import service
from gateway.audit.schemas import AuditEntryRead, AuditPage
from gateway.auth import Authenticator
from gateway.people.dependencies import AdminDep
from gateway.people.exceptions import NotAdmin
from kit.db import Database, transaction
from kit.errors import Unauthorized, problem_responses

router = APIRouter(tags=["audit"])


@router.get(
    "/api/v1/audit-log",
    response_model=AuditPage,
    summary="The audit log: sign-ins, keys made, used and revoked, refusals",
    description=(
        "Newest first. An organisation's admins read their organisation's entries; the "
        "operator reads all, or one organisation's with `?organisation_id=`. Failed "
        "sign-ins of unknown addresses belong to no organisation: only the operator sees them."
    ),
    responses=problem_responses(Unauthorized, NotAdmin),
)
async def read_audit_log(
    request: Request,
    admin: AdminDep,
    action: Annotated[str | None, Query(max_length=40)] = None,
    before: Annotated[dt.datetime | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AuditPage:
    authenticator: Authenticator = request.app.state.authenticator
    # What the proxy path noted is written first, so the reader sees it.
    await authenticator.audit.flush()
    await authenticator.usage.flush()
    database: Database = request.app.state.database
    async with transaction(database, write=False) as session:
        entries = await service.read(
            session,
            organisation_id=admin.organisation_id,
            action=action,
            before=before,
            limit=limit,
        )
    items = [AuditEntryRead.model_validate(e) for e in entries]
    return AuditPage(items=items, next_before=items[-1].created_at if len(items) == limit else None)
