"""Directory rules. Never commits: the request's session does.

The directory is public within the network: any principal may read any foundation, so
nothing here filters by the caller's organisation.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError

from kit.db import utcnow
from kit.errors import FieldProblem
from kit.pagination import PageParams
from services.network.foundations.exceptions import FoundationNotFound, FoundationSlugTaken
from services.network.foundations.models import Foundation
from services.network.foundations.repository import FoundationRepository
from services.network.foundations.schemas import FoundationCreate


def _slug_taken(slug: str) -> FoundationSlugTaken:
    return FoundationSlugTaken(
        f"the slug {slug!r} belongs to another foundation; choose another",
        errors=[FieldProblem(field="slug", message="is taken", code="taken")],
    )


async def create(repo: FoundationRepository, data: FoundationCreate) -> Foundation:
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
    return foundation


async def get(repo: FoundationRepository, foundation_id: uuid.UUID) -> Foundation:
    foundation = await repo.get(foundation_id)
    if foundation is None:
        raise FoundationNotFound(f"no foundation {foundation_id}")
    return foundation


async def list_page(
    repo: FoundationRepository, params: PageParams, *, slug: str | None = None
) -> Sequence[Foundation]:
    return await repo.list(params, slug=slug)
