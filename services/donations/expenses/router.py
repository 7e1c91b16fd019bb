from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

import orjson
from fastapi import APIRouter, Query
from pydantic import BaseModel
from starlette.responses import Response

from kit import etags
from kit.db import SessionDep
from kit.errors import (
    Forbidden,
    PreconditionFailed,
    Unprocessable,
    problem_responses,
)
from kit.etags import IfMatchDep, IfNoneMatchDep
from kit.idempotency import Created, IdempotentCreate, IdempotentCreateDep
from kit.money import MoneyOut
from kit.pagination import Page, PageParamsDep
from services.donations.campaigns.dependencies import HeldCampaign, LockedCampaign, ValidCampaign
from services.donations.campaigns.exceptions import (
    CampaignNotFound,
    CampaignNotSpendable,
    SpendInOtherCurrency,
)
from services.donations.expenses import service
from services.donations.expenses.auth import ExpensesDecide, ExpensesRead, ExpensesSpend
from services.donations.expenses.dependencies import (
    ExpenseToApprove,
    ExpenseToPay,
    ExpenseToReject,
    ValidExpense,
)
from services.donations.expenses.exceptions import (
    ExpenseAlreadyDecided,
    ExpenseNotApproved,
    ExpenseNotFound,
    SelfApproval,
)
from services.donations.expenses.models import Expense, ExpenseStatus
from services.donations.expenses.schemas import (
    EvidenceRead,
    ExpenseCreate,
    ExpenseDecision,
    ExpenseRead,
    ExpenseRejection,
)
from services.donations.ledger.exceptions import InsufficientFunds

router = APIRouter(tags=["expenses"])

CAMPAIGN_EXPENSES = "/api/v1/campaigns/{campaign_id}/expenses"
ONE_EXPENSE = CAMPAIGN_EXPENSES + "/{expense_id}"

StatusFilter = Annotated[ExpenseStatus | None, Query(description="only expenses in this state")]


def expense_read(expense: Expense) -> ExpenseRead:
    evidence = (
        EvidenceRead(ref=expense.evidence_ref, sha256=expense.evidence_sha256)
        if expense.evidence_ref is not None and expense.evidence_sha256 is not None
        else None
    )
    assert expense.campaign_id is not None  # expenses are submitted to a campaign
    return ExpenseRead(
        id=expense.id,
        campaign_id=expense.campaign_id,
        category=expense.category,
        payee=expense.payee,
        description=expense.description,
        amount=MoneyOut.from_minor(expense.amount_minor, expense.currency),
        evidence=evidence,
        status=expense.status,
        submitted_by=expense.submitted_by,
        decided_by=expense.decided_by,
        decided_at=expense.decided_at,
        decision_note=expense.decision_note,
        paid_at=expense.paid_at,
        entry_id=expense.entry_id,
        version=expense.version,
        created_at=expense.created_at,
    )


def location(expense: Expense) -> str:
    return f"/api/v1/campaigns/{expense.campaign_id}/expenses/{expense.id}"


async def written(
    create: IdempotentCreate,
    request: BaseModel | None,
    write: Callable[[], Awaitable[Expense]],
    *,
    status_code: int = 200,
) -> Response:
    """A write's answer, through the request's ``Idempotency-Key``: the expense as
    ``write`` left it, with its ETag (a replay answers what the first request did)."""
    done: list[Expense] = []

    async def effect() -> Created:
        expense = await write()
        done.append(expense)
        return Created(
            expense_read(expense),
            location=location(expense) if status_code == 201 else None,
            status_code=status_code,
        )

    response = await create(request, effect)
    if done:
        response.headers["ETag"] = str(service.etag(done[0]))
    return response


DECISION_PROBLEMS = (
    Forbidden,
    CampaignNotFound,
    ExpenseNotFound,
    PreconditionFailed,
    etags.MalformedIfMatch,
    ExpenseAlreadyDecided,
    Unprocessable,
)


@router.post(
    CAMPAIGN_EXPENSES,
    status_code=201,
    response_model=ExpenseRead,
    summary="Submit an expense of a campaign for approval",
    description=(
        "The expense waits for someone other than its submitter to approve it; nothing is "
        "spent until it is paid. Send an `Idempotency-Key` so that a retry never submits "
        "it twice."
    ),
    responses=problem_responses(
        Forbidden,
        CampaignNotFound,
        CampaignNotSpendable,
        Unprocessable,
        SpendInOtherCurrency,
    ),
)
async def submit_expense(
    principal: ExpensesSpend,
    data: ExpenseCreate,
    campaign: HeldCampaign,
    session: SessionDep,
    create: IdempotentCreateDep,
) -> Response:
    return await written(
        create,
        data,
        lambda: service.submit(session, campaign, data, principal.subject),
        status_code=201,
    )


@router.post(
    ONE_EXPENSE + "/approve",
    response_model=ExpenseRead,
    summary="Approve a submitted expense",
    description=(
        "Only someone other than the submitter may approve (409 `self-approval`), and only "
        "if the campaign holds the amount beyond its approved expenses not yet paid (409 "
        "`insufficient-funds`), so that every approved expense can be paid. The body (a "
        "`note`) is optional."
    ),
    responses=problem_responses(
        *DECISION_PROBLEMS, SelfApproval, CampaignNotSpendable, InsufficientFunds
    ),
)
async def approve_expense(
    principal: ExpensesDecide,
    *,
    data: ExpenseDecision | None = None,
    campaign: LockedCampaign,
    expense: ExpenseToApprove,
    session: SessionDep,
    preconditions: IfMatchDep,
    create: IdempotentCreateDep,
) -> Response:
    async def approve() -> Expense:
        preconditions.require_version(expense.version, what="expense", required=False)
        return await service.approve(
            session,
            campaign,
            expense,
            approver=principal.subject,
            note=data.note if data is not None else "",
        )

    return await written(create, data, approve)


@router.post(
    ONE_EXPENSE + "/reject",
    response_model=ExpenseRead,
    summary="Reject a submitted expense",
    description="A rejection says why (`note`); the submitter may withdraw their own this way.",
    responses=problem_responses(*DECISION_PROBLEMS),
)
async def reject_expense(
    principal: ExpensesDecide,
    *,
    data: ExpenseRejection,
    expense: ExpenseToReject,
    session: SessionDep,
    preconditions: IfMatchDep,
    create: IdempotentCreateDep,
) -> Response:
    async def reject() -> Expense:
        preconditions.require_version(expense.version, what="expense", required=False)
        return await service.reject(session, expense, by=principal.subject, note=data.note)

    return await written(create, data, reject)


@router.post(
    ONE_EXPENSE + "/pay",
    response_model=ExpenseRead,
    summary="Pay an approved expense",
    description=(
        "Posts the payment to the ledger: the expense category's account is debited, the "
        "campaign's cash credited. 409 `insufficient-funds` if other spending took the money "
        "since the approval; nothing changes then."
    ),
    responses=problem_responses(
        Forbidden,
        CampaignNotFound,
        ExpenseNotFound,
        PreconditionFailed,
        etags.MalformedIfMatch,
        ExpenseNotApproved,
        CampaignNotSpendable,
        InsufficientFunds,
        Unprocessable,
    ),
)
async def pay_expense(
    principal: ExpensesSpend,
    *,
    campaign: HeldCampaign,
    expense: ExpenseToPay,
    session: SessionDep,
    preconditions: IfMatchDep,
    create: IdempotentCreateDep,
) -> Response:
    async def pay() -> Expense:
        preconditions.require_version(expense.version, what="expense", required=False)
        return await service.pay(session, campaign, expense)

    return await written(create, None, pay)


@router.get(
    CAMPAIGN_EXPENSES,
    response_model=Page[ExpenseRead],
    summary="List a campaign's expenses, newest first",
    responses=problem_responses(Forbidden, CampaignNotFound, Unprocessable),
)
async def list_expenses(
    principal: ExpensesRead,
    campaign: ValidCampaign,
    session: SessionDep,
    params: PageParamsDep,
    status: StatusFilter = None,
) -> Page[ExpenseRead]:
    return params.page(await service.list_page(session, campaign, params, status), expense_read)


@router.get(
    ONE_EXPENSE,
    response_model=ExpenseRead,
    summary="Read one expense",
    description="Answers with an `ETag`; `If-None-Match` with it answers 304 if unchanged.",
    responses={
        **problem_responses(Forbidden, CampaignNotFound, ExpenseNotFound),
        304: {"description": "Not modified since the ETag given in If-None-Match"},
    },
)
async def get_expense(
    principal: ExpensesRead, expense: ValidExpense, preconditions: IfNoneMatchDep
) -> Response:
    tag = service.etag(expense)
    if preconditions.unchanged(tag):
        return etags.not_modified(tag)
    return Response(
        orjson.dumps(expense_read(expense).model_dump(mode="json")),
        media_type="application/json",
        headers={"ETag": str(tag)},
    )


@router.get(
    "/api/v1/expenses",
    response_model=Page[ExpenseRead],
    summary="List the foundation's expenses across its campaigns, newest first",
    description="`?status=submitted` is the approvers' queue.",
    responses=problem_responses(Forbidden, Unprocessable),
)
async def list_foundation_expenses(
    principal: ExpensesRead,
    session: SessionDep,
    params: PageParamsDep,
    status: StatusFilter = None,
) -> Page[ExpenseRead]:
    rows = await service.queue(session, principal.organisation_id, params, status)
    return params.page(rows, expense_read)
