"""What becomes of donations when the log's sequencer takes their entries in.

Receipt numbers and a campaign's unique-donor tally are counters: kept in the request,
every donation of a foundation would update the same row and hold it to commit, and the
foundation's donations would be recorded one after another. The sequencer already orders
every entry and runs one batch at a time, so it keeps them instead, in the batch's
transaction (an :class:`~services.donations.log.sequencer.IntegrationStep`): a receipt
number is given in log order, contiguous per foundation and year, to donations that
committed (a failed donation never takes one), and a donor counts in the tally from the
head that holds the donation that brought them, like its money in the totals.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from services.donations.donations.receipts import receipt_year
from services.donations.donations.repository import DonationRepository
from services.donations.ledger.models import EntryKind, JournalEntry
from services.donations.log.sequencer import IntegrationStep


def receipt_number(year: int, number: int) -> str:
    return f"{year}-{number:06d}"


def _donations(entries: Sequence[JournalEntry]) -> list[JournalEntry]:
    return [e for e in entries if e.kind == EntryKind.DONATION]


async def number_receipts(session: AsyncSession, entries: Sequence[JournalEntry]) -> None:
    """Give the batch's donations their receipt numbers, in log order."""
    donations = _donations(entries)
    if not donations:
        return
    repo = DonationRepository(session)
    # A donation entry's source is its donation.
    position = {entry.source_id: n for n, entry in enumerate(donations)}
    waiting = sorted(
        await repo.unnumbered([entry.source_id for entry in donations]),
        key=lambda row: position[row.id],
    )
    years = [(row.foundation_id, receipt_year(row.donated_at)) for row in waiting]
    next_number = {
        (foundation_id, year): await repo.take_receipt_numbers(foundation_id, year, count)
        for (foundation_id, year), count in sorted(Counter(years).items())
    }
    numbers: dict[uuid.UUID, str] = {}
    for row, key in zip(waiting, years, strict=True):
        numbers[row.id] = receipt_number(key[1], next_number[key])
        next_number[key] += 1
    await repo.set_receipt_numbers(numbers)


async def tally_donors(session: AsyncSession, entries: Sequence[JournalEntry]) -> None:
    """Count the donors the batch's donations brought into their campaigns' tallies."""
    donations = _donations(entries)
    if donations:
        await DonationRepository(session).tally_donors([entry.id for entry in donations])


# Every sequencer of the service, and every caller that integrates the log itself (a
# disclosure freezing its head), runs these.
STEPS: tuple[IntegrationStep, ...] = (number_receipts, tally_donors)
