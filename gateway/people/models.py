from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Enum, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.base import Base
from gateway.people.roles import Role
from kit.db import IdMixin, TimestampMixin, UTCDateTime


def _role_type() -> Enum:
    return Enum(Role, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


class Person(IdMixin, TimestampMixin, Base):
    __tablename__ = "people"

    # Stored lower-cased: one account per address, however it is typed.
    email: Mapped[str] = mapped_column(String(254), unique=True, index=True)
    display_name: Mapped[str] = mapped_column(String(200))
    # argon2id, in the PHC string format (parameters and salt included).
    password_hash: Mapped[str] = mapped_column(String(255))
    # The network's operator (keeps the directory of foundations); acts for no foundation.
    is_operator: Mapped[bool] = mapped_column(default=False)
    # Failed sign-ins since the last success, and until when the account is locked.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    disabled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)


class Membership(IdMixin, TimestampMixin, Base):
    """A person's role in one organisation (a foundation)."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("person_id", "organisation_id"),)

    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"), index=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(index=True)
    role: Mapped[Role] = mapped_column(_role_type())
    # For the partner role: which of the foundation's partner organisations.
    partner_id: Mapped[uuid.UUID | None] = mapped_column(default=None)


class LoginSession(IdMixin, TimestampMixin, Base):
    """One sign-in and the refresh tokens that descend from it (a *family*). Its id is the
    ``sid`` of every access token it issues; revoking it ends them all."""

    __tablename__ = "login_sessions"

    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"), index=True)
    # The organisation the session acts for (the operator's: all zeros).
    organisation_id: Mapped[uuid.UUID] = mapped_column()
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    # logout, refresh-token-reuse, password-change, admin...
    revoked_reason: Mapped[str | None] = mapped_column(String(40), default=None)


class RefreshToken(IdMixin, TimestampMixin, Base):
    __tablename__ = "refresh_tokens"

    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("login_sessions.id"), index=True)
    # SHA-256 (hex) of the token: it is random and long, like an API key's secret.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # Set when it was exchanged for a new pair: presenting it again is reuse.
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)


class Invitation(IdMixin, TimestampMixin, Base):
    __tablename__ = "invitations"

    organisation_id: Mapped[uuid.UUID] = mapped_column(index=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[Role] = mapped_column(_role_type())
    partner_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    invited_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
