"""The expense a request names, loaded (and locked, where the route changes it) by the
dependency, after the campaign's own dependency has taken the lock the route needs. Lock
order is always campaign, then expense, so that decisions never wait on each other in a
circle.

- :data:`ValidExpense`: read it; 404 unless it is the path's campaign's.
- :data:`ExpenseToApprove`: locked, with its campaign locked exclusively: approvals of a
  campaign's expenses are serial, each sees the others' reservations.
- :data:`ExpenseToReject`: locked; the campaign is only read (a rejection moves no money).
- :data:`ExpenseToPay`: locked, with its campaign held (share-locked): payments run side
  by side, but not while the campaign is being settled.

The ``If-Match`` of a decision is checked by the route inside its idempotent effect, not
here: a retry of a decision that went through (same ``Idempotency-Key``, the If-Match of
before) gets the first answer again, not a 412 for the version that decision made.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import SessionDep
from services.donations.campaigns.dependencies import HeldCampaign, LockedCampaign, ValidCampaign
from services.donations.campaigns.models import Campaign
from services.donations.expenses.exceptions import ExpenseNotFound
from services.donations.expenses.models import Expense
from services.donations.expenses.repository import ExpenseRepository


def _found(expense: Expense | None, campaign: Campaign, expense_id: uuid.UUID) -> Expense:
    if expense is None:
        raise ExpenseNotFound(f"no expense {expense_id} in campaign {campaign.id}")
    return expense


async def _locked(session: AsyncSession, campaign: Campaign, expense_id: uuid.UUID) -> Expense:
    return _found(
        await ExpenseRepository(session).get_locked(campaign.id, expense_id), campaign, expense_id
    )


async def valid_expense(
    expense_id: uuid.UUID, campaign: ValidCampaign, session: SessionDep
) -> Expense:
    return _found(
        await ExpenseRepository(session).get_in_campaign(campaign.id, expense_id),
        campaign,
        expense_id,
    )


async def expense_to_approve(
    expense_id: uuid.UUID, campaign: LockedCampaign, session: SessionDep
) -> Expense:
    return await _locked(session, campaign, expense_id)


async def expense_to_reject(
    expense_id: uuid.UUID, campaign: ValidCampaign, session: SessionDep
) -> Expense:
    return await _locked(session, campaign, expense_id)


async def expense_to_pay(
    expense_id: uuid.UUID, campaign: HeldCampaign, session: SessionDep
) -> Expense:
    return await _locked(session, campaign, expense_id)


ValidExpense = Annotated[Expense, Depends(valid_expense)]
ExpenseToApprove = Annotated[Expense, Depends(expense_to_approve)]
ExpenseToReject = Annotated[Expense, Depends(expense_to_reject)]
ExpenseToPay = Annotated[Expense, Depends(expense_to_pay)]
