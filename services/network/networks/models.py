from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import IdMixin, TimestampMixin, UTCDateTime, utcnow
from services.network.base import Base


class Role(enum.StrEnum):
    COORDINATOR = "coordinator"
    MEMBER = "member"


class MemberStatus(enum.StrEnum):
    # The foundation asked to join; a coordinator accepts or rejects.
    REQUESTED = "requested"
    # A coordinator invited the foundation; it accepts or declines.
    INVITED = "invited"
    ACTIVE = "active"


class AuditAction(enum.StrEnum):
    CREATED = "created"
    JOIN_REQUESTED = "join_requested"
    INVITED = "invited"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    LEFT = "left"
    REMOVED = "removed"
    ROLE_CHANGED = "role_changed"


class Network(IdMixin, TimestampMixin, Base):
    __tablename__ = "networks"

    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[uuid.UUID]
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Membership(Base):
    """A foundation's place in a network: asked for, offered, or held. Leaving or removal
    deletes the row (the audit trail keeps the history)."""

    __tablename__ = "network_members"

    network_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("networks.id", ondelete="CASCADE"), primary_key=True
    )
    foundation_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    role: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_network_members_foundation", "foundation_id", "status"),)


class AuditRecord(IdMixin, Base):
    """One change of a network, who made it, and to whom; never edited or deleted."""

    __tablename__ = "network_audit"

    network_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(30))
    # The foundation the change is about (the member), if any.
    foundation_id: Mapped[uuid.UUID | None]
    actor_foundation_id: Mapped[uuid.UUID]
    actor_subject: Mapped[str] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(20))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_network_audit_network", "network_id", "id"),)
