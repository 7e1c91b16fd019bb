"""Expense rules. Never commits: the request's session does.

An expense is submitted, then approved by someone other than its submitter (or rejected),
then paid. Approval reserves the money: a campaign approves only what it holds beyond the
expenses it has approved and not yet paid, so an approved expense can be paid unless other
spending (a purchase, a grant) took the money meanwhile; the payment is checked again by the
ledger, which never lets a fund's cash go below zero.

The campaign and the expense come locked as each operation needs them
(``expenses.dependencies``); nothing here takes a lock or reads a header.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from kit import etags
from kit.db import utcnow
from kit.money import format_minor
from kit.pagination import PageParams
from services.donations.campaigns.models import Campaign
from services.donations.campaigns.service import require_campaign_currency, require_spendable
from services.donations.expenses.exceptions import (
    ExpenseAlreadyDecided,
    ExpenseNotApproved,
    SelfApproval,
)
from services.donations.expenses.models import Expense, ExpenseStatus
from services.donations.expenses.repository import ExpenseRepository
from services.donations.expenses.schemas import ExpenseCreate
from services.donations.ledger import service as ledger
from services.donations.ledger.chain import transfer
from services.donations.ledger.exceptions import InsufficientFunds
from services.donations.ledger.models import Account, EntryKind, expense_account
from services.donations.ledger.repository import LedgerRepository


def etag(expense: Expense) -> etags.EntityTag:
    """The expense's entity tag: its version."""
    return etags.EntityTag(str(expense.version))


async def submit(
    session: AsyncSession, campaign: Campaign, data: ExpenseCreate, submitted_by: str
) -> Expense:
    """Submit an expense of ``campaign`` (held by the route, so that it stays spendable
    until commit) for approval."""
    amount = data.amount.to_money()
    require_campaign_currency(campaign, {"amount.currency": amount.currency})
    require_spendable(campaign)
    expense = Expense(
        foundation_id=campaign.foundation_id,
        campaign_id=campaign.id,
        fund_id=campaign.id,
        category=data.category,
        payee=data.payee,
        description=data.description,
        amount_minor=amount.minor,
        currency=amount.currency,
        evidence_ref=data.evidence.ref if data.evidence else None,
        evidence_sha256=data.evidence.sha256 if data.evidence else None,
        status=ExpenseStatus.SUBMITTED,
        submitted_by=submitted_by,
        decision_note="",
        version=1,
        created_at=utcnow(),
    )
    return await ExpenseRepository(session).add(expense)


def _require_submitted(expense: Expense) -> None:
    if expense.status is not ExpenseStatus.SUBMITTED:
        raise ExpenseAlreadyDecided(
            f"expense {expense.id} is {expense.status.value}"
            + (f" (by {expense.decided_by})" if expense.decided_by else "")
            + "; only a submitted expense can be approved or rejected"
        )


def _decide(expense: Expense, status: ExpenseStatus, by: str, note: str) -> None:
    expense.status = status
    expense.decided_by = by
    expense.decided_at = utcnow()
    expense.decision_note = note
    expense.version += 1


async def approve(
    session: AsyncSession, campaign: Campaign, expense: Expense, *, approver: str, note: str
) -> Expense:
    """Approve a submitted expense, if ``approver`` did not submit it and the campaign holds
    its amount beyond the approved expenses not yet paid. ``campaign`` must be locked
    exclusively (and ``expense`` locked after it): approvals of a campaign's expenses are
    then serial, each sees the others' reservations, and two approvals can never reserve
    the same money."""
    _require_submitted(expense)
    if expense.submitted_by == approver:
        raise SelfApproval(
            f"expense {expense.id} was submitted by {approver}; someone else must approve it"
        )
    require_spendable(campaign)
    currency = expense.currency
    key = (campaign.id, Account.CASH.value, currency)
    held = (await LedgerRepository(session).balances(campaign.foundation_id, [key]))[key]
    reserved = await ExpenseRepository(session).reserved(campaign.id, currency)
    if held - reserved < expense.amount_minor:
        raise InsufficientFunds(
            f"campaign {campaign.id} holds {format_minor(held, currency)} {currency}, of which "
            f"{format_minor(reserved, currency)} {currency} is reserved by approved expenses "
            f"not yet paid; this expense needs {format_minor(expense.amount_minor, currency)} "
            f"{currency}"
        )
    _decide(expense, ExpenseStatus.APPROVED, approver, note)
    await session.flush()
    return expense


async def reject(session: AsyncSession, expense: Expense, *, by: str, note: str) -> Expense:
    """Reject a submitted (and locked) expense. The submitter may reject (withdraw) their own."""
    _require_submitted(expense)
    _decide(expense, ExpenseStatus.REJECTED, by, note)
    await session.flush()
    return expense


async def pay(session: AsyncSession, campaign: Campaign, expense: Expense) -> Expense:
    """Pay an approved (and locked) expense of a held ``campaign``: its cash goes to the
    expense category's account. Raises :class:`InsufficientFunds` if the campaign no
    longer holds the amount."""
    if expense.status is not ExpenseStatus.APPROVED:
        raise ExpenseNotApproved(
            f"expense {expense.id} is {expense.status.value}; only an approved expense is paid"
        )
    require_spendable(campaign)
    entry = await ledger.post(
        LedgerRepository(session),
        campaign.foundation_id,
        kind=EntryKind.EXPENSE,
        fund_id=campaign.id,
        source_id=expense.id,
        lines=transfer(
            debit=expense_account(expense.category),
            credit=Account.CASH,
            fund_id=campaign.id,
            currency=expense.currency,
            minor=expense.amount_minor,
        ),
        memo=f"expense: {expense.category}",
    )
    expense.status = ExpenseStatus.PAID
    expense.paid_at = entry.posted_at
    expense.entry_id = entry.id
    expense.version += 1
    await session.flush()
    return expense


async def list_page(
    session: AsyncSession,
    campaign: Campaign,
    params: PageParams,
    status: ExpenseStatus | None = None,
) -> Sequence[Expense]:
    return await ExpenseRepository(session).for_campaign(campaign.id, params, status)


async def queue(
    session: AsyncSession,
    foundation_id: uuid.UUID,
    params: PageParams,
    status: ExpenseStatus | None = None,
) -> Sequence[Expense]:
    """The foundation's expenses across its campaigns, e.g. those waiting for approval."""
    return await ExpenseRepository(session).for_foundation(foundation_id, params, status)
