from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select, update

from kit.pagination import PageParams
from kit.repository import Repository
from services.donations.donations.models import Donation
from services.donations.refunds.models import Refund


class RefundRepository(Repository[Refund]):
    """Refunds, and the refunded amount each donation keeps."""

    model = Refund

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

    async def of_donation(self, donation_id: uuid.UUID, params: PageParams) -> Sequence[Refund]:
        return await self.page(select(Refund).where(Refund.donation_id == donation_id), params)
