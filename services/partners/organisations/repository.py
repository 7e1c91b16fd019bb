from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, exists, insert, or_, select

from kit.pagination import PageParams
from kit.repository import Repository
from services.partners.organisations.models import (
    PartnerContact,
    PartnerKind,
    PartnerOrganisation,
    PartnerTag,
)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class PartnerRepository(Repository[PartnerOrganisation]):
    model = PartnerOrganisation

    async def insert(self, partner: PartnerOrganisation) -> None:
        """Insert now, in a savepoint: a unique violation (``IntegrityError``) leaves the
        request's transaction usable, so the caller can still read why."""
        async with self.session.begin_nested():
            self.session.add(partner)
            await self.session.flush()

    async def flush_in_savepoint(self, partner: PartnerOrganisation) -> None:
        async with self.session.begin_nested():
            await self.session.flush()

    async def of_foundation(
        self, foundation_id: uuid.UUID, partner_id: uuid.UUID, *, for_update: bool = False
    ) -> PartnerOrganisation | None:
        stmt = select(PartnerOrganisation).where(
            PartnerOrganisation.id == partner_id,
            PartnerOrganisation.foundation_id == foundation_id,
        )
        if for_update:
            stmt = stmt.with_for_update()
        return await self.one_or_none(stmt)

    async def current_ids(
        self, foundation_id: uuid.UUID, partner_ids: Sequence[uuid.UUID]
    ) -> set[uuid.UUID]:
        """Which of ``partner_ids`` are the foundation's partners, not archived."""
        stmt = select(PartnerOrganisation.id).where(
            PartnerOrganisation.foundation_id == foundation_id,
            PartnerOrganisation.id.in_(partner_ids),
            PartnerOrganisation.archived_at.is_(None),
        )
        return set((await self.session.execute(stmt)).scalars().all())

    async def names(self, partner_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
        stmt = select(PartnerOrganisation.id, PartnerOrganisation.name).where(
            PartnerOrganisation.id.in_(partner_ids)
        )
        return {row.id: row.name for row in (await self.session.execute(stmt)).all()}

    async def duplicate_of(
        self,
        foundation_id: uuid.UUID,
        name: str,
        district: str,
        *,
        other_than: uuid.UUID | None = None,
    ) -> bool:
        condition = [
            PartnerOrganisation.foundation_id == foundation_id,
            PartnerOrganisation.name == name,
            PartnerOrganisation.district == district,
        ]
        if other_than is not None:
            condition.append(PartnerOrganisation.id != other_than)
        return bool((await self.session.execute(select(exists().where(*condition)))).scalar())

    async def set_tags(self, partner_id: uuid.UUID, tags: Sequence[str]) -> None:
        await self.session.execute(delete(PartnerTag).where(PartnerTag.partner_id == partner_id))
        if tags:
            await self.session.execute(
                insert(PartnerTag), [{"partner_id": partner_id, "tag": tag} for tag in tags]
            )

    async def list(
        self,
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
        stmt = select(PartnerOrganisation).where(PartnerOrganisation.foundation_id == foundation_id)
        stmt = stmt.where(
            PartnerOrganisation.archived_at.is_not(None)
            if archived
            else PartnerOrganisation.archived_at.is_(None)
        )
        if kind is not None:
            stmt = stmt.where(PartnerOrganisation.kind == kind)
        if district is not None:
            stmt = stmt.where(PartnerOrganisation.district == district)
        if verified is not None:
            stmt = stmt.where(
                PartnerOrganisation.verified_at.is_not(None)
                if verified
                else PartnerOrganisation.verified_at.is_(None)
            )
        if tag is not None:
            stmt = stmt.where(
                exists().where(
                    PartnerTag.partner_id == PartnerOrganisation.id, PartnerTag.tag == tag
                )
            )
        if q:
            pattern = f"%{_escape_like(q.lower())}%"
            stmt = stmt.where(
                or_(
                    PartnerOrganisation.name.ilike(pattern, escape="\\"),
                    PartnerOrganisation.name_en.ilike(pattern, escape="\\"),
                )
            )
        return await self.page(stmt, params)


class ContactRepository(Repository[PartnerContact]):
    model = PartnerContact

    async def list(self, partner_id: uuid.UUID, params: PageParams) -> Sequence[PartnerContact]:
        return await self.page(
            select(PartnerContact).where(PartnerContact.partner_id == partner_id), params
        )
