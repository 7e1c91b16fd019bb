from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from kit.errors import FieldProblem, Forbidden, Unprocessable, problem_responses
from kit.money import MoneyOut
from kit.pagination import Page, PageParamsDep
from services.donations.ledger import service
from services.donations.ledger.auth import LedgerRead
from services.donations.ledger.dependencies import LedgerRepositoryDep
from services.donations.ledger.exceptions import EntryNotFound
from services.donations.ledger.models import JournalEntry, JournalLine
from services.donations.ledger.schemas import (
    ChainBreakRead,
    CurrencyTotal,
    EntryRead,
    LineRead,
    TrialBalanceRead,
    TrialBalanceRow,
    VerificationRead,
)

router = APIRouter(prefix="/api/v1/ledger", tags=["ledger"])


def line_read(line: JournalLine) -> LineRead:
    amount = MoneyOut.from_minor(abs(line.amount_minor), line.currency)
    return LineRead(
        account=line.account,
        fund_id=line.fund_id,
        debit=amount if line.amount_minor > 0 else None,
        credit=amount if line.amount_minor < 0 else None,
    )


def entry_read(entry: JournalEntry, lines: list[JournalLine]) -> EntryRead:
    return EntryRead(
        id=entry.id,
        seq=entry.seq,
        kind=entry.kind,
        fund_id=entry.fund_id,
        source_id=entry.source_id,
        memo=entry.memo,
        posted_at=entry.posted_at,
        prev_hash=entry.prev_hash,
        hash=entry.hash,
        lines=[line_read(line) for line in lines],
    )


@router.get(
    "/verify",
    response_model=VerificationRead,
    summary="Check the foundation's journal and running totals from the inside",
    description=(
        "Recomputes every entry's hash from the stored rows, in order (the chained hashes of "
        "entries from before the transparency log, the leaf hashes since), and the running "
        "totals of the entries in the log from their lines. `valid` is false and `breaks` "
        "says where, if any row was changed after posting.\n\n"
        "This checks the database from the inside. The check that trusts nothing the server "
        "says is the transparency log's: `GET /api/v1/foundations/{id}/log/...` (signed "
        "heads, inclusion and consistency proofs), as `fnet verify` runs it.\n\n"
        "A long journal can be checked from a point already trusted: pass `after_seq` and "
        "`after_hash` as an earlier verification gave them (`head_seq`, `head_hash`); the "
        "entry at `after_seq` must still carry that hash, and the entries after it are checked."
    ),
    responses=problem_responses(Forbidden, Unprocessable),
)
async def verify_ledger(
    principal: LedgerRead,
    repo: LedgerRepositoryDep,
    after_seq: Annotated[
        int, Query(ge=0, le=2**62, description="check the entries after this one")
    ] = 0,
    after_hash: Annotated[
        str | None,
        Query(pattern="^[0-9a-f]{64}$", description="the trusted hash of entry `after_seq`"),
    ] = None,
) -> VerificationRead:
    if (after_seq > 0) != (after_hash is not None):
        raise Unprocessable(
            "after_seq and after_hash go together",
            errors=[
                FieldProblem(
                    field="after_hash" if after_seq else "after_seq",
                    message="give both after_seq and after_hash, or neither",
                    code="together",
                )
            ],
        )
    result = await service.verify(
        repo,
        principal.organisation_id,
        after_seq=after_seq,
        after_hash=after_hash,
    )
    return VerificationRead(
        valid=result.valid,
        entries=result.entries,
        head_seq=result.head_seq,
        head_hash=result.head_hash,
        breaks=[
            ChainBreakRead(seq=b.seq, entry_id=b.entry_id, reason=b.reason) for b in result.breaks
        ],
    )


@router.get(
    "/trial-balance",
    response_model=TrialBalanceRead,
    summary="Debits, credits and balance of every account of every fund",
    responses=problem_responses(Forbidden),
)
async def trial_balance(principal: LedgerRead, repo: LedgerRepositoryDep) -> TrialBalanceRead:
    balance = await service.trial_balance(repo, principal.organisation_id)
    return TrialBalanceRead(
        rows=[
            TrialBalanceRow(
                account=row.account,
                fund_id=row.fund_id,
                debit=MoneyOut.from_minor(row.debit_minor, row.currency),
                credit=MoneyOut.from_minor(row.credit_minor, row.currency),
                balance=MoneyOut.from_minor(row.debit_minor - row.credit_minor, row.currency),
            )
            for row in balance.rows
        ],
        totals=[
            CurrencyTotal(
                currency=currency,
                debit=MoneyOut.from_minor(debit, currency),
                credit=MoneyOut.from_minor(credit, currency),
            )
            for currency, (debit, credit) in balance.totals.items()
        ],
        head_seq=balance.head_seq,
        head_hash=balance.head_hash,
    )


@router.get(
    "/entries",
    response_model=Page[EntryRead],
    summary="List journal entries, newest first",
    responses=problem_responses(Forbidden, Unprocessable),
)
async def list_entries(
    principal: LedgerRead,
    repo: LedgerRepositoryDep,
    params: PageParamsDep,
    fund_id: Annotated[
        uuid.UUID | None, Query(description="only entries of this campaign or fund")
    ] = None,
) -> Page[EntryRead]:
    rows, lines = await service.list_entries(repo, principal.organisation_id, params, fund_id)
    return params.page(rows, lambda e: entry_read(e, lines.get(e.id, [])))


@router.get(
    "/entries/{entry_id}",
    response_model=EntryRead,
    summary="Read one journal entry with its lines",
    responses=problem_responses(Forbidden, EntryNotFound),
)
async def get_entry(
    principal: LedgerRead, entry_id: uuid.UUID, repo: LedgerRepositoryDep
) -> EntryRead:
    entry, lines = await service.get_entry(repo, principal.organisation_id, entry_id)
    return entry_read(entry, lines)
