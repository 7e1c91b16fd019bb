from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import IdMixin, TimestampMixin
from services.donations.base import Base


class DonationImport(IdMixin, TimestampMixin, Base):
    """One uploaded CSV export of a host platform, and what became of its rows."""

    __tablename__ = "donation_imports"

    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("campaigns.id"))
    foundation_id: Mapped[uuid.UUID]
    file_sha256: Mapped[str] = mapped_column(String(64))
    valid_only: Mapped[bool] = mapped_column(default=False)
    rows: Mapped[int] = mapped_column(Integer)
    imported: Mapped[int] = mapped_column(Integer)
    duplicates: Mapped[int] = mapped_column(Integer)
    invalid: Mapped[int] = mapped_column(Integer)
    submitted_by: Mapped[str] = mapped_column(String(200))
