from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, exists, func, insert, select

from kit.pagination import PageParams
from kit.repository import Repository
from services.partners.collaborations.models import (
    Collaboration,
    CollaborationPartner,
    CollaborationStatus,
    CollaborationUpdate,
    Milestone,
    OutcomeMetric,
    OutcomeReport,
)


class CollaborationRepository(Repository[Collaboration]):
    model = Collaboration

    async def of_foundation(
        self, foundation_id: uuid.UUID, collaboration_id: uuid.UUID, *, for_update: bool = False
    ) -> Collaboration | None:
        stmt = select(Collaboration).where(
            Collaboration.id == collaboration_id, Collaboration.foundation_id == foundation_id
        )
        if for_update:
            stmt = stmt.with_for_update()
        return await self.one_or_none(stmt)

    async def partner_ids(self, collaboration_id: uuid.UUID) -> Sequence[uuid.UUID]:
        stmt = (
            select(CollaborationPartner.partner_id)
            .where(CollaborationPartner.collaboration_id == collaboration_id)
            .order_by(CollaborationPartner.partner_id)
        )
        return list((await self.session.execute(stmt)).scalars().all())

    async def set_partners(
        self, collaboration_id: uuid.UUID, partner_ids: Sequence[uuid.UUID]
    ) -> None:
        await self.session.execute(
            delete(CollaborationPartner).where(
                CollaborationPartner.collaboration_id == collaboration_id
            )
        )
        await self.session.execute(
            insert(CollaborationPartner),
            [{"collaboration_id": collaboration_id, "partner_id": p} for p in partner_ids],
        )

    async def list(
        self,
        foundation_id: uuid.UUID,
        params: PageParams,
        *,
        partner_id: uuid.UUID | None = None,
        status: CollaborationStatus | None = None,
    ) -> Sequence[Collaboration]:
        stmt = select(Collaboration).where(Collaboration.foundation_id == foundation_id)
        if partner_id is not None:
            stmt = stmt.where(
                exists().where(
                    CollaborationPartner.collaboration_id == Collaboration.id,
                    CollaborationPartner.partner_id == partner_id,
                )
            )
        if status is not None:
            stmt = stmt.where(Collaboration.status == status)
        return await self.page(stmt, params)

    async def milestone_counts(self, collaboration_id: uuid.UUID) -> tuple[int, int]:
        stmt = select(func.count(Milestone.id), func.count(Milestone.completed_at)).where(
            Milestone.collaboration_id == collaboration_id
        )
        total, done = (await self.session.execute(stmt)).one()
        return int(total), int(done)

    async def outcome_totals(
        self, collaboration_id: uuid.UUID
    ) -> Sequence[tuple[OutcomeMetric, str, int]]:
        stmt = (
            select(OutcomeReport.metric, OutcomeReport.unit, func.sum(OutcomeReport.value))
            .where(OutcomeReport.collaboration_id == collaboration_id)
            .group_by(OutcomeReport.metric, OutcomeReport.unit)
            .order_by(OutcomeReport.metric)
        )
        return [(r[0], r[1], int(r[2])) for r in (await self.session.execute(stmt)).all()]

    async def milestone_dates(self, collaboration_id: uuid.UUID) -> Sequence[Milestone]:
        stmt = select(Milestone).where(Milestone.collaboration_id == collaboration_id)
        return (await self.session.execute(stmt)).scalars().all()


class MilestoneRepository(Repository[Milestone]):
    model = Milestone

    async def of_collaboration(
        self, collaboration_id: uuid.UUID, milestone_id: uuid.UUID
    ) -> Milestone | None:
        return await self.one_or_none(
            select(Milestone).where(
                Milestone.id == milestone_id, Milestone.collaboration_id == collaboration_id
            )
        )

    async def list(self, collaboration_id: uuid.UUID, params: PageParams) -> Sequence[Milestone]:
        return await self.page(
            select(Milestone).where(Milestone.collaboration_id == collaboration_id), params
        )


class OutcomeRepository(Repository[OutcomeReport]):
    model = OutcomeReport

    async def list(
        self, collaboration_id: uuid.UUID, params: PageParams
    ) -> Sequence[OutcomeReport]:
        return await self.page(
            select(OutcomeReport).where(OutcomeReport.collaboration_id == collaboration_id), params
        )


class UpdateRepository(Repository[CollaborationUpdate]):
    model = CollaborationUpdate

    async def list(
        self, collaboration_id: uuid.UUID, params: PageParams
    ) -> Sequence[CollaborationUpdate]:
        return await self.page(
            select(CollaborationUpdate).where(
                CollaborationUpdate.collaboration_id == collaboration_id
            ),
            params,
        )
