from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.base import Base
from kit.db import IdMixin, TimestampMixin, UTCDateTime


class ApiKey(IdMixin, TimestampMixin, Base):
    __tablename__ = "api_keys"

    prefix: Mapped[str] = mapped_column(String(16), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[uuid.UUID] = mapped_column(index=True)
    scopes: Mapped[list[str]] = mapped_column(JSON)
    # SHA-256 (hex) of the secret part; the plaintext is never stored.
    secret_hash: Mapped[str] = mapped_column(String(64))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None
