from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Query
from starlette.responses import Response

from kit.db import SessionDep
from kit.errors import Forbidden, PreconditionRequired, Unprocessable, problem_responses
from kit.etags import EntityTag, IfMatchDep, IfNoneMatchDep, not_modified
from kit.idempotency import Created, IdempotentCreateDep
from kit.pagination import Page, PageParamsDep
from services.partners.organisations import service
from services.partners.organisations.auth import ContactsRead, PartnersRead, PartnersWrite
from services.partners.organisations.dependencies import LockedPartner, OwnPartner, ValidPartner
from services.partners.organisations.exceptions import (
    DuplicatePartner,
    PartnerArchived,
    PartnerChanged,
    PartnerNotFound,
)
from services.partners.organisations.models import PartnerContact, PartnerKind, PartnerOrganisation
from services.partners.organisations.schemas import (
    ContactCreate,
    ContactRead,
    PartnerCreate,
    PartnerRead,
    PartnerUpdate,
    Verification,
    VerificationCreate,
)

router = APIRouter(prefix="/api/v1/partners", tags=["partners"])

WHAT = "partner organisation"


def partner_read(partner: PartnerOrganisation) -> PartnerRead:
    verification = None
    if partner.verified_at is not None:
        verification = Verification(
            verified_by=partner.verified_by or "",
            verified_at=partner.verified_at,
            evidence=partner.verification_evidence or "",
        )
    return PartnerRead(
        id=partner.id,
        foundation_id=partner.foundation_id,
        name=partner.name,
        name_en=partner.name_en,
        kind=partner.kind,
        description=partner.description,
        district=partner.district,
        tags=list(partner.tags),
        website=partner.website,
        expertise=partner.expertise,
        verification=verification,
        archived_at=partner.archived_at,
        version=partner.version,
        created_at=partner.created_at,
        updated_at=partner.updated_at,
    )


def etag(version: int) -> EntityTag:
    return EntityTag(str(version))


def answer(partner: PartnerOrganisation, status_code: int = 200) -> Response:
    read = partner_read(partner)
    return Response(
        read.model_dump_json(),
        status_code=status_code,
        media_type="application/json",
        headers={"ETag": str(etag(read.version))},
    )


ETAG = {
    "ETag": {
        "description": 'the partner\'s version in quotes, e.g. `"2"`',
        "schema": {"type": "string"},
    }
}


@router.post(
    "",
    status_code=201,
    response_model=PartnerRead,
    summary="Add a partner organisation",
    description="Send an `Idempotency-Key` so that a retry never adds the partner twice. "
    "The same name in the same district is a duplicate (409).",
    responses={201: {"headers": ETAG}, **problem_responses(Forbidden, DuplicatePartner)},
)
async def create_partner(
    principal: PartnersWrite, data: PartnerCreate, session: SessionDep, create: IdempotentCreateDep
) -> Response:
    async def add() -> Created:
        partner = await service.create(session, principal.organisation_id, data)
        return Created(partner_read(partner), location=f"/api/v1/partners/{partner.id}")

    response = await create(data, add)
    response.headers["ETag"] = str(etag(orjson.loads(response.body)["version"]))
    return response


@router.get(
    "",
    response_model=Page[PartnerRead],
    summary="List the foundation's partner organisations, newest first",
    description="Archived partners are left out unless `archived=true` (then only they).",
    responses=problem_responses(Forbidden, Unprocessable),
)
async def list_partners(
    *,
    principal: PartnersRead,
    session: SessionDep,
    params: PageParamsDep,
    kind: PartnerKind | None = None,
    tag: Annotated[str | None, Query(max_length=50, description="a capability tag")] = None,
    district: Annotated[str | None, Query(max_length=100)] = None,
    verified: Annotated[bool | None, Query(description="only verified (or unverified)")] = None,
    archived: bool = False,
    q: Annotated[
        str | None, Query(min_length=1, max_length=100, description="part of the name (zh or en)")
    ] = None,
) -> Page[PartnerRead]:
    rows = await service.list_page(
        session,
        principal.organisation_id,
        params,
        kind=kind,
        tag=tag,
        district=district,
        verified=verified,
        archived=archived,
        q=q,
    )
    return params.page(rows, partner_read)


@router.get(
    "/{partner_id}",
    response_model=PartnerRead,
    summary="Read a partner organisation",
    description="A partner organisation's own key may read its own record. Answers with an "
    "`ETag`; `If-None-Match` gives 304.",
    responses={200: {"headers": ETAG}, **problem_responses(Forbidden, PartnerNotFound)},
)
async def get_partner(partner: OwnPartner, preconditions: IfNoneMatchDep) -> Response:
    if preconditions.unchanged(etag(partner.version)):
        return not_modified(etag(partner.version))
    return answer(partner)


@router.patch(
    "/{partner_id}",
    response_model=PartnerRead,
    summary="Edit a partner organisation",
    description="Send `If-Match` with the ETag of your read (428 without it, 412 if the "
    "partner changed since). Fields left out keep their value.",
    responses={
        200: {"headers": ETAG},
        **problem_responses(
            Forbidden,
            PartnerNotFound,
            DuplicatePartner,
            PartnerArchived,
            PartnerChanged,
            PreconditionRequired,
        ),
    },
)
async def update_partner(
    *,
    principal: PartnersWrite,
    data: PartnerUpdate,
    partner: LockedPartner,
    preconditions: IfMatchDep,
    session: SessionDep,
) -> Response:
    preconditions.require_version(partner.version, what=WHAT, changed=PartnerChanged)
    return answer(await service.update(session, partner, data))


@router.post(
    "/{partner_id}/verification",
    response_model=PartnerRead,
    summary="Verify a partner organisation",
    description="Records who verified it (the caller), when (now) and on what evidence. "
    "`If-Match` is optional here.",
    responses={
        200: {"headers": ETAG},
        **problem_responses(Forbidden, PartnerNotFound, PartnerArchived, PartnerChanged),
    },
)
async def verify_partner(
    *,
    principal: PartnersWrite,
    data: VerificationCreate,
    partner: LockedPartner,
    preconditions: IfMatchDep,
    session: SessionDep,
) -> Response:
    preconditions.require_version(
        partner.version, what=WHAT, required=False, changed=PartnerChanged
    )
    return answer(await service.verify(session, partner, data, by=principal.subject))


@router.post(
    "/{partner_id}/archive",
    response_model=PartnerRead,
    summary="Archive a partner organisation",
    description="Partners are archived, never deleted: the record and its history stay, it "
    "leaves the default list, and takes no new collaboration or grant. Archiving an "
    "archived partner changes nothing.",
    responses={
        200: {"headers": ETAG},
        **problem_responses(Forbidden, PartnerNotFound, PartnerChanged),
    },
)
async def archive_partner(
    principal: PartnersWrite,
    partner: LockedPartner,
    preconditions: IfMatchDep,
    session: SessionDep,
) -> Response:
    preconditions.require_version(
        partner.version, what=WHAT, required=False, changed=PartnerChanged
    )
    return answer(await service.archive(session, partner))


def contact_read(contact: PartnerContact) -> ContactRead:
    return ContactRead.model_validate(contact)


@router.post(
    "/{partner_id}/contacts",
    status_code=201,
    response_model=ContactRead,
    summary="Add a contact person to a partner organisation",
    description="Contacts are personal data: reading them needs the `partners:contacts` "
    "scope, which no key holds unless given explicitly.",
    responses=problem_responses(Forbidden, PartnerNotFound, PartnerArchived),
)
async def add_contact(
    *,
    principal: ContactsRead,
    data: ContactCreate,
    partner: LockedPartner,
    session: SessionDep,
    create: IdempotentCreateDep,
) -> Response:
    async def add() -> Created:
        contact = await service.add_contact(session, partner, data)
        return Created(contact_read(contact))

    return await create(data, add)


@router.get(
    "/{partner_id}/contacts",
    response_model=Page[ContactRead],
    summary="List a partner organisation's contact people",
    responses=problem_responses(Forbidden, PartnerNotFound),
)
async def list_contacts(
    principal: ContactsRead, partner: ValidPartner, session: SessionDep, params: PageParamsDep
) -> Page[ContactRead]:
    return params.page(await service.list_contacts(session, partner, params), contact_read)
