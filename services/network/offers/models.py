from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import IdMixin, TimestampMixin, UTCDateTime
from services.network.base import Base


class OfferDetails(Base):
    """What an offer (or a request) is about; ``remaining`` is what is left to claim."""

    __tablename__ = "offer_details"

    resource_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("shared_resources.id", ondelete="CASCADE"), primary_key=True
    )
    item: Mapped[str] = mapped_column(String(200))
    # Lowercased item, for matching offers with requests.
    item_key: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)
    remaining: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(50))
    place: Mapped[str] = mapped_column(String(200))
    region: Mapped[str | None] = mapped_column(String(100))
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint("remaining >= 0 AND remaining <= quantity", name="remaining_in_range"),
        Index("ix_offer_details_item_key", "item_key"),
    )


class Claim(IdMixin, TimestampMixin, Base):
    """Part of an offer, claimed by a foundation that may see it."""

    __tablename__ = "offer_claims"

    offer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("shared_resources.id", ondelete="CASCADE")
    )
    claimant_id: Mapped[uuid.UUID]
    quantity: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(500), default="")

    __table_args__ = (Index("ix_offer_claims_offer", "offer_id", "id"),)
