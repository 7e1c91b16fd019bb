from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Row, Table, Uuid, bindparam, func, insert, select, update

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

# Of the table, not the mapped class: a statement of many rows then skips the ORM's work per row.
_DONATIONS = cast(Table, Donation.__table__)
_INSERT_DONATION = insert(_DONATIONS)


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
    lambda insert_: insert_(CampaignDonor).on_conflict_do_nothing(
        index_elements=["campaign_id", "donor_key"]
    )
)
# By primary key, many rows in one executemany.
_SET_RECEIPT_NUMBER = (
    update(_DONATIONS)
    .where(_DONATIONS.c.id == bindparam("donation_id"))
    .values(receipt_number=bindparam("number"))
)


# A donation waiting for its receipt number: id, foundation_id, donated_at.
Unnumbered = Row[uuid.UUID, uuid.UUID, dt.datetime]


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
        step; answers the first. Only the log's sequencer calls this, one batch at a time,
        so the counter's row lock is never waited on and numbers are never given twice or
        skipped (a failed batch gives its numbers back)."""
        params = {"foundation_id": foundation_id, "year": year, "last_number": count}
        result = await self.session.execute(_TAKE_RECEIPTS.of(self.session), params)
        return int(result.scalar_one()) - count + 1

    async def unnumbered(self, donation_ids: Sequence[uuid.UUID]) -> list[Unnumbered]:
        """Of these donations, those without a receipt number: id, foundation, time."""
        found: list[Unnumbered] = []
        for start in range(0, len(donation_ids), _IN_CHUNK):
            stmt = select(Donation.id, Donation.foundation_id, Donation.donated_at).where(
                Donation.id.in_(donation_ids[start : start + _IN_CHUNK]),
                Donation.receipt_number.is_(None),
            )
            found.extend((await self.session.execute(stmt)).all())
        return found

    async def set_receipt_numbers(self, numbers: Mapping[uuid.UUID, str]) -> None:
        if numbers:
            await self.session.execute(
                _SET_RECEIPT_NUMBER,
                [{"donation_id": id_, "number": n} for id_, n in numbers.items()],
            )

    async def add_donors(
        self, campaign_id: uuid.UUID, first_entries: Mapping[str, uuid.UUID]
    ) -> None:
        """Remember the campaign's donors (by key, with the entry of the donation that
        brought each); a donor already known stays as it was. Keys go in sorted order, so
        two transactions adding overlapping donors never wait for each other in opposite
        orders. The tally counts them when the log takes their entries in
        (:meth:`tally_donors`)."""
        if first_entries:
            params = [
                {"campaign_id": campaign_id, "donor_key": key, "entry_id": first_entries[key]}
                for key in sorted(first_entries)
            ]
            await self.session.execute(_ADD_DONORS.of(self.session), params)

    async def tally_donors(self, entry_ids: Sequence[uuid.UUID]) -> None:
        """Grow each campaign's unique-donor tally by the donors these entries brought."""
        added: Counter[uuid.UUID] = Counter()
        for start in range(0, len(entry_ids), _IN_CHUNK):
            stmt = (
                select(CampaignDonor.campaign_id, func.count())
                .where(CampaignDonor.entry_id.in_(entry_ids[start : start + _IN_CHUNK]))
                .group_by(CampaignDonor.campaign_id)
            )
            for campaign_id, count in await self.session.execute(stmt):
                added[campaign_id] += count
        if added:
            await self.session.execute(
                _COUNT_DONORS.of(self.session),
                [{"campaign_id": c, "unique_donors": n} for c, n in sorted(added.items())],
            )

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
