from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import JSON, Enum, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.base import Base
from kit.db import IdMixin, TimestampMixin, UTCDateTime
from kit.identity import PrincipalKind


class ApiKey(IdMixin, TimestampMixin, Base):
    __tablename__ = "api_keys"

    prefix: Mapped[str] = mapped_column(String(16), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[uuid.UUID] = mapped_column(index=True)
    scopes: Mapped[list[str]] = mapped_column(JSON)
    # A foundation's own key, or a partner organisation's: bound to the foundation
    # (organisation_id) and to one of its partners (partner_id), seeing only its own part.
    kind: Mapped[PrincipalKind] = mapped_column(
        Enum(
            PrincipalKind,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=PrincipalKind.FOUNDATION,
    )
    partner_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    # SHA-256 (hex) of the secret part; the plaintext is never stored.
    secret_hash: Mapped[str] = mapped_column(String(64))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    # Past this time the key is refused (set when made, or by a rotation's grace period).
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    # When it was last used, to the minute: written at most once a minute per gateway.
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    # The key that replaced this one in a rotation.
    replaced_by_id: Mapped[uuid.UUID | None] = mapped_column(default=None)

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def expired(self, now: dt.datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now
