"""The one API the gateway serves itself: a foundation makes a key for one of its partner
organisations (``POST /api/v1/partners/{partner_id}/api-keys``).

The gateway holds the keys; the partners service knows the partners. So the gateway asks
the partners service, as the caller (the caller's own identity token, through the one
upstream session), whether the partner is the caller's foundation's and current, and
makes the key only then. The key's secret is in this answer and nowhere else.
"""

from __future__ import annotations

import re
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request

from gateway.auth import Authenticator, presented_key
from gateway.directory import PartnerArchived, PartnerNotFound, check_partner
from gateway.keys import service
from gateway.keys.schemas import ApiKeyCreated, PartnerKeyCreate
from kit.db import Database, transaction
from kit.errors import Forbidden, ServiceUnavailable, Unauthorized, problem_responses
from kit.identity import FOUNDATION_KINDS, Principal, Scope

PATH = "/api/v1/partners/{partner_id}/api-keys"
# The paths of the public API that the gateway answers itself, not a service.
OWN_PATHS = re.compile(r"/api/v1/partners/[^/]+/api-keys")

router = APIRouter(tags=["partners"])


async def caller(
    request: Request,
    x_api_key: Annotated[str | None, Header(alias="X-API-Key", include_in_schema=False)] = None,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Principal:
    """The caller: a foundation's key (or person) holding partners:write; else 403."""
    authenticator: Authenticator = request.app.state.authenticator
    presented = presented_key(
        x_api_key.encode("latin-1") if x_api_key else None,
        authorization.encode("latin-1") if authorization else None,
    )
    principal = await authenticator.principal(presented)
    if principal.kind not in FOUNDATION_KINDS:
        raise Forbidden(f"a key of kind {principal.kind.value!r} cannot make keys")
    if not principal.has(Scope.PARTNERS_WRITE):
        raise Forbidden(f"this API key lacks the {Scope.PARTNERS_WRITE!r} scope")
    return principal


Caller = Annotated[Principal, Depends(caller)]


@router.post(
    PATH,
    status_code=201,
    response_model=ApiKeyCreated,
    summary="Make an API key for one of the foundation's partner organisations",
    description=(
        "Served by the gateway. The key is of kind `partner`: with it the partner sees only "
        "the collaborations it is part of and the grants paid to it, and reports there "
        "(see docs/partners.md). Scopes `partners:read` and `partners:write`. The key is "
        "in this answer only: store it now. Needs a foundation's key with `partners:write`."
    ),
    responses=problem_responses(
        Unauthorized, Forbidden, PartnerNotFound, PartnerArchived, ServiceUnavailable
    ),
)
async def create_partner_key(
    request: Request, partner_id: uuid.UUID, data: PartnerKeyCreate, principal: Caller
) -> ApiKeyCreated:
    await check_partner(request, principal.organisation_id, partner_id)
    database: Database = request.app.state.database
    async with transaction(database, write=True) as session:
        record, plaintext = await service.create_key(
            session,
            organisation_id=principal.organisation_id,
            name=data.name,
            partner_id=partner_id,
        )
        return ApiKeyCreated.model_validate({**service.key_fields(record), "key": plaintext})
