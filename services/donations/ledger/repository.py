from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Row, Table, bindparam, func, insert, select, update

from kit.pagination import PageParams
from kit.repository import Repository, Upsert
from services.donations.ledger.chain import Posting
from services.donations.ledger.models import (
    GENESIS_HASH,
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


# The statements of every posting, built once: SQLAlchemy then compiles each only once.
_ADVANCE_HEAD = (
    update(LedgerHead)
    .where(LedgerHead.foundation_id == bindparam("f"))
    .values(seq=LedgerHead.seq + bindparam("n"))
    .returning(LedgerHead.seq, LedgerHead.hash)
)
_SET_HEAD_HASH = (
    update(LedgerHead).where(LedgerHead.foundation_id == bindparam("f")).values(hash=bindparam("h"))
)
# Of the tables, not the mapped classes: an insert of many rows then skips the ORM's work
# per row (a third of the time of 10,000 entries).
_INSERT_ENTRY = insert(cast(Table, JournalEntry.__table__))
_INSERT_LINES = insert(cast(Table, JournalLine.__table__))


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
# The foundation's first entry makes its chain head.
_MAKE_HEAD = Upsert(
    lambda insert: (
        insert(LedgerHead)
        .values(foundation_id=bindparam("f"), seq=0, hash=GENESIS_HASH)
        .on_conflict_do_nothing(index_elements=["foundation_id"])
    )
)


class LedgerRepository(Repository[JournalEntry]):
    model = JournalEntry

    async def advance_head(self, foundation_id: uuid.UUID, count: int = 1) -> tuple[int, str]:
        """Lock the foundation's chain head and take the next ``count`` sequence numbers;
        answers (the first of them, hash of the entry before it). The lock is held until
        commit, so the foundation's postings run one after another."""
        params = {"f": foundation_id, "n": count}
        row = (await self.session.execute(_ADVANCE_HEAD, params)).first()
        if row is None:
            # The foundation's first entry: make the head, then take it like any other.
            await self.session.execute(_MAKE_HEAD.of(self.session), {"f": foundation_id})
            row = (await self.session.execute(_ADVANCE_HEAD, params)).one()
        return int(row[0]) - count + 1, str(row[1])

    async def set_head_hash(self, foundation_id: uuid.UUID, hash_: str) -> None:
        await self.session.execute(_SET_HEAD_HASH, {"f": foundation_id, "h": hash_})

    async def head(self, foundation_id: uuid.UUID) -> LedgerHead | None:
        return await self.session.get(LedgerHead, foundation_id)

    async def balances(
        self, foundation_id: uuid.UUID, keys: Sequence[tuple[uuid.UUID, str, str]]
    ) -> dict[tuple[uuid.UUID, str, str], int]:
        """Debit-positive balances of (fund, account, currency) keys; absent keys are 0."""
        if not keys:
            return {}
        funds = {k[0] for k in keys}
        accounts = {k[1] for k in keys}
        stmt = (
            select(
                LedgerTotal.fund_id,
                LedgerTotal.account,
                LedgerTotal.currency,
                func.sum(LedgerTotal.debit_minor - LedgerTotal.credit_minor),
            )
            .where(
                LedgerTotal.foundation_id == foundation_id,
                LedgerTotal.fund_id.in_(funds),
                LedgerTotal.account.in_(accounts),
            )
            .group_by(LedgerTotal.fund_id, LedgerTotal.account, LedgerTotal.currency)
        )
        found = {(r[0], r[1], r[2]): int(r[3]) for r in await self.session.execute(stmt)}
        return {key: found.get(key, 0) for key in keys}

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

    async def add_totals(self, foundation_id: uuid.UUID, sums: Mapping[TotalKey, Totals]) -> None:
        """Add to the running totals: one upsert per (fund, account, kind, currency)."""
        stmt = _ADD_TOTALS.of(self.session)
        # Sorted, so that two postings never lock the same rows in opposite orders; sent
        # as one executemany (asyncpg pipelines it: one round trip for all of them).
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
            for (fund_id, account, kind, currency), v in sorted(
                sums.items(), key=lambda kv: (str(kv[0][0]), kv[0][1], kv[0][2], kv[0][3])
            )
        ]
        if params:
            await self.session.execute(stmt, params)

    async def totals(
        self, foundation_id: uuid.UUID, fund_id: uuid.UUID | None = None
    ) -> Sequence[LedgerTotal]:
        stmt = select(LedgerTotal).where(LedgerTotal.foundation_id == foundation_id)
        if fund_id is not None:
            stmt = stmt.where(LedgerTotal.fund_id == fund_id)
        return (await self.session.execute(stmt)).scalars().all()

    async def recomputed_totals(
        self, foundation_id: uuid.UUID
    ) -> dict[tuple[uuid.UUID, str, str, str], tuple[int, int, int, int]]:
        """The totals summed from the journal lines themselves (for verification)."""
        debit = func.sum(JournalLine.amount_minor).filter(JournalLine.amount_minor > 0)
        credit = func.sum(-JournalLine.amount_minor).filter(JournalLine.amount_minor < 0)
        stmt = (
            select(
                JournalLine.fund_id,
                JournalLine.account,
                JournalEntry.kind,
                JournalLine.currency,
                func.coalesce(debit, 0),
                func.coalesce(credit, 0),
                func.count().filter(JournalLine.amount_minor > 0),
                func.count().filter(JournalLine.amount_minor < 0),
            )
            .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
            .where(JournalEntry.foundation_id == foundation_id)
            .group_by(
                JournalLine.fund_id, JournalLine.account, JournalEntry.kind, JournalLine.currency
            )
        )
        return {
            (r[0], r[1], r[2], r[3]): (int(r[4]), int(r[5]), int(r[6]), int(r[7]))
            for r in await self.session.execute(stmt)
        }

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
