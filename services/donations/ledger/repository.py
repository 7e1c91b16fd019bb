from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import (
    Row,
    Select,
    Table,
    bindparam,
    func,
    insert,
    literal,
    select,
    text,
    union_all,
)

from kit.pagination import PageParams
from kit.repository import Repository, Upsert
from services.donations.ledger.chain import Posting
from services.donations.ledger.leaf import LineFields
from services.donations.ledger.models import (
    JournalEntry,
    JournalLine,
    LedgerHead,
    LedgerTotal,
    LogQueue,
)

VERIFY_BATCH = 2000

# (fund, account, entry kind, currency): the key of a running total.
TotalKey = tuple[uuid.UUID, str, str, str]


@dataclass(slots=True)
class Totals:
    """What a posting adds to one running total."""

    debit_minor: int = 0
    credit_minor: int = 0
    debit_count: int = 0
    credit_count: int = 0


def add_lines(sums: dict[TotalKey, Totals], kind: str, lines: Iterable[LineFields]) -> None:
    """Add an entry's lines (of kind ``kind``) to running totals."""
    for line in lines:
        total = sums[(line.fund_id, line.account, kind, line.currency)]
        if line.amount_minor > 0:
            total.debit_minor += line.amount_minor
            total.debit_count += 1
        else:
            total.credit_minor -= line.amount_minor
            total.credit_count += 1


# The statements of every posting, built once: SQLAlchemy then compiles each only once.
# Numbers from a PostgreSQL sequence: taking one locks nothing (on SQLite the write lock
# every write transaction takes serialises postings anyway, so the next number is max + 1).
_NEXT_SEQS = text("SELECT nextval('journal_entry_seq') FROM generate_series(1, :n)")
_LAST_SEQ = select(func.coalesce(func.max(JournalEntry.seq), 0)).where(
    JournalEntry.foundation_id == bindparam("f")
)
# A spend's hold on a fund's balances: (namespace, hash of the fund), a key space of its
# own (PostgreSQL's two-key advisory locks never meet its one-key ones).
BALANCE_LOCK_SPACE = 0x666E6574  # "fnet"
_LOCK_BALANCE = text("SELECT pg_advisory_xact_lock(:space, :key)")
# Of the tables, not the mapped classes: an insert of many rows then skips the ORM's work
# per row (a third of the time of 10,000 entries).
_INSERT_ENTRY = insert(cast(Table, JournalEntry.__table__))
_INSERT_LINES = insert(cast(Table, JournalLine.__table__))

# PostgreSQL appends entries in one round trip: numbered from the sequence in the given
# order (a volatile function in the select list is evaluated after its ORDER BY), with their
# lines and log queue rows. The lines' and the queue's foreign keys are checked at the end
# of the statement, when the entries are in.
_APPEND_PG = text(
    """
    WITH new AS (
        SELECT * FROM unnest(
            CAST(:ids AS uuid[]), CAST(:kinds AS varchar[]), CAST(:funds AS uuid[]),
            CAST(:sources AS uuid[]), CAST(:memos AS text[]), CAST(:hashes AS varchar[])
        ) WITH ORDINALITY AS e(id, kind, fund_id, source_id, memo, hash, n)
    ), entries AS (
        INSERT INTO journal_entries
            (id, foundation_id, seq, kind, fund_id, source_id, memo, posted_at, prev_hash, hash)
        SELECT id, CAST(:foundation_id AS uuid), nextval('journal_entry_seq'), kind, fund_id,
               source_id, memo, CAST(:posted_at AS timestamptz), CAST(:prev_hash AS varchar),
               hash
        FROM new ORDER BY n
        RETURNING id, seq
    ), lines AS (
        INSERT INTO journal_lines (entry_id, position, account, fund_id, currency, amount_minor)
        SELECT * FROM unnest(
            CAST(:line_entries AS uuid[]), CAST(:positions AS integer[]),
            CAST(:accounts AS varchar[]), CAST(:line_funds AS uuid[]),
            CAST(:currencies AS varchar[]), CAST(:amounts AS bigint[])
        )
    ), queued AS (
        INSERT INTO log_queue (foundation_id, entry_id)
        SELECT CAST(:foundation_id AS uuid), id FROM new ORDER BY n
    )
    SELECT id, seq FROM entries
    """
)


def _add_totals(insert: Any) -> Any:
    stmt = insert(LedgerTotal)
    return stmt.on_conflict_do_update(
        index_elements=["foundation_id", "fund_id", "account", "kind", "currency"],
        set_={
            "debit_minor": LedgerTotal.debit_minor + stmt.excluded.debit_minor,
            "credit_minor": LedgerTotal.credit_minor + stmt.excluded.credit_minor,
            "debit_count": LedgerTotal.debit_count + stmt.excluded.debit_count,
            "credit_count": LedgerTotal.credit_count + stmt.excluded.credit_count,
        },
    )


_ADD_TOTALS = Upsert(_add_totals)


def balance_lock_key(fund_id: uuid.UUID) -> int:
    digest = hashlib.blake2b(b"fnet.balance:" + fund_id.bytes, digest_size=4).digest()
    return int.from_bytes(digest, "big", signed=True)


# A running total's columns, (fund, account, kind, currency, debit, credit, debit count,
# credit count): as stored, and as summed from journal lines (``group_by(*LINE_KEY)``).
TOTAL_COLUMNS = (
    LedgerTotal.fund_id,
    LedgerTotal.account,
    LedgerTotal.kind,
    LedgerTotal.currency,
    LedgerTotal.debit_minor,
    LedgerTotal.credit_minor,
    LedgerTotal.debit_count,
    LedgerTotal.credit_count,
)
LINE_KEY = (JournalLine.fund_id, JournalLine.account, JournalEntry.kind, JournalLine.currency)
LINE_SUMS = (
    *LINE_KEY,
    func.coalesce(func.sum(JournalLine.amount_minor).filter(JournalLine.amount_minor > 0), 0),
    func.coalesce(func.sum(-JournalLine.amount_minor).filter(JournalLine.amount_minor < 0), 0),
    func.count().filter(JournalLine.amount_minor > 0),
    func.count().filter(JournalLine.amount_minor < 0),
)


def live_totals(
    foundation_id: uuid.UUID | None,
    funds: Iterable[uuid.UUID] | None = None,
    accounts: Iterable[str] | None = None,
) -> Select[Any]:
    """Running totals of every committed entry, one row per (fund, account, kind,
    currency): what the sequencer has summed (``ledger_totals``, as of the log's head) plus
    the lines of the entries still queued for it. One statement, so one snapshot: an
    entry the sequencer integrates meanwhile is counted once, on one side or the other."""
    stored = select(*TOTAL_COLUMNS)
    queued = (
        select(*LINE_SUMS)
        .select_from(LogQueue)
        .join(JournalEntry, JournalEntry.id == LogQueue.entry_id)
        .join(JournalLine, JournalLine.entry_id == LogQueue.entry_id)
        .group_by(*LINE_KEY)
    )
    if foundation_id is not None:
        stored = stored.where(LedgerTotal.foundation_id == foundation_id)
        queued = queued.where(LogQueue.foundation_id == foundation_id)
    if funds is not None:
        fund_list = list(funds)
        stored = stored.where(LedgerTotal.fund_id.in_(fund_list))
        queued = queued.where(JournalLine.fund_id.in_(fund_list))
    if accounts is not None:
        account_list = list(accounts)
        stored = stored.where(LedgerTotal.account.in_(account_list))
        queued = queued.where(JournalLine.account.in_(account_list))
    both = union_all(stored, queued).subquery()
    c = both.c
    return select(
        c.fund_id,
        c.account,
        c.kind,
        c.currency,
        func.sum(c.debit_minor),
        func.sum(c.credit_minor),
        func.sum(c.debit_count),
        func.sum(c.credit_count),
    ).group_by(c.fund_id, c.account, c.kind, c.currency)


@dataclass(frozen=True, slots=True)
class TotalRow:
    """A running total of :func:`live_totals`."""

    fund_id: uuid.UUID
    account: str
    kind: str
    currency: str
    debit_minor: int
    credit_minor: int
    debit_count: int
    credit_count: int


class LedgerRepository(Repository[JournalEntry]):
    model = JournalEntry

    async def next_seqs(self, foundation_id: uuid.UUID, count: int) -> list[int]:
        """``count`` new entry numbers, ascending. They order a foundation's entries as
        they were recorded; on PostgreSQL they come from one sequence for all foundations,
        so a foundation's numbers may skip (its log's leaf index is the gapless one)."""
        if self.session.get_bind().dialect.name == "postgresql":
            rows = await self.session.execute(_NEXT_SEQS, {"n": count})
            return sorted(int(row[0]) for row in rows)
        last = int((await self.session.execute(_LAST_SEQ, {"f": foundation_id})).scalar_one())
        return list(range(last + 1, last + 1 + count))

    async def hold_balances(self, funds: Iterable[uuid.UUID]) -> None:
        """Hold the funds' balances until commit, against every other spend of them (not
        against credits, which only add). In ascending order, so two spends never wait
        for each other. On SQLite the write lock of the transaction holds everything."""
        if self.session.get_bind().dialect.name != "postgresql":
            return
        for key in sorted({balance_lock_key(fund) for fund in funds}):
            await self.session.execute(_LOCK_BALANCE, {"space": BALANCE_LOCK_SPACE, "key": key})

    async def balances(
        self, foundation_id: uuid.UUID, keys: Sequence[tuple[uuid.UUID, str, str]]
    ) -> dict[tuple[uuid.UUID, str, str], int]:
        """Debit-positive balances of (fund, account, currency) keys; absent keys are 0."""
        if not keys:
            return {}
        stmt = live_totals(foundation_id, {k[0] for k in keys}, {k[1] for k in keys})
        found: dict[tuple[uuid.UUID, str, str], int] = defaultdict(int)
        for row in await self.session.execute(stmt):
            found[(row[0], row[1], row[3])] += int(row[4]) - int(row[5])
        return {key: found.get(key, 0) for key in keys}

    async def append(
        self, foundation_id: uuid.UUID, entries: Sequence[tuple[JournalEntry, Sequence[Posting]]]
    ) -> None:
        """Number the foundation's new entries (ascending, in the given order), store them
        and their lines, and queue them for the transparency log. On PostgreSQL one
        statement, one round trip (a donation's recording is a dozen, and each costs more
        in the drivers than in the database); elsewhere four."""
        if not entries:
            return
        if self.session.get_bind().dialect.name != "postgresql":
            for (entry, _), seq in zip(
                entries, await self.next_seqs(foundation_id, len(entries)), strict=True
            ):
                entry.seq = seq
            await self.add_entries(entries)
            await self.queue_for_log(foundation_id, [entry.id for entry, _ in entries])
            return
        first = entries[0][0]
        lines = [(entry.id, i, line) for entry, ls in entries for i, line in enumerate(ls)]
        params = {
            "foundation_id": foundation_id,
            "posted_at": first.posted_at,
            "prev_hash": first.prev_hash,
            "ids": [entry.id for entry, _ in entries],
            "kinds": [entry.kind for entry, _ in entries],
            "funds": [entry.fund_id for entry, _ in entries],
            "sources": [entry.source_id for entry, _ in entries],
            "memos": [entry.memo for entry, _ in entries],
            "hashes": [entry.hash for entry, _ in entries],
            "line_entries": [entry_id for entry_id, _, _ in lines],
            "positions": [i for _, i, _ in lines],
            "accounts": [line.account for _, _, line in lines],
            "line_funds": [line.fund_id for _, _, line in lines],
            "currencies": [line.currency for _, _, line in lines],
            "amounts": [line.amount_minor for _, _, line in lines],
        }
        appended = await self.session.execute(_APPEND_PG, params)
        seqs = {row[0]: row[1] for row in appended}
        for entry, _ in entries:
            entry.seq = int(seqs[entry.id])

    async def add_entries(self, entries: Sequence[tuple[JournalEntry, Sequence[Posting]]]) -> None:
        """Insert the entries, then all their lines: one statement each, however many."""
        await self.session.execute(
            _INSERT_ENTRY,
            [
                {
                    "id": entry.id,
                    "foundation_id": entry.foundation_id,
                    "seq": entry.seq,
                    "kind": entry.kind,
                    "fund_id": entry.fund_id,
                    "source_id": entry.source_id,
                    "memo": entry.memo,
                    "posted_at": entry.posted_at,
                    "prev_hash": entry.prev_hash,
                    "hash": entry.hash,
                }
                for entry, _ in entries
            ],
        )
        await self.session.execute(
            _INSERT_LINES,
            [
                {
                    "entry_id": entry.id,
                    "position": i,
                    "account": line.account,
                    "fund_id": line.fund_id,
                    "currency": line.currency,
                    "amount_minor": line.amount_minor,
                }
                for entry, lines in entries
                for i, line in enumerate(lines)
            ],
        )

    async def add_totals(self, sums: Mapping[uuid.UUID, Mapping[TotalKey, Totals]]) -> None:
        """Add to the running totals of each foundation: one upsert per (foundation, fund,
        account, kind, currency)."""
        stmt = _ADD_TOTALS.of(self.session)
        # Sorted, so that two writers never lock the same rows in opposite orders; sent as
        # one executemany (asyncpg pipelines it: one round trip for all of them).
        params = [
            {
                "foundation_id": foundation_id,
                "fund_id": fund_id,
                "account": account,
                "kind": kind,
                "currency": currency,
                "debit_minor": v.debit_minor,
                "credit_minor": v.credit_minor,
                "debit_count": v.debit_count,
                "credit_count": v.credit_count,
            }
            for foundation_id in sorted(sums, key=str)
            for (fund_id, account, kind, currency), v in sorted(
                sums[foundation_id].items(),
                key=lambda kv: (str(kv[0][0]), kv[0][1], kv[0][2], kv[0][3]),
            )
        ]
        if params:
            await self.session.execute(stmt, params)

    async def totals(
        self, foundation_id: uuid.UUID, fund_id: uuid.UUID | None = None
    ) -> list[TotalRow]:
        """The running totals of every committed entry (:func:`live_totals`)."""
        stmt = live_totals(foundation_id, None if fund_id is None else [fund_id])
        return [
            TotalRow(r[0], r[1], r[2], r[3], int(r[4]), int(r[5]), int(r[6]), int(r[7]))
            for r in await self.session.execute(stmt)
        ]

    async def totals_and_lines(
        self, foundation_id: uuid.UUID
    ) -> tuple[
        dict[TotalKey, tuple[int, int, int, int]], dict[TotalKey, tuple[int, int, int, int]]
    ]:
        """The totals the sequencer keeps (of the entries in the log), and the same summed
        from those entries' journal lines, to check one against the other. One statement,
        so one snapshot: a batch the sequencer integrates meanwhile is on both sides or on
        neither."""
        stored = select(literal("stored"), *TOTAL_COLUMNS).where(
            LedgerTotal.foundation_id == foundation_id
        )
        from_lines = (
            select(literal("lines"), *LINE_SUMS)
            .select_from(JournalLine)
            .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
            # Every entry is queued for the log or in it.
            .outerjoin(LogQueue, LogQueue.entry_id == JournalEntry.id)
            .where(JournalEntry.foundation_id == foundation_id, LogQueue.id.is_(None))
            .group_by(*LINE_KEY)
        )
        sides: dict[str, dict[TotalKey, tuple[int, int, int, int]]] = {"stored": {}, "lines": {}}
        for r in await self.session.execute(union_all(stored, from_lines)):
            sides[r[0]][(r[1], r[2], r[3], r[4])] = (int(r[5]), int(r[6]), int(r[7]), int(r[8]))
        return sides["stored"], sides["lines"]

    async def chain_head(self, foundation_id: uuid.UUID) -> LedgerHead | None:
        """Where the foundation's hash chain ended (see :class:`LedgerHead`)."""
        return await self.session.get(LedgerHead, foundation_id)

    async def last_entry(self, foundation_id: uuid.UUID) -> JournalEntry | None:
        stmt = (
            select(JournalEntry)
            .where(JournalEntry.foundation_id == foundation_id)
            .order_by(JournalEntry.seq.desc())
            .limit(1)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def entry_at(self, foundation_id: uuid.UUID, seq: int) -> JournalEntry | None:
        stmt = select(JournalEntry).where(
            JournalEntry.foundation_id == foundation_id, JournalEntry.seq == seq
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def chain(
        self, foundation_id: uuid.UUID, *, after: int = 0
    ) -> AsyncIterator[tuple[Row[Any], list[Row[Any]]]]:
        """Every entry of the foundation in chain order, with its lines, in batches. Plain
        rows, not ORM objects: verifying a long chain is mostly loading it, and building
        an ORM object per row costs more than hashing it. Starts after entry ``after``."""
        entries_table, lines_table = JournalEntry.__table__, JournalLine.__table__
        while True:
            entries = (
                await self.session.execute(
                    select(entries_table)
                    .where(
                        entries_table.c.foundation_id == foundation_id, entries_table.c.seq > after
                    )
                    .order_by(entries_table.c.seq)
                    .limit(VERIFY_BATCH)
                )
            ).all()
            if not entries:
                return
            lines: dict[uuid.UUID, list[Row[Any]]] = defaultdict(list)
            for line in await self.session.execute(
                select(lines_table)
                .where(lines_table.c.entry_id.in_([e.id for e in entries]))
                .order_by(lines_table.c.entry_id, lines_table.c.position)
            ):
                lines[line.entry_id].append(line)
            for entry in entries:
                yield entry, lines.get(entry.id, [])
            after = entries[-1].seq

    async def lines(self, entry_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[JournalLine]]:
        if not entry_ids:
            return {}
        stmt = (
            select(JournalLine)
            .where(JournalLine.entry_id.in_(entry_ids))
            .order_by(JournalLine.entry_id, JournalLine.position)
        )
        found: dict[uuid.UUID, list[JournalLine]] = defaultdict(list)
        for line in (await self.session.execute(stmt)).scalars():
            found[line.entry_id].append(line)
        return found

    async def list_entries(
        self, foundation_id: uuid.UUID, params: PageParams, fund_id: uuid.UUID | None
    ) -> Sequence[JournalEntry]:
        stmt = select(JournalEntry).where(JournalEntry.foundation_id == foundation_id)
        if fund_id is not None:
            stmt = stmt.where(JournalEntry.fund_id == fund_id)
        return await self.page(stmt, params)

    async def get_entry(self, foundation_id: uuid.UUID, entry_id: uuid.UUID) -> JournalEntry | None:
        return await self.one_or_none(
            select(JournalEntry).where(
                JournalEntry.id == entry_id, JournalEntry.foundation_id == foundation_id
            )
        )

    async def queue_for_log(self, foundation_id: uuid.UUID, entry_ids: Sequence[uuid.UUID]) -> None:
        """Queue new entries for the transparency log's sequencer (in their order)."""
        await self.session.execute(
            insert(LogQueue), [{"foundation_id": foundation_id, "entry_id": e} for e in entry_ids]
        )
