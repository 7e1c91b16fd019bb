"""Posting to the ledger, and checking it. Never commits: the request's session does.

Every money movement of the service goes through :func:`post` (or :func:`post_many`, for
several at once, e.g. an import), which

1. for a spend (an entry that takes from a fund's cash or stock), holds that fund's
   balances against other spends and refuses it if it would take them below zero;
2. appends the entry and its lines, numbered and hashed as the transparency log will
   publish it (its leaf hash);
3. queues it for the log's sequencer, which integrates it into the foundation's log and
   adds it to the running totals, in batches, well under a second later.

So a credit (a donation, a grant received, goods given) is three inserts: it takes no
lock that another posting of the foundation takes, and waits for none. Only spends of one
fund wait for each other. Balances count every committed entry, integrated or queued (see
``LedgerRepository.balances``), so a spend never misses one.

Entries posted before the log replaced the hash chain keep their chained ``prev_hash`` and
``hash``; :func:`verify` checks both kinds.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from kit.db import utcnow
from kit.ids import new_id
from kit.money import format_minor
from kit.pagination import PageParams
from services.donations.ledger.chain import Posting, canonical, entry_hash
from services.donations.ledger.exceptions import (
    EntryNotFound,
    InsufficientFunds,
    InsufficientStock,
)
from services.donations.ledger.leaf import EntryFields, LineFields, entry_leaf_hash
from services.donations.ledger.models import (
    GENESIS_HASH,
    GUARDED_ACCOUNTS,
    LOG_ERA,
    Account,
    JournalEntry,
    JournalLine,
)
from services.donations.ledger.repository import LedgerRepository


class EntryLike(EntryFields, Protocol):
    """A journal entry as stored: the ORM object, or a plain row of the table."""

    seq: int
    prev_hash: str
    hash: str


class UnbalancedEntry(ValueError):
    """A programming error: an entry whose lines do not sum to zero per currency."""


def check_balanced(lines: Sequence[Posting]) -> None:
    if not lines:
        raise UnbalancedEntry("an entry needs lines")
    sums: dict[str, int] = defaultdict(int)
    for line in lines:
        if line.amount_minor == 0:
            raise UnbalancedEntry(f"zero line on {line.account}")
        sums[line.currency] += line.amount_minor
    unbalanced = {c: s for c, s in sums.items() if s != 0}
    if unbalanced:
        raise UnbalancedEntry(f"lines do not sum to zero: {unbalanced}")


@dataclass(frozen=True, slots=True)
class NewEntry:
    """One entry to append with :func:`post_many`: what :func:`post` takes as keywords."""

    kind: str
    fund_id: uuid.UUID
    source_id: uuid.UUID
    lines: Sequence[Posting]
    memo: str = ""


async def post(
    repo: LedgerRepository,
    foundation_id: uuid.UUID,
    *,
    kind: str,
    fund_id: uuid.UUID,
    source_id: uuid.UUID,
    lines: Sequence[Posting],
    memo: str = "",
) -> JournalEntry:
    """Append one balanced entry to the foundation's journal (see the module's docstring)."""
    [entry] = await post_many(
        repo, foundation_id, [NewEntry(kind, fund_id, source_id, lines, memo)]
    )
    return entry


async def post_many(
    repo: LedgerRepository, foundation_id: uuid.UUID, entries: Sequence[NewEntry]
) -> list[JournalEntry]:
    """Append several entries, in the given order, exactly as that many calls of
    :func:`post` would (ascending numbers, the same hashes), with a constant number of
    statements: the spent funds' holds, one read of their balances, and one statement that
    numbers and stores the entries, their lines and their queue rows (four on SQLite).

    The guard on cash and stock is checked entry by entry: if any entry would take a fund
    below zero at its place in the sequence, nothing is posted and that entry's
    ``InsufficientFunds``/``InsufficientStock`` is raised. Answers the entries in order."""
    if not entries:
        return []
    for new in entries:
        check_balanced(new.lines)
    await _guard(repo, foundation_id, entries)
    posted_at = utcnow()
    posted: list[tuple[JournalEntry, Sequence[Posting]]] = []
    for new in entries:
        entry = JournalEntry(
            id=new_id(),
            foundation_id=foundation_id,
            kind=new.kind,
            fund_id=new.fund_id,
            source_id=new.source_id,
            memo=new.memo,
            posted_at=posted_at,
            prev_hash=LOG_ERA,
        )
        entry.hash = entry_leaf_hash(entry, new.lines).hex()
        posted.append((entry, new.lines))
    # Numbered as they are stored: the leaf hash does not cover the number.
    await repo.append(foundation_id, posted)
    return [entry for entry, _ in posted]


async def _guard(
    repo: LedgerRepository, foundation_id: uuid.UUID, entries: Sequence[NewEntry]
) -> None:
    """Refuse the first entry that would take a fund's cash or stock below zero, given the
    balances (held against other spends until commit) and the entries before it."""
    nets: list[dict[tuple[uuid.UUID, str, str], int]] = []
    for new in entries:
        net: dict[tuple[uuid.UUID, str, str], int] = defaultdict(int)
        for line in new.lines:
            if line.account in GUARDED_ACCOUNTS:
                net[(line.fund_id, line.account, line.currency)] += line.amount_minor
        nets.append(net)
    # Only a balance that some entry takes from can go below zero.
    watched = sorted({key for net in nets for key, v in net.items() if v < 0}, key=str)
    if not watched:
        return
    await repo.hold_balances(key[0] for key in watched)
    held = await repo.balances(foundation_id, watched)
    for net in nets:
        for key, amount in net.items():
            if key not in held:
                continue
            if amount < 0 and held[key] + amount < 0:
                fund, account, currency = key
                needed = format_minor(-amount, currency)
                has = format_minor(held[key], currency)
                if account == Account.STOCK:
                    raise InsufficientStock(
                        f"the goods of fund {fund} are worth {has} {currency}; "
                        f"this takes {needed} {currency}"
                    )
                raise InsufficientFunds(
                    f"fund {fund} holds {has} {currency}; this needs {needed} {currency}"
                )
            held[key] += amount


def _canonical(entry: EntryLike, lines: Sequence[Posting]) -> bytes:
    return canonical(
        foundation_id=entry.foundation_id,
        seq=entry.seq,
        entry_id=entry.id,
        kind=entry.kind,
        fund_id=entry.fund_id,
        source_id=entry.source_id,
        memo=entry.memo,
        posted_at=entry.posted_at,
        lines=lines,
    )


def postings(lines: Sequence[LineFields]) -> list[Posting]:
    return [Posting(ln.account, ln.fund_id, ln.currency, ln.amount_minor) for ln in lines]


@dataclass(frozen=True, slots=True)
class ChainBreak:
    seq: int
    entry_id: uuid.UUID | None
    reason: str


@dataclass(frozen=True, slots=True)
class Verification:
    entries: int
    head_seq: int
    head_hash: str
    breaks: list[ChainBreak]

    @property
    def valid(self) -> bool:
        return not self.breaks


async def verify(
    repo: LedgerRepository,
    foundation_id: uuid.UUID,
    *,
    after_seq: int = 0,
    after_hash: str | None = None,
) -> Verification:
    """Walk the foundation's journal from the start (or from entry ``after_seq``, trusted
    to hash to ``after_hash``): every entry balanced and hashing to what it says. Entries of
    the hash-chain era (before the transparency log) must also be numbered one after the
    other and linked to the hash before them, and the old chain head must agree with the
    last of them; entries since carry their leaf hash, and the log proves their order (see
    ``fnet verify``). The sequencer's running totals must equal the sums of the lines of
    the entries it integrated. Reports the first broken entry (everything after it is
    suspect) and every totals mismatch."""
    breaks: list[ChainBreak] = []
    expected_prev: str | None = after_hash or GENESIS_HASH
    expected_seq = after_seq + 1
    last_seq, last_hash = after_seq, after_hash or GENESIS_HASH
    count = 0
    if after_seq:
        anchor = await repo.entry_at(foundation_id, after_seq)
        if anchor is None or anchor.hash != after_hash:
            found = "is missing" if anchor is None else "carries another hash"
            breaks.append(
                ChainBreak(
                    after_seq,
                    anchor.id if anchor else None,
                    f"entry {after_seq} {found} than the trusted one (history was rewritten)",
                )
            )
        elif anchor.prev_hash == LOG_ERA:
            expected_prev = None
    async for entry, lines in repo.chain(foundation_id, after=after_seq):
        if breaks:
            break
        count += 1
        if expected_prev is not None and entry.prev_hash == LOG_ERA:
            # The first entry of the log's era: the chain ended with the one before.
            await _check_chain_head(repo, foundation_id, last_seq, last_hash, breaks)
            expected_prev = None
        reason = _entry_problem(entry, lines, expected_seq, expected_prev)
        if reason is not None:
            breaks.append(ChainBreak(entry.seq, entry.id, reason))
            break
        if expected_prev is not None:
            expected_prev = entry.hash
            expected_seq += 1
        last_seq, last_hash = entry.seq, entry.hash
    if not breaks and expected_prev is not None:
        await _check_chain_head(repo, foundation_id, last_seq, last_hash, breaks)
    breaks.extend(await _totals_problems(repo, foundation_id))
    return Verification(count, last_seq, last_hash, breaks)


async def _check_chain_head(
    repo: LedgerRepository,
    foundation_id: uuid.UUID,
    seq: int,
    hash_: str,
    breaks: list[ChainBreak],
) -> None:
    head = await repo.chain_head(foundation_id)
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
    if head_seq > seq:
        breaks.append(ChainBreak(head_seq, None, f"the chain ends before entry {head_seq}"))
    elif (head_seq, head_hash) != (seq, hash_):
        breaks.append(ChainBreak(head_seq, None, "the chain head does not match the last entry"))


def _entry_problem(
    entry: EntryLike, lines: Sequence[LineFields], seq: int, prev_hash: str | None
) -> str | None:
    """What is wrong with the entry: of the chain's era if ``prev_hash`` (the hash it must
    link to; numbered ``seq``), else of the log's."""
    as_postings = postings(lines)
    if prev_hash is None:
        if entry.prev_hash != LOG_ERA:
            return "an entry of the hash chain after the chain ended"
        if entry.seq < seq:
            return f"entry number {entry.seq} is out of order"
    elif entry.seq != seq:
        return f"expected entry number {seq}, found {entry.seq} (an entry is missing)"
    elif entry.prev_hash != prev_hash:
        return "prev_hash is not the hash of the entry before"
    try:
        check_balanced(as_postings)
    except UnbalancedEntry as exc:
        return f"the entry does not balance: {exc}"
    if prev_hash is None:
        if entry_leaf_hash(entry, lines).hex() != entry.hash:
            return "the entry or its lines were changed after posting (hash mismatch)"
    elif entry_hash(prev_hash, _canonical(entry, as_postings)) != entry.hash:
        return "the entry or its lines were changed after posting (hash mismatch)"
    return None


async def _totals_problems(repo: LedgerRepository, foundation_id: uuid.UUID) -> list[ChainBreak]:
    stored, from_lines = await repo.totals_and_lines(foundation_id)
    problems = []
    for key in sorted(set(from_lines) | set(stored), key=str):
        if from_lines.get(key, (0, 0, 0, 0)) != stored.get(key, (0, 0, 0, 0)):
            fund, account, kind, currency = key
            problems.append(
                ChainBreak(
                    0,
                    None,
                    f"running totals of {account} ({kind}, {currency}) in fund {fund} "
                    "differ from the journal lines of the entries in the log",
                )
            )
    return problems


async def get_entry(
    repo: LedgerRepository, foundation_id: uuid.UUID, entry_id: uuid.UUID
) -> tuple[JournalEntry, list[JournalLine]]:
    entry = await repo.get_entry(foundation_id, entry_id)
    if entry is None:
        raise EntryNotFound(f"no journal entry {entry_id}")
    return entry, (await repo.lines([entry.id])).get(entry.id, [])


async def list_entries(
    repo: LedgerRepository,
    foundation_id: uuid.UUID,
    params: PageParams,
    fund_id: uuid.UUID | None = None,
) -> tuple[Sequence[JournalEntry], dict[uuid.UUID, list[JournalLine]]]:
    """A page of the foundation's entries (of one fund, if given), with their lines."""
    entries = await repo.list_entries(foundation_id, params, fund_id)
    return entries, await repo.lines([e.id for e in entries[: params.limit]])


@dataclass(frozen=True, slots=True)
class TrialBalanceLine:
    account: str
    fund_id: uuid.UUID
    currency: str
    debit_minor: int
    credit_minor: int


@dataclass(frozen=True, slots=True)
class TrialBalance:
    rows: list[TrialBalanceLine]
    totals: dict[str, tuple[int, int]]  # currency: (debit, credit), sorted by currency
    head_seq: int
    head_hash: str


async def trial_balance(repo: LedgerRepository, foundation_id: uuid.UUID) -> TrialBalance:
    """Debits and credits of every account of every fund, from the running totals, and
    their sums per currency (equal, in a sound ledger)."""
    sums: dict[tuple[str, uuid.UUID, str], list[int]] = defaultdict(lambda: [0, 0])
    for total in await repo.totals(foundation_id):
        acc = sums[(total.account, total.fund_id, total.currency)]
        acc[0] += total.debit_minor
        acc[1] += total.credit_minor
    per_currency: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    rows = []
    for (account, fund_id, currency), (debit, credit) in sorted(sums.items(), key=str):
        per_currency[currency][0] += debit
        per_currency[currency][1] += credit
        rows.append(TrialBalanceLine(account, fund_id, currency, debit, credit))
    last = await repo.last_entry(foundation_id)
    return TrialBalance(
        rows=rows,
        totals={c: (d, k) for c, (d, k) in sorted(per_currency.items())},
        head_seq=last.seq if last else 0,
        head_hash=last.hash if last else GENESIS_HASH,
    )
