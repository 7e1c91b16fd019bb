from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import IdMixin, TimestampMixin, UTCDateTime
from services.partners.base import Base


class PartnerKind(enum.StrEnum):
    SOCIAL_ORGANISATION = "social_organisation"
    RESIDENT_GROUP = "resident_group"
    VOLUNTEER_TEAM = "volunteer_team"
    OWNERS_COMMITTEE = "owners_committee"
    ENTERPRISE = "enterprise"
    FOUNDATION = "foundation"
    COMMUNITY_WORKSTATION = "community_workstation"


def str_enum(cls: type[enum.StrEnum], length: int = 32) -> Enum:
    """A string column holding an enum's values (not a native enum: adding a value is no
    migration of a type)."""
    return Enum(
        cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e]
    )


class PartnerOrganisation(IdMixin, TimestampMixin, Base):
    __tablename__ = "partner_organisations"
    __table_args__ = (
        # The same name in another district is another organisation (two 业委会 of
        # different compounds); in one district it is a duplicate.
        UniqueConstraint("foundation_id", "name", "district"),
        # Every query is one foundation's, and lists page through it by id.
        Index("ix_partner_organisations_foundation_id_id", "foundation_id", "id"),
    )

    foundation_id: Mapped[uuid.UUID]
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[PartnerKind] = mapped_column(str_enum(PartnerKind))
    description: Mapped[str] = mapped_column(Text, default="")
    website: Mapped[str | None] = mapped_column(String(500))
    expertise: Mapped[str | None] = mapped_column(String(500))
    district: Mapped[str] = mapped_column(String(100), default="")
    # Kept in step with partner_tags (which the tag filter reads): the list as given.
    tags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    verified_by: Mapped[str | None] = mapped_column(String(200))
    verification_evidence: Mapped[str | None] = mapped_column(Text)
    archived_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Bumped by every change; the partner's ETag.
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class PartnerTag(Base):
    """One capability tag of a partner, for the ``?tag=`` filter."""

    __tablename__ = "partner_tags"
    __table_args__ = (Index("ix_partner_tags_tag", "tag"),)

    partner_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("partner_organisations.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(50), primary_key=True)


class PartnerContact(IdMixin, TimestampMixin, Base):
    """A contact person of a partner: personal data, shown only with partners:contacts."""

    __tablename__ = "partner_contacts"
    __table_args__ = (Index("ix_partner_contacts_partner_id_id", "partner_id", "id"),)

    partner_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("partner_organisations.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(50))
    email: Mapped[str | None] = mapped_column(String(320))
