from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.pagination import PageParams
from services.donations.expenses.models import Expense, ExpenseStatus


class ExpenseRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, expense: Expense) -> None:
        self.session.add(expense)
        await self.session.flush()

    async def get(self, campaign_id: uuid.UUID, expense_id: uuid.UUID) -> Expense | None:
        stmt = select(Expense).where(Expense.id == expense_id, Expense.campaign_id == campaign_id)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def get_for_update(self, campaign_id: uuid.UUID, expense_id: uuid.UUID) -> Expense | None:
        """The expense, locked until commit and read afresh: two decisions on one expense
        run one after the other, and the second sees what the first did."""
        stmt = (
            select(Expense)
            .where(Expense.id == expense_id, Expense.campaign_id == campaign_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def reserved(self, campaign_id: uuid.UUID, currency: str) -> int:
        """Minor units of the campaign's approved expenses that are not paid yet."""
        stmt = select(func.coalesce(func.sum(Expense.amount_minor), 0)).where(
            Expense.campaign_id == campaign_id,
            Expense.currency == currency,
            Expense.status == ExpenseStatus.APPROVED,
        )
        return int((await self.session.execute(stmt)).scalar_one())

    async def list_for_campaign(
        self, campaign_id: uuid.UUID, params: PageParams, status: ExpenseStatus | None
    ) -> Sequence[Expense]:
        stmt = select(Expense).where(Expense.campaign_id == campaign_id)
        if status is not None:
            stmt = stmt.where(Expense.status == status)
        return (await self.session.execute(params.apply(stmt, Expense.id))).scalars().all()

    async def list_for_foundation(
        self, foundation_id: uuid.UUID, params: PageParams, status: ExpenseStatus | None
    ) -> Sequence[Expense]:
        stmt = select(Expense).where(Expense.foundation_id == foundation_id)
        if status is not None:
            stmt = stmt.where(Expense.status == status)
        return (await self.session.execute(params.apply(stmt, Expense.id))).scalars().all()
