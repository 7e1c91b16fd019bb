from __future__ import annotations

import uuid
from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Header, Query
from starlette.responses import Response

from kit import etags
from kit.app import SessionDep
from kit.errors import (
    Forbidden,
    IdempotencyInProgress,
    IdempotencyKeyReused,
    PreconditionFailed,
    Unprocessable,
    problem_responses,
)
from kit.idempotency import IdempotencyDep
from kit.identity import CurrentPrincipal, Scope, require_scope
from kit.money import MoneyOut
from kit.pagination import Page, PageParamsDep, cut_page
from services.donations.campaigns.exceptions import (
    CampaignNotFound,
    CampaignNotSpendable,
    SpendInOtherCurrency,
)
from services.donations.campaigns.router import ValidCampaign
from services.donations.expenses import service
from services.donations.expenses.exceptions import (
    ExpenseAlreadyDecided,
    ExpenseNotApproved,
    ExpenseNotFound,
    SelfApproval,
)
from services.donations.expenses.models import Expense, ExpenseStatus
from services.donations.expenses.repository import ExpenseRepository
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


async def expense_repository(session: SessionDep) -> ExpenseRepository:
    return ExpenseRepository(session)


ExpenseRepositoryDep = Annotated[ExpenseRepository, Depends(expense_repository)]


IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description="the expense's ETag as last read; if it changed since, the request "
        "is refused with 412 and changes nothing",
    ),
]
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


async def changed(
    idempotency: IdempotencyDep, repo: ExpenseRepository, status: int, expense: Expense
) -> Response:
    """The answer to a write: the expense, its ETag, stored for replays of the key."""
    response = await idempotency.respond(
        repo.session,
        status,
        expense_read(expense),
        location=location(expense) if status == 201 else None,
    )
    response.headers["ETag"] = str(service.etag(expense))
    return response


DECISION_PROBLEMS = (
    Forbidden,
    CampaignNotFound,
    ExpenseNotFound,
    PreconditionFailed,
    etags.MalformedIfMatch,
    ExpenseAlreadyDecided,
    IdempotencyInProgress,
    Unprocessable,
    IdempotencyKeyReused,
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
    dependencies=[require_scope(Scope.SPENDING_WRITE)],
    responses=problem_responses(
        Forbidden,
        CampaignNotFound,
        CampaignNotSpendable,
        IdempotencyInProgress,
        Unprocessable,
        SpendInOtherCurrency,
        IdempotencyKeyReused,
    ),
)
async def submit_expense(
    data: ExpenseCreate,
    campaign: ValidCampaign,
    repo: ExpenseRepositoryDep,
    principal: CurrentPrincipal,
    idempotency: IdempotencyDep,
) -> Response:
    replay = await idempotency.claim(repo.session, principal.organisation_id, data)
    if replay is not None:
        return replay
    expense = await service.submit(repo, campaign, data, principal.subject)
    return await changed(idempotency, repo, 201, expense)


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
    dependencies=[require_scope(Scope.EXPENSES_APPROVE)],
    responses=problem_responses(
        *DECISION_PROBLEMS, SelfApproval, CampaignNotSpendable, InsufficientFunds
    ),
)
async def approve_expense(
    *,
    expense_id: uuid.UUID,
    data: ExpenseDecision | None = None,
    campaign: ValidCampaign,
    repo: ExpenseRepositoryDep,
    principal: CurrentPrincipal,
    idempotency: IdempotencyDep,
    if_match: IfMatch = None,
) -> Response:
    replay = await idempotency.claim(repo.session, principal.organisation_id, data)
    if replay is not None:
        return replay
    expense = await service.approve(
        repo,
        campaign,
        expense_id,
        approver=principal.subject,
        note=data.note if data is not None else "",
        if_match=if_match,
    )
    return await changed(idempotency, repo, 200, expense)


@router.post(
    ONE_EXPENSE + "/reject",
    response_model=ExpenseRead,
    summary="Reject a submitted expense",
    description="A rejection says why (`note`); the submitter may withdraw their own this way.",
    dependencies=[require_scope(Scope.EXPENSES_APPROVE)],
    responses=problem_responses(*DECISION_PROBLEMS),
)
async def reject_expense(
    *,
    expense_id: uuid.UUID,
    data: ExpenseRejection,
    campaign: ValidCampaign,
    repo: ExpenseRepositoryDep,
    principal: CurrentPrincipal,
    idempotency: IdempotencyDep,
    if_match: IfMatch = None,
) -> Response:
    replay = await idempotency.claim(repo.session, principal.organisation_id, data)
    if replay is not None:
        return replay
    expense = await service.reject(
        repo, campaign, expense_id, by=principal.subject, note=data.note, if_match=if_match
    )
    return await changed(idempotency, repo, 200, expense)


@router.post(
    ONE_EXPENSE + "/pay",
    response_model=ExpenseRead,
    summary="Pay an approved expense",
    description=(
        "Posts the payment to the ledger: the expense category's account is debited, the "
        "campaign's cash credited. 409 `insufficient-funds` if other spending took the money "
        "since the approval; nothing changes then."
    ),
    dependencies=[require_scope(Scope.SPENDING_WRITE)],
    responses=problem_responses(
        Forbidden,
        CampaignNotFound,
        ExpenseNotFound,
        PreconditionFailed,
        etags.MalformedIfMatch,
        ExpenseNotApproved,
        CampaignNotSpendable,
        InsufficientFunds,
        IdempotencyInProgress,
        Unprocessable,
        IdempotencyKeyReused,
    ),
)
async def pay_expense(
    *,
    expense_id: uuid.UUID,
    campaign: ValidCampaign,
    repo: ExpenseRepositoryDep,
    principal: CurrentPrincipal,
    idempotency: IdempotencyDep,
    if_match: IfMatch = None,
) -> Response:
    replay = await idempotency.claim(repo.session, principal.organisation_id, None)
    if replay is not None:
        return replay
    expense = await service.pay(repo, campaign, expense_id, if_match)
    return await changed(idempotency, repo, 200, expense)


@router.get(
    CAMPAIGN_EXPENSES,
    response_model=Page[ExpenseRead],
    summary="List a campaign's expenses, newest first",
    dependencies=[require_scope(Scope.CAMPAIGNS_READ)],
    responses=problem_responses(Forbidden, CampaignNotFound, Unprocessable),
)
async def list_expenses(
    campaign: ValidCampaign,
    repo: ExpenseRepositoryDep,
    params: PageParamsDep,
    status: StatusFilter = None,
) -> Page[ExpenseRead]:
    rows = await service.list_page(repo, campaign, params, status)
    expenses, next_cursor = cut_page(rows, params, lambda e: e.id)
    return Page(items=[expense_read(e) for e in expenses], next_cursor=next_cursor)


@router.get(
    ONE_EXPENSE,
    response_model=ExpenseRead,
    summary="Read one expense",
    description="Answers with an `ETag`; `If-None-Match` with it answers 304 if unchanged.",
    dependencies=[require_scope(Scope.CAMPAIGNS_READ)],
    responses={
        **problem_responses(Forbidden, CampaignNotFound, ExpenseNotFound),
        304: {"description": "Not modified since the ETag given in If-None-Match"},
    },
)
async def get_expense(
    expense_id: uuid.UUID,
    campaign: ValidCampaign,
    repo: ExpenseRepositoryDep,
    if_none_match: Annotated[str | None, Header(alias="If-None-Match")] = None,
) -> Response:
    expense = await service.get(repo, campaign, expense_id)
    tag = service.etag(expense)
    if not etags.none_match(if_none_match, tag):
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
    dependencies=[require_scope(Scope.CAMPAIGNS_READ)],
    responses=problem_responses(Forbidden, Unprocessable),
)
async def list_foundation_expenses(
    repo: ExpenseRepositoryDep,
    principal: CurrentPrincipal,
    params: PageParamsDep,
    status: StatusFilter = None,
) -> Page[ExpenseRead]:
    rows = await service.queue(repo, principal.organisation_id, params, status)
    expenses, next_cursor = cut_page(rows, params, lambda e: e.id)
    return Page(items=[expense_read(e) for e in expenses], next_cursor=next_cursor)
