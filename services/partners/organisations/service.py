"""Partner organisation rules. Never commits: the request's session does.

Every change bumps the partner's ``version`` and emits its event in the same transaction:
``partners.partner.created``, ``.updated``, ``.verified``, ``.archived``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.partners import (
    PartnerArchivedV1,
    PartnerCreatedV1,
    PartnerRecordV1,
    PartnerUpdatedV1,
    PartnerVerifiedV1,
)
from kit.db import utcnow
from kit.errors import FieldProblem, Unprocessable
from kit.events import emit, new_event
from kit.pagination import PageParams
from services.partners.organisations.exceptions import (
    DuplicatePartner,
    PartnerArchived,
    PartnerNotFound,
    UnknownPartner,
)
from services.partners.organisations.models import (
    PartnerContact,
    PartnerKind,
    PartnerOrganisation,
)
from services.partners.organisations.repository import ContactRepository, PartnerRepository
from services.partners.organisations.schemas import (
    ContactCreate,
    PartnerCreate,
    PartnerUpdate,
    VerificationCreate,
)

PRODUCER = "partners"


def _duplicate(name: str, district: str) -> DuplicatePartner:
    where = f" in {district!r}" if district else " without a district"
    return DuplicatePartner(
        f"the foundation already has a partner named {name!r}{where}",
        errors=[FieldProblem(field="name", message="is taken in this district", code="duplicate")],
    )


async def _emit(
    session: AsyncSession, event: type[PartnerRecordV1], partner: PartnerOrganisation
) -> None:
    payload: BaseModel = event(
        partner_id=partner.id,
        name=partner.name,
        name_en=partner.name_en,
        kind=partner.kind.value,
        district=partner.district,
        tags=list(partner.tags),
        verified=partner.verified_at is not None,
        archived=partner.archived_at is not None,
        version=partner.version,
        changed_at=partner.updated_at or partner.created_at,
    )
    await emit(session, new_event(payload, producer=PRODUCER, foundation_id=partner.foundation_id))


async def create(
    session: AsyncSession, foundation_id: uuid.UUID, data: PartnerCreate
) -> PartnerOrganisation:
    """Add a partner; 409 ``duplicate-partner`` for the same name in the same district."""
    repo = PartnerRepository(session)
    if await repo.duplicate_of(foundation_id, data.name, data.district):
        raise _duplicate(data.name, data.district)
    now = utcnow()
    partner = PartnerOrganisation(
        foundation_id=foundation_id,
        name=data.name,
        name_en=data.name_en,
        kind=data.kind,
        description=data.description,
        district=data.district,
        tags=list(data.tags),
        website=data.website,
        expertise=data.expertise,
        version=1,
        created_at=now,
    )
    try:
        await repo.insert(partner)
    except IntegrityError:
        # A concurrent request took the name between the check and the insert.
        raise _duplicate(data.name, data.district) from None
    await repo.set_tags(partner.id, partner.tags)
    await _emit(session, PartnerCreatedV1, partner)
    return partner


async def get(
    session: AsyncSession,
    foundation_id: uuid.UUID,
    partner_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> PartnerOrganisation:
    """The foundation's partner; another foundation's is 'not found', never 'forbidden'."""
    partner = await PartnerRepository(session).of_foundation(
        foundation_id, partner_id, for_update=for_update
    )
    if partner is None:
        raise PartnerNotFound(f"no partner organisation {partner_id}")
    return partner


def _require_current(partner: PartnerOrganisation) -> None:
    if partner.archived_at is not None:
        raise PartnerArchived(f"partner organisation {partner.id} is archived; it cannot change")


async def update(
    session: AsyncSession, partner: PartnerOrganisation, data: PartnerUpdate
) -> PartnerOrganisation:
    """Apply the fields given. The caller has checked the version (If-Match) on the
    partner, locked."""
    _require_current(partner)
    changes = data.model_dump(exclude_unset=True)
    for field in ("name", "kind"):
        if field in changes and changes[field] is None:
            raise _required(field)
    for field, empty in (("district", ""), ("description", ""), ("tags", [])):
        if field in changes and changes[field] is None:
            changes[field] = empty
    repo = PartnerRepository(session)
    name = changes.get("name", partner.name)
    district = changes.get("district", partner.district)
    if (name, district) != (partner.name, partner.district) and await repo.duplicate_of(
        partner.foundation_id, name, district, other_than=partner.id
    ):
        raise _duplicate(name, district)
    for field, value in changes.items():
        setattr(partner, field, list(value) if field == "tags" else value)
    partner.version += 1
    partner.updated_at = utcnow()
    try:
        await repo.flush_in_savepoint(partner)
    except IntegrityError:
        raise _duplicate(name, district) from None
    if "tags" in changes:
        await repo.set_tags(partner.id, partner.tags)
    await _emit(session, PartnerUpdatedV1, partner)
    return partner


def _required(field: str) -> Unprocessable:
    return Unprocessable(
        f"{field} cannot be removed",
        errors=[FieldProblem(field=field, message="may not be null", code="required")],
    )


async def verify(
    session: AsyncSession, partner: PartnerOrganisation, data: VerificationCreate, *, by: str
) -> PartnerOrganisation:
    """Record who verified the partner, when and on what; a later verification replaces it."""
    _require_current(partner)
    now = utcnow()
    partner.verified_at = now
    partner.verified_by = by
    partner.verification_evidence = data.evidence
    partner.version += 1
    partner.updated_at = now
    await session.flush()
    await _emit(session, PartnerVerifiedV1, partner)
    return partner


async def archive(session: AsyncSession, partner: PartnerOrganisation) -> PartnerOrganisation:
    """Archive the partner: kept with its history, out of the default list, no new
    collaborations or grants. Archiving twice changes nothing."""
    if partner.archived_at is not None:
        return partner
    now = utcnow()
    partner.archived_at = now
    partner.version += 1
    partner.updated_at = now
    await session.flush()
    await _emit(session, PartnerArchivedV1, partner)
    return partner


async def list_page(
    session: AsyncSession,
    foundation_id: uuid.UUID,
    params: PageParams,
    *,
    kind: PartnerKind | None = None,
    tag: str | None = None,
    district: str | None = None,
    verified: bool | None = None,
    archived: bool = False,
    q: str | None = None,
) -> Sequence[PartnerOrganisation]:
    return await PartnerRepository(session).list(
        foundation_id,
        params,
        kind=kind,
        tag=tag,
        district=district,
        verified=verified,
        archived=archived,
        q=q,
    )


async def require_partners(
    session: AsyncSession, foundation_id: uuid.UUID, partner_ids: Sequence[uuid.UUID], *, field: str
) -> None:
    """Refuse (422 naming ``field``) ids that are not the foundation's current partners."""
    found = await PartnerRepository(session).current_ids(foundation_id, partner_ids)
    missing = [str(p) for p in partner_ids if p not in found]
    if missing:
        raise UnknownPartner(
            f"not partner organisations of the foundation (or archived): {', '.join(missing)}",
            errors=[FieldProblem(field=field, message="not a current partner", code="unknown")],
        )


async def add_contact(
    session: AsyncSession, partner: PartnerOrganisation, data: ContactCreate
) -> PartnerContact:
    _require_current(partner)
    contact = PartnerContact(partner_id=partner.id, **data.model_dump())
    return await ContactRepository(session).add(contact)


async def list_contacts(
    session: AsyncSession, partner: PartnerOrganisation, params: PageParams
) -> Sequence[PartnerContact]:
    return await ContactRepository(session).list(partner.id, params)
