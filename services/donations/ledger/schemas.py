from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, Field

from kit.money import Currency, MoneyOut


class LineRead(BaseModel):
    account: str
    fund_id: uuid.UUID = Field(
        description="the campaign, or the foundation for its unrestricted fund"
    )
    debit: MoneyOut | None
    credit: MoneyOut | None


class EntryRead(BaseModel):
    id: uuid.UUID
    seq: int = Field(description="position in the foundation's chain, from 1")
    kind: str
    fund_id: uuid.UUID
    source_id: uuid.UUID = Field(description="the donation, refund, purchase, ... it records")
    memo: str
    posted_at: dt.datetime
    prev_hash: str
    hash: str
    lines: list[LineRead]


class ChainBreakRead(BaseModel):
    seq: int = Field(description="the entry where the chain breaks; 0 for a totals mismatch")
    entry_id: uuid.UUID | None
    reason: str


class VerificationRead(BaseModel):
    valid: bool
    entries: int = Field(description="entries checked")
    head_seq: int
    head_hash: str = Field(description="SHA-256 of the last entry; publish it to pin history")
    breaks: list[ChainBreakRead]


class TrialBalanceRow(BaseModel):
    account: str
    fund_id: uuid.UUID
    debit: MoneyOut
    credit: MoneyOut
    balance: MoneyOut = Field(description="debit minus credit")


class CurrencyTotal(BaseModel):
    currency: Currency
    debit: MoneyOut
    credit: MoneyOut


class TrialBalanceRead(BaseModel):
    rows: list[TrialBalanceRow]
    totals: list[CurrencyTotal] = Field(description="debits equal credits in every currency")
    head_seq: int
    head_hash: str
