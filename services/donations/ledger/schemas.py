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
    seq: int = Field(
        description="orders the foundation's entries as recorded (ascending, may skip); "
        "the entry's place in the transparency log is its leaf index"
    )
    kind: str
    fund_id: uuid.UUID
    source_id: uuid.UUID = Field(description="the donation, refund, purchase, ... it records")
    memo: str
    posted_at: dt.datetime
    prev_hash: str = Field(
        description="empty; entries of the hash-chain era (before the transparency log) "
        "carry the hash of the entry before them"
    )
    hash: str = Field(
        description="the entry's leaf hash in the transparency log (hex): SHA-256 of 0x00 "
        "and its canonical form (docs/ledger.md); chained for entries of the chain's era"
    )
    lines: list[LineRead]


class ChainBreakRead(BaseModel):
    seq: int = Field(description="the entry that breaks; 0 for a totals mismatch")
    entry_id: uuid.UUID | None
    reason: str


class VerificationRead(BaseModel):
    valid: bool
    entries: int = Field(description="entries checked")
    head_seq: int
    head_hash: str = Field(
        description="the hash of the last entry checked; pass it with head_seq as "
        "after_hash and after_seq to check only what follows next time"
    )
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
