"""All SQL of expenses."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select

from kit.pagination import PageParams
from kit.repository import Repository
from services.donations.expenses.models import Expense, ExpenseStatus


class ExpenseRepository(Repository[Expense]):
    model = Expense

    async def get_in_campaign(
        self, campaign_id: uuid.UUID, expense_id: uuid.UUID
    ) -> Expense | None:
        return await self.one_or_none(
            select(Expense).where(Expense.id == expense_id, Expense.campaign_id == campaign_id)
        )

    async def get_locked(self, campaign_id: uuid.UUID, expense_id: uuid.UUID) -> Expense | None:
        """The expense, read afresh and locked exclusively until commit: two decisions on
        one expense run one after the other, and the second sees what the first did."""
        return await self.one_or_none(
            select(Expense)
            .where(Expense.id == expense_id, Expense.campaign_id == campaign_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )

    async def reserved(self, campaign_id: uuid.UUID, currency: str) -> int:
        """Minor units of the campaign's approved expenses that are not paid yet."""
        stmt = select(func.coalesce(func.sum(Expense.amount_minor), 0)).where(
            Expense.campaign_id == campaign_id,
            Expense.currency == currency,
            Expense.status == ExpenseStatus.APPROVED,
        )
        return int((await self.session.execute(stmt)).scalar_one())

    async def for_campaign(
        self, campaign_id: uuid.UUID, params: PageParams, status: ExpenseStatus | None
    ) -> Sequence[Expense]:
        stmt = select(Expense).where(Expense.campaign_id == campaign_id)
        if status is not None:
            stmt = stmt.where(Expense.status == status)
        return await self.page(stmt, params)

    async def for_foundation(
        self, foundation_id: uuid.UUID, params: PageParams, status: ExpenseStatus | None
    ) -> Sequence[Expense]:
        stmt = select(Expense).where(Expense.foundation_id == foundation_id)
        if status is not None:
            stmt = stmt.where(Expense.status == status)
        return await self.page(stmt, params)
