from __future__ import annotations

import datetime as dt

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import IdMixin, TimestampMixin, UTCDateTime, utcnow
from services.network.base import Base


class Foundation(IdMixin, TimestampMixin, Base):
    __tablename__ = "foundations"

    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(100))
    region: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    # Holds 公募资格: may raise funds from the general public under its own name.
    public_fundraising_licence: Mapped[bool] = mapped_column(default=False)
    website: Mapped[str | None] = mapped_column(String(500))
    # Who other foundations write to about networking: a person, an e-mail, a phone.
    contact: Mapped[str | None] = mapped_column(String(300))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
