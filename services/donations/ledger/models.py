"""The journal and what is derived from it.

Amounts are signed minor units: a debit is positive, a credit negative, so every entry's
lines sum to zero per currency. Each line names an account and a *fund*: the campaign whose
restricted money it moves, or the foundation's own id for its unrestricted fund.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import IdMixin, UTCDateTime
from services.donations.base import Base

GENESIS_HASH = "0" * 64
# The prev_hash of the entries posted since the transparency log replaced the hash chain:
# they link to nothing (the log orders them) and their hash is their leaf hash.
LOG_ERA = ""


class Account(enum.StrEnum):
    """The fixed accounts; expense categories are ``expense:<category>`` (see
    :func:`expense_account`)."""

    CASH = "cash"  # asset: money held
    STOCK = "stock"  # asset: value of the goods held, at cost or fair value
    DONATIONS = "donations"  # income: money donations (refunds debit it)
    IN_KIND = "in_kind"  # income: fair value of donated goods
    GRANTS_RECEIVED = "grants_received"  # income: grants from other foundations
    GRANTS_PAID = "grants_paid"  # expense: grants to partner organisations
    DISTRIBUTED = "distributed"  # expense: value of goods given out
    EXCHANGE = "exchange"  # clearing account of currency conversions


EXPENSE_PREFIX = "expense:"

# Asset accounts never go below zero: no fund spends money or goods it does not hold.
GUARDED_ACCOUNTS = frozenset({Account.CASH.value, Account.STOCK.value})


def expense_account(category: str) -> str:
    return f"{EXPENSE_PREFIX}{category}"


class EntryKind(enum.StrEnum):
    DONATION = "donation"
    REFUND = "refund"
    IN_KIND = "in_kind"
    PURCHASE = "purchase"
    DISTRIBUTION = "distribution"
    EXPENSE = "expense"
    GRANT_RECEIVED = "grant_received"
    GRANT_PAID = "grant_paid"
    CONVERSION = "conversion"


class JournalEntry(IdMixin, Base):
    """One money movement. Never updated, never deleted. ``hash`` is the entry's leaf hash
    in the transparency log (``ledger.leaf``), so a changed row no longer matches it or the
    log; entries of the hash-chain era hash their lines and ``prev_hash`` instead."""

    __tablename__ = "journal_entries"
    __table_args__ = (UniqueConstraint("foundation_id", "seq"),)

    foundation_id: Mapped[uuid.UUID]
    seq: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(32))
    # The campaign (or the foundation, for the unrestricted fund) the entry is about.
    fund_id: Mapped[uuid.UUID] = mapped_column(index=True)
    # The record that caused it: the donation, refund, purchase, ...
    source_id: Mapped[uuid.UUID] = mapped_column(index=True)
    memo: Mapped[str] = mapped_column(Text, default="")
    posted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class JournalLine(Base):
    __tablename__ = "journal_lines"
    __table_args__ = (Index("ix_journal_lines_entry_id", "entry_id"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    entry_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("journal_entries.id"))
    # Lines are kept in the order the entry listed them; the hash covers that order.
    position: Mapped[int] = mapped_column(Integer)
    account: Mapped[str] = mapped_column(String(80))
    fund_id: Mapped[uuid.UUID]
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)


class LedgerHead(Base):
    """The end of a foundation's hash chain, as it stood when the transparency log
    replaced it (the chain's last entry); no longer moves."""

    __tablename__ = "ledger_heads"

    foundation_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    hash: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH)


class LedgerTotal(Base):
    """Running totals per (fund, account, entry kind, currency) of the entries in the
    foundation's transparency log, kept by its sequencer in the transaction that integrates
    them: so a report's figures and the head it names always agree, and a posting writes
    no row that another posting writes. Balances add the lines of the entries still queued
    (``LedgerRepository.balances``); ``ledger/verify`` recomputes these from the lines and
    reports any difference."""

    __tablename__ = "ledger_totals"

    foundation_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    fund_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(80), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    debit_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    credit_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    debit_count: Mapped[int] = mapped_column(BigInteger, default=0)
    credit_count: Mapped[int] = mapped_column(BigInteger, default=0)


class Conversion(IdMixin, Base):
    """Money of a fund changed from one currency to another at a recorded rate."""

    __tablename__ = "conversions"

    foundation_id: Mapped[uuid.UUID] = mapped_column(index=True)
    fund_id: Mapped[uuid.UUID]
    from_minor: Mapped[int] = mapped_column(BigInteger)
    from_currency: Mapped[str] = mapped_column(String(3))
    to_minor: Mapped[int] = mapped_column(BigInteger)
    to_currency: Mapped[str] = mapped_column(String(3))
    # A decimal string: the number of `to` major units per `from` major unit. Never a float.
    rate: Mapped[str] = mapped_column(String(40))
    rate_source: Mapped[str] = mapped_column(String(200))
    rate_date: Mapped[dt.date] = mapped_column(Date)
    converted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    entry_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("journal_entries.id"))


class LogQueue(Base):
    """A journal entry committed but not yet in the transparency log
    (``services.donations.log``). Written in the entry's own transaction: recording an
    entry takes no lock of the log's; its sequencer takes rows in ``id`` order and deletes
    them as it integrates them, in one transaction with the new leaves."""

    __tablename__ = "log_queue"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    foundation_id: Mapped[uuid.UUID]
    entry_id: Mapped[uuid.UUID] = mapped_column(unique=True)
