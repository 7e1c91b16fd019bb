"""Who calls the gateway's own routes, and whether they may manage the organisation."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Header, Query, Request

from gateway.auth import Authenticator, presented_key
from gateway.callers import Caller
from gateway.people.exceptions import NotAdmin
from gateway.people.roles import OPERATOR_ORGANISATION, Role
from kit.errors import FieldProblem, Unprocessable


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


async def caller(
    request: Request,
    x_api_key: Annotated[str | None, Header(alias="X-API-Key", include_in_schema=False)] = None,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Caller:
    """The caller, by API key or access token; 401 without a valid one."""
    authenticator: Authenticator = request.app.state.authenticator
    presented = presented_key(
        x_api_key.encode("latin-1") if x_api_key else None,
        authorization.encode("latin-1") if authorization else None,
    )
    return await authenticator.authenticate(presented, client_ip=client_ip(request))


CallerDep = Annotated[Caller, Depends(caller)]


async def person(who: CallerDep) -> Caller:
    """A signed-in person (403 for an API key)."""
    if who.person_id is None:
        raise NotAdmin("this needs a signed-in person's access token, not an API key")
    return who


PersonDep = Annotated[Caller, Depends(person)]


class Managed:
    """The organisation an admin manages: their own; the operator names one."""

    def __init__(self, caller: Caller, organisation_id: uuid.UUID | None) -> None:
        self.caller = caller
        self.organisation_id = organisation_id


async def org_admin(
    who: CallerDep,
    organisation_id: Annotated[
        uuid.UUID | None,
        Query(description="the operator's choice of organisation; others manage their own"),
    ] = None,
) -> Managed:
    """An admin of the organisation (a person with the admin role), or the operator for
    the organisation they name. API keys manage nothing: a leaked key must not make more."""
    if who.is_operator:
        return Managed(who, organisation_id)
    if who.person_id is None or who.role is not Role.ADMIN:
        raise NotAdmin("only the organisation's admins (signed in) may do this")
    if organisation_id is not None and organisation_id != who.principal.organisation_id:
        raise NotAdmin("an admin manages their own organisation only")
    return Managed(who, who.principal.organisation_id)


AdminDep = Annotated[Managed, Depends(org_admin)]


def required_organisation(managed: Managed) -> uuid.UUID:
    """The organisation to act on; the operator must name one."""
    if managed.organisation_id is None or managed.organisation_id == OPERATOR_ORGANISATION:
        raise Unprocessable(
            "the operator names the organisation: ?organisation_id=",
            errors=[
                FieldProblem(
                    field="organisation_id", message="required for the operator", code="missing"
                )
            ],
        )
    return managed.organisation_id
