from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any, cast

from sqlalchemy import Integer, Table, Uuid, bindparam, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from kit.pagination import PageParams
from services.donations.donations.models import (
    CampaignDonor,
    CampaignTally,
    Channel,
    Donation,
    DonationImport,
    ReceiptCounter,
    Refund,
)
from services.donations.foundations.models import FoundationCopy
from services.donations.ledger.models import JournalEntry

# Far below every backend's limit of bound parameters per statement.
_IN_CHUNK = 500


def _per_dialect(build: Callable[[Any], Any]) -> dict[str, Any]:
    """A statement built once per dialect (its upsert syntax differs); SQLAlchemy then
    compiles each once, not per request."""
    return {"postgresql": build(postgresql.insert), "sqlite": build(sqlite.insert)}


# Of the table, not the mapped class: an insert of many rows then skips the ORM's work per row.
_INSERT_DONATION = insert(cast(Table, Donation.__table__))


def _take_receipts(ins: Any) -> Any:
    stmt = ins(ReceiptCounter)
    return stmt.on_conflict_do_update(
        index_elements=["foundation_id", "year"],
        set_={"last_number": ReceiptCounter.last_number + stmt.excluded.last_number},
    ).returning(ReceiptCounter.last_number)


_TAKE_RECEIPTS = _per_dialect(_take_receipts)


def _count_donors(ins: Any) -> Any:
    stmt = ins(CampaignTally)
    return stmt.on_conflict_do_update(
        index_elements=["campaign_id"],
        set_={"unique_donors": CampaignTally.unique_donors + stmt.excluded.unique_donors},
    )


_COUNT_DONORS = _per_dialect(_count_donors)
_ADD_DONORS = _per_dialect(
    lambda ins: (
        ins(CampaignDonor)
        .on_conflict_do_nothing(index_elements=["campaign_id", "donor_key"])
        .returning(CampaignDonor.donor_key)
    )
)


# Remember the donors and grow the campaign's tally by the new ones, in one statement.
_COUNT_NEW_DONORS_PG = text(
    """
    WITH new AS (
        INSERT INTO campaign_donors (campaign_id, donor_key)
        SELECT CAST(:campaign_id AS uuid), key FROM unnest(CAST(:keys AS varchar[])) AS key
        ON CONFLICT DO NOTHING
        RETURNING 1
    ), counted AS (SELECT count(*) AS n FROM new)
    INSERT INTO campaign_tallies (campaign_id, unique_donors)
    SELECT CAST(:campaign_id AS uuid), n FROM counted WHERE n > 0
    ON CONFLICT (campaign_id)
        DO UPDATE SET unique_donors = campaign_tallies.unique_donors + EXCLUDED.unique_donors
    RETURNING (SELECT n FROM counted)
    """
)


# A page of a campaign's donations, as kit.pagination.PageParams.apply shapes it (newest
# first, one row more than the page), built once instead of on every list request.
_PAGE = (
    select(Donation)
    # Typed here: a foreign key column's type is only copied from its target later.
    .where(Donation.campaign_id == bindparam("campaign_id", type_=Uuid()))
    .order_by(Donation.id.desc())
    .limit(bindparam("rows", type_=Integer()))
)
_PAGE_AFTER = _PAGE.where(Donation.id < bindparam("after"))


class DonationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, campaign_id: uuid.UUID, donation_id: uuid.UUID) -> Donation | None:
        stmt = select(Donation).where(
            Donation.id == donation_id, Donation.campaign_id == campaign_id
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def by_external_id(
        self, foundation_id: uuid.UUID, channel: Channel, external_id: str
    ) -> Donation | None:
        stmt = select(Donation).where(
            Donation.foundation_id == foundation_id,
            Donation.channel == channel,
            Donation.external_id == external_id,
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def recorded_transactions(
        self, foundation_id: uuid.UUID, keys: Sequence[tuple[Channel, str]]
    ) -> dict[tuple[Channel, str], Donation]:
        """The foundation's donations that already record these (channel, transaction id)
        pairs, by pair."""
        wanted = set(keys)
        found: dict[tuple[Channel, str], Donation] = {}
        ids = sorted({external_id for _, external_id in wanted})
        for start in range(0, len(ids), _IN_CHUNK):
            stmt = select(Donation).where(
                Donation.foundation_id == foundation_id,
                Donation.external_id.in_(ids[start : start + _IN_CHUNK]),
            )
            for donation in (await self.session.execute(stmt)).scalars():
                key = (donation.channel, str(donation.external_id))
                if key in wanted:
                    found[key] = donation
        return found

    async def list(self, campaign_id: uuid.UUID, params: PageParams) -> Sequence[Donation]:
        values: dict[str, Any] = {"campaign_id": campaign_id, "rows": params.limit + 1}
        stmt = _PAGE
        if params.after is not None:
            stmt, values["after"] = _PAGE_AFTER, params.after
        return (await self.session.execute(stmt, values)).scalars().all()

    def _dialect(self) -> str:
        return self.session.get_bind().dialect.name

    async def take_receipt_numbers(self, foundation_id: uuid.UUID, year: int, count: int) -> int:
        """Take the next ``count`` numbers of the foundation's receipts of ``year`` in one
        step; answers the first. The counter's row lock is held until commit, so numbers
        are never given twice and never skipped. Take a transaction's counters before the
        ledger's head, and several years' in ascending order: a transaction holding the
        head while waiting for a counter would deadlock with a donation of that year
        holding the counter and waiting for the head."""
        params = {"foundation_id": foundation_id, "year": year, "last_number": count}
        result = await self.session.execute(_TAKE_RECEIPTS[self._dialect()], params)
        return int(result.scalar_one()) - count + 1

    async def count_donors(self, campaign_id: uuid.UUID, donor_keys: Sequence[str]) -> int:
        """Remember the campaign's donors; its unique-donor tally grows by those not seen
        before (answered). Keys are inserted in sorted order, so that two transactions
        adding overlapping donors never wait for each other in opposite orders."""
        dialect = self._dialect()
        keys = sorted(set(donor_keys))
        if not keys:
            return 0
        if dialect == "postgresql":
            # Both steps in one round trip: this runs for every donation.
            result = await self.session.execute(
                _COUNT_NEW_DONORS_PG, {"campaign_id": campaign_id, "keys": keys}
            )
            return int(result.scalar() or 0)
        # One statement with many parameter sets: SQLAlchemy sends them as multi-row
        # INSERTs ("insertmanyvalues") and gathers what each returns.
        params = [{"campaign_id": campaign_id, "donor_key": k} for k in keys]
        added = len((await self.session.execute(_ADD_DONORS[dialect], params)).all())
        if added:
            await self.session.execute(
                _COUNT_DONORS[dialect], {"campaign_id": campaign_id, "unique_donors": added}
            )
        return added

    async def unique_donors(self, campaign_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
        if not campaign_ids:
            return {}
        stmt = select(CampaignTally.campaign_id, CampaignTally.unique_donors).where(
            CampaignTally.campaign_id.in_(campaign_ids)
        )
        return {r[0]: int(r[1]) for r in await self.session.execute(stmt)}

    async def insert_many(self, rows: Sequence[dict[str, Any]]) -> None:
        """Insert donations given as column values: one statement, however many."""
        await self.session.execute(_INSERT_DONATION, list(rows))

    async def take_refund(self, donation_id: uuid.UUID, amount_minor: int) -> int | None:
        """Add to the donation's refunded amount if that stays within what was given;
        answers the new refunded amount, or None if it would not. Locks the donation, so
        concurrent refunds of one donation are checked one after another."""
        stmt = (
            update(Donation)
            .where(
                Donation.id == donation_id,
                Donation.refunded_minor + amount_minor <= Donation.amount_minor,
            )
            .values(refunded_minor=Donation.refunded_minor + amount_minor)
            .returning(Donation.refunded_minor)
        )
        row = (await self.session.execute(stmt)).first()
        return None if row is None else int(row[0])

    async def refunded_minor(self, donation_id: uuid.UUID) -> int:
        """What is refunded of the donation as committed now (not the session's copy)."""
        stmt = select(Donation.refunded_minor).where(Donation.id == donation_id)
        return int((await self.session.execute(stmt)).scalar_one())

    async def add_refund(self, refund: Refund) -> None:
        self.session.add(refund)
        await self.session.flush()

    async def refunds(self, donation_id: uuid.UUID, params: PageParams) -> Sequence[Refund]:
        stmt = params.apply(select(Refund).where(Refund.donation_id == donation_id), Refund.id)
        return (await self.session.execute(stmt)).scalars().all()

    async def foundation_name(self, foundation_id: uuid.UUID) -> str | None:
        """The foundation's name from the directory's read copy, if it has arrived."""
        stmt = select(FoundationCopy.name).where(FoundationCopy.foundation_id == foundation_id)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def entry_hash(self, entry_id: uuid.UUID) -> str:
        stmt = select(JournalEntry.hash).where(JournalEntry.id == entry_id)
        return str((await self.session.execute(stmt)).scalar_one())

    async def add_import(self, record: DonationImport) -> None:
        self.session.add(record)
        await self.session.flush()

    async def imports(self, campaign_id: uuid.UUID, params: PageParams) -> Sequence[DonationImport]:
        stmt = params.apply(
            select(DonationImport).where(DonationImport.campaign_id == campaign_id),
            DonationImport.id,
        )
        return (await self.session.execute(stmt)).scalars().all()
