from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import CheckConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import IdMixin, TimestampMixin, UTCDateTime, utcnow
from services.network.base import Base


class PairingStatus(enum.StrEnum):
    PROPOSED = "proposed"
    ACTIVE = "active"
    DECLINED = "declined"
    ENDED = "ended"


OPEN = (PairingStatus.PROPOSED, PairingStatus.ACTIVE)


class Pairing(IdMixin, TimestampMixin, Base):
    __tablename__ = "pairings"

    proposer_id: Mapped[uuid.UUID]
    partner_id: Mapped[uuid.UUID]
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_by: Mapped[uuid.UUID | None]

    __table_args__ = (
        CheckConstraint("proposer_id <> partner_id", name="not_with_itself"),
        Index("ix_pairings_proposer", "proposer_id"),
        Index("ix_pairings_partner", "partner_id"),
    )

    def has(self, foundation_id: uuid.UUID) -> bool:
        return foundation_id in {self.proposer_id, self.partner_id}
