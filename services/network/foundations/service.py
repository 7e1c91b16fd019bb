"""Directory rules. Never commits: the request's session does.

The directory is public within the network: any principal may read any foundation, so
nothing here filters by the caller's organisation.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.network import FoundationCreatedV1, FoundationUpdatedV1
from kit.db import utcnow
from kit.errors import FieldProblem
from kit.events import emit, new_event
from kit.pagination import PageParams
from services.network.foundations.exceptions import FoundationNotFound, FoundationSlugTaken
from services.network.foundations.models import Foundation
from services.network.foundations.repository import FoundationRepository
from services.network.foundations.schemas import FoundationCreate, FoundationUpdate


def _slug_taken(slug: str) -> FoundationSlugTaken:
    return FoundationSlugTaken(
        f"the slug {slug!r} belongs to another foundation; choose another",
        errors=[FieldProblem(field="slug", message="is taken", code="taken")],
    )


async def create(session: AsyncSession, data: FoundationCreate) -> Foundation:
    repo = FoundationRepository(session)
    if await repo.slug_taken(data.slug):
        raise _slug_taken(data.slug)
    now = utcnow()
    foundation = Foundation(
        slug=data.slug,
        name=data.name,
        name_en=data.name_en,
        city=data.city,
        region=data.region,
        description=data.description,
        public_fundraising_licence=data.public_fundraising_licence,
        website=data.website,
        contact=data.contact,
        created_at=now,
        updated_at=now,
    )
    try:
        await repo.insert(foundation)
    except IntegrityError:
        # A concurrent request took the slug between the check and the insert.
        if await repo.slug_taken(data.slug):
            raise _slug_taken(data.slug) from None
        raise
    # In the same transaction: the event exists exactly when the foundation does.
    await emit(
        repo.session,
        new_event(
            FoundationCreatedV1(
                foundation_id=foundation.id,
                slug=foundation.slug,
                name=foundation.name,
                name_en=foundation.name_en,
                created_at=foundation.created_at,
            ),
            producer="network",
            foundation_id=foundation.id,
        ),
    )
    return foundation


async def update(
    session: AsyncSession, foundation: Foundation, data: FoundationUpdate
) -> Foundation:
    """Apply the fields ``data`` carries (an explicit null clears an optional one) and
    tell the other services."""
    repo = FoundationRepository(session)
    for field in sorted(data.model_fields_set):
        setattr(foundation, field, getattr(data, field))
    # Strictly after the previous value, so read copies can keep the newest by updated_at
    # even when two updates fall within one clock tick.
    foundation.updated_at = max(utcnow(), foundation.updated_at + dt.timedelta(microseconds=1))
    await repo.flush()
    await emit(
        repo.session,
        new_event(
            FoundationUpdatedV1(
                foundation_id=foundation.id,
                slug=foundation.slug,
                name=foundation.name,
                name_en=foundation.name_en,
                updated_at=foundation.updated_at,
            ),
            producer="network",
            foundation_id=foundation.id,
        ),
    )
    return foundation


async def get(session: AsyncSession, foundation_id: uuid.UUID) -> Foundation:
    foundation = await FoundationRepository(session).get(foundation_id)
    if foundation is None:
        raise FoundationNotFound(f"no foundation {foundation_id}")
    return foundation


async def search(
    session: AsyncSession,
    params: PageParams,
    *,
    slug: str | None = None,
    name: str | None = None,
    city: str | None = None,
    region: str | None = None,
) -> Sequence[Foundation]:
    return await FoundationRepository(session).search(
        params, slug=slug, name=name, city=city, region=region
    )
