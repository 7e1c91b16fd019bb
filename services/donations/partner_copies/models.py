from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import UTCDateTime
from services.donations.base import Base


class PartnerCopy(Base):
    """A partner organisation as the partners service last announced it."""

    __tablename__ = "partner_copies"
    __table_args__ = (Index("ix_partner_copies_foundation_id", "foundation_id"),)

    partner_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    foundation_id: Mapped[uuid.UUID]
    name: Mapped[str] = mapped_column(String(200))
    archived: Mapped[bool]
    # The partner's version in the partners service: an older event never overwrites a
    # newer copy, whatever order the events arrive in.
    version: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
