from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import BigInteger, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import TimestampMixin, UTCDateTime
from services.partners.base import Base


class PartnerGrant(TimestampMixin, Base):
    """A grant a foundation paid to one of its partner organisations. ``id`` is the grant's
    id in the donations service, so a redelivered event never records it twice.

    No foreign key to the organisation: the event may name an organisation this service
    does not know (a mistyped id in the foundation's system); the grant is kept all the
    same, as the donations service recorded the money going out, and shows up against that
    id. ``created_at`` is when this service learned of it."""

    __tablename__ = "partner_grants"
    __table_args__ = (
        # Lists page through one organisation's grants by id.
        Index(
            "ix_partner_grants_foundation_id_partner_organisation_id_id",
            "foundation_id",
            "partner_organisation_id",
            "id",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    foundation_id: Mapped[uuid.UUID]
    partner_organisation_id: Mapped[uuid.UUID]
    campaign_id: Mapped[uuid.UUID | None]
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    purpose: Mapped[str] = mapped_column(Text, default="")
    paid_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
