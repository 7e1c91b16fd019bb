from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, exists, func, not_, select

from kit.pagination import PageParams
from kit.repository import Repository
from services.partners.crowdfundings.models import (
    ChecklistItem,
    Crowdfunding,
    CrowdfundingCheck,
    CrowdfundingReport,
    ReportKind,
)


def _use_reported() -> Any:
    return exists().where(
        CrowdfundingReport.crowdfunding_id == Crowdfunding.id,
        CrowdfundingReport.kind == ReportKind.USED,
        CrowdfundingReport.reported_on >= Crowdfunding.ends_on,
    )


class CrowdfundingRepository(Repository[Crowdfunding]):
    model = Crowdfunding

    async def of_foundation(
        self, foundation_id: uuid.UUID, crowdfunding_id: uuid.UUID
    ) -> Crowdfunding | None:
        return await self.one_or_none(
            select(Crowdfunding).where(
                Crowdfunding.id == crowdfunding_id, Crowdfunding.foundation_id == foundation_id
            )
        )

    async def list(
        self, foundation_id: uuid.UUID, params: PageParams, *, late_on: dt.date | None = None
    ) -> Sequence[Crowdfunding]:
        """The foundation's crowdfundings; with ``late_on``, only those late on that day."""
        stmt = select(Crowdfunding).where(Crowdfunding.foundation_id == foundation_id)
        if late_on is not None:
            stmt = stmt.where(Crowdfunding.use_report_due_on < late_on, not_(_use_reported()))
        return await self.page(stmt, params)

    async def totals(self, crowdfunding_id: uuid.UUID) -> dict[ReportKind, int]:
        stmt = (
            select(CrowdfundingReport.kind, func.sum(CrowdfundingReport.amount_minor))
            .where(CrowdfundingReport.crowdfunding_id == crowdfunding_id)
            .group_by(CrowdfundingReport.kind)
        )
        return {row[0]: int(row[1]) for row in (await self.session.execute(stmt)).all()}

    async def use_reported(self, crowdfunding_id: uuid.UUID) -> bool:
        stmt = (
            select(_use_reported())
            .select_from(Crowdfunding)
            .where(Crowdfunding.id == crowdfunding_id)
        )
        return bool((await self.session.execute(stmt)).scalar())

    async def checks(self, crowdfunding_id: uuid.UUID) -> Sequence[CrowdfundingCheck]:
        stmt = select(CrowdfundingCheck).where(CrowdfundingCheck.crowdfunding_id == crowdfunding_id)
        return (await self.session.execute(stmt)).scalars().all()

    async def set_check(
        self,
        crowdfunding_id: uuid.UUID,
        item: ChecklistItem,
        *,
        done_at: dt.datetime | None,
        note: str,
    ) -> None:
        await self.session.execute(
            delete(CrowdfundingCheck).where(
                CrowdfundingCheck.crowdfunding_id == crowdfunding_id,
                CrowdfundingCheck.item == item,
            )
        )
        if done_at is not None:
            self.session.add(
                CrowdfundingCheck(
                    crowdfunding_id=crowdfunding_id, item=item, done_at=done_at, note=note
                )
            )
            await self.session.flush()


class ReportRepository(Repository[CrowdfundingReport]):
    model = CrowdfundingReport

    async def list(
        self, crowdfunding_id: uuid.UUID, params: PageParams
    ) -> Sequence[CrowdfundingReport]:
        return await self.page(
            select(CrowdfundingReport).where(CrowdfundingReport.crowdfunding_id == crowdfunding_id),
            params,
        )
