from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import UTCDateTime
from services.donations.base import Base


class FoundationCopy(Base):
    """A foundation's public identity as the network service last announced it."""

    __tablename__ = "foundation_copies"

    foundation_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(63))
    name: Mapped[str] = mapped_column(String(200))
    # The directory entry's time of change: an older event never overwrites a newer copy.
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
