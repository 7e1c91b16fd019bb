from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, exists, func, or_, select

from kit.pagination import PageParams
from kit.repository import Repository
from services.network.foundations.models import Foundation


class FoundationRepository(Repository[Foundation]):
    model = Foundation

    async def insert(self, foundation: Foundation) -> None:
        """Insert now, in a savepoint: a unique violation (``IntegrityError``) leaves the
        request's transaction usable, so the caller can still read why."""
        async with self.session.begin_nested():
            self.session.add(foundation)
            await self.session.flush()

    async def flush(self) -> None:
        await self.session.flush()

    async def slug_taken(self, slug: str) -> bool:
        stmt = select(exists().where(Foundation.slug == slug))
        return bool((await self.session.execute(stmt)).scalar())

    async def search(
        self,
        params: PageParams,
        *,
        slug: str | None = None,
        name: str | None = None,
        city: str | None = None,
        region: str | None = None,
    ) -> Sequence[Foundation]:
        """One page of the directory, filtered; ``name`` is a case-insensitive substring of
        the Chinese or the English name, ``city`` and ``region`` match whole (any case)."""
        stmt: Select[tuple[Foundation]] = select(Foundation)
        if slug is not None:
            stmt = stmt.where(Foundation.slug == slug)
        if name is not None:
            needle = name.lower()
            stmt = stmt.where(
                or_(
                    func.lower(Foundation.name).contains(needle, autoescape=True),
                    func.lower(Foundation.name_en).contains(needle, autoescape=True),
                )
            )
        if city is not None:
            stmt = stmt.where(func.lower(Foundation.city) == city.lower())
        if region is not None:
            stmt = stmt.where(func.lower(Foundation.region) == region.lower())
        return await self.page(stmt, params)
