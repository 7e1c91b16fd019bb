from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, Uuid, bindparam, insert, select, text

from kit.pagination import PagedQuery, PageParams
from kit.repository import Repository, Upsert
from services.donations.donations.models import (
    CampaignDonor,
    CampaignTally,
    Channel,
    Donation,
    ReceiptCounter,
)
from services.donations.foundations.models import FoundationCopy
from services.donations.ledger.models import JournalEntry

# Far below every backend's limit of bound parameters per statement.
_IN_CHUNK = 500

# Of the table, not the mapped class: an insert of many rows then skips the ORM's work per row.
_INSERT_DONATION = insert(cast(Table, Donation.__table__))


def _take_receipts(insert_: Any) -> Any:
    stmt = insert_(ReceiptCounter)
    return stmt.on_conflict_do_update(
        index_elements=["foundation_id", "year"],
        set_={"last_number": ReceiptCounter.last_number + stmt.excluded.last_number},
    ).returning(ReceiptCounter.last_number)


def _count_donors(insert_: Any) -> Any:
    stmt = insert_(CampaignTally)
    return stmt.on_conflict_do_update(
        index_elements=["campaign_id"],
        set_={"unique_donors": CampaignTally.unique_donors + stmt.excluded.unique_donors},
    )


_TAKE_RECEIPTS = Upsert(_take_receipts)
_COUNT_DONORS = Upsert(_count_donors)
_ADD_DONORS = Upsert(
    lambda insert_: (
        insert_(CampaignDonor)
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


# A page of a campaign's donations: every list request reads one.
_PAGE = PagedQuery(
    # Typed here: a foreign key column's type is only copied from its target later.
    select(Donation).where(Donation.campaign_id == bindparam("campaign_id", type_=Uuid())),
    Donation.id,
)


class DonationRepository(Repository[Donation]):
    model = Donation

    async def in_campaign(self, campaign_id: uuid.UUID, donation_id: uuid.UUID) -> Donation | None:
        """The donation, if it was given to this campaign."""
        return await self.one_or_none(
            select(Donation).where(Donation.id == donation_id, Donation.campaign_id == campaign_id)
        )

    async def by_external_id(
        self, foundation_id: uuid.UUID, channel: Channel, external_id: str
    ) -> Donation | None:
        return await self.one_or_none(
            select(Donation).where(
                Donation.foundation_id == foundation_id,
                Donation.channel == channel,
                Donation.external_id == external_id,
            )
        )

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
            for donation in await self.all(stmt):
                key = (donation.channel, str(donation.external_id))
                if key in wanted:
                    found[key] = donation
        return found

    async def of_campaign(self, campaign_id: uuid.UUID, params: PageParams) -> Sequence[Donation]:
        return await self.paged(_PAGE, params, campaign_id=campaign_id)

    async def take_receipt_numbers(self, foundation_id: uuid.UUID, year: int, count: int) -> int:
        """Take the next ``count`` numbers of the foundation's receipts of ``year`` in one
        step; answers the first. The counter's row lock is held until commit, so numbers
        are never given twice and never skipped. Take a transaction's counters before the
        ledger's head, and several years' in ascending order: a transaction holding the
        head while waiting for a counter would deadlock with a donation of that year
        holding the counter and waiting for the head."""
        params = {"foundation_id": foundation_id, "year": year, "last_number": count}
        result = await self.session.execute(_TAKE_RECEIPTS.of(self.session), params)
        return int(result.scalar_one()) - count + 1

    async def count_donors(self, campaign_id: uuid.UUID, donor_keys: Sequence[str]) -> int:
        """Remember the campaign's donors; its unique-donor tally grows by those not seen
        before (answered). Keys are inserted in sorted order, so that two transactions
        adding overlapping donors never wait for each other in opposite orders."""
        keys = sorted(set(donor_keys))
        if not keys:
            return 0
        if self.session.get_bind().dialect.name == "postgresql":
            # Both steps in one round trip: this runs for every donation.
            result = await self.session.execute(
                _COUNT_NEW_DONORS_PG, {"campaign_id": campaign_id, "keys": keys}
            )
            return int(result.scalar() or 0)
        # One statement with many parameter sets: SQLAlchemy sends them as multi-row
        # INSERTs ("insertmanyvalues") and gathers what each returns.
        params = [{"campaign_id": campaign_id, "donor_key": k} for k in keys]
        added = len((await self.session.execute(_ADD_DONORS.of(self.session), params)).all())
        if added:
            await self.session.execute(
                _COUNT_DONORS.of(self.session), {"campaign_id": campaign_id, "unique_donors": added}
            )
        return added

    async def insert_many(self, rows: Sequence[dict[str, Any]]) -> None:
        """Insert donations given as column values: one statement, however many."""
        await self.session.execute(_INSERT_DONATION, list(rows))

    async def foundation_name(self, foundation_id: uuid.UUID) -> str | None:
        """The foundation's name from the directory's read copy, if it has arrived."""
        stmt = select(FoundationCopy.name).where(FoundationCopy.foundation_id == foundation_id)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def entry_hash(self, entry_id: uuid.UUID) -> str:
        stmt = select(JournalEntry.hash).where(JournalEntry.id == entry_id)
        return str((await self.session.execute(stmt)).scalar_one())
