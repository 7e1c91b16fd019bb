from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any

from sqlalchemy import JSON, BigInteger, Enum, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import IdMixin, UTCDateTime
from services.donations.base import Base


class DisclosureKind(enum.StrEnum):
    PERIODIC = "periodic"  # at least every three months while a long campaign runs
    FINAL = "final"  # within three months after it ends


class Disclosure(IdMixin, Base):
    """A published disclosure. Never edited: a correction is a new row naming the one it
    corrects."""

    __tablename__ = "disclosures"

    foundation_id: Mapped[uuid.UUID] = mapped_column(index=True)
    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("campaigns.id"), index=True)
    kind: Mapped[DisclosureKind] = mapped_column(
        Enum(
            DisclosureKind,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    period_start: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    period_end: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    corrects_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("disclosures.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    published_by: Mapped[str] = mapped_column(String(200))
    # The transparency report as it stood, and the SHA-256 of its canonical JSON.
    report: Mapped[dict[str, Any]] = mapped_column(JSON)
    report_sha256: Mapped[str] = mapped_column(String(64))
    ledger_seq: Mapped[int] = mapped_column(BigInteger)
    ledger_head_hash: Mapped[str] = mapped_column(String(64))
