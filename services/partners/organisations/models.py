from __future__ import annotations

import enum
import uuid

from sqlalchemy import Enum, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import IdMixin, TimestampMixin
from services.partners.base import Base


class PartnerKind(enum.StrEnum):
    SOCIAL_ORGANISATION = "social_organisation"
    COMPANY = "company"
    FOUNDATION = "foundation"
    VOLUNTEER_GROUP = "volunteer_group"
    RESIDENT_GROUP = "resident_group"
    GOVERNMENT = "government"
    OTHER = "other"


class PartnerOrganisation(IdMixin, TimestampMixin, Base):
    __tablename__ = "partner_organisations"
    __table_args__ = (
        UniqueConstraint("foundation_id", "name"),
        # Every query is one foundation's, and lists page through it by id.
        Index("ix_partner_organisations_foundation_id_id", "foundation_id", "id"),
    )

    foundation_id: Mapped[uuid.UUID]
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[PartnerKind] = mapped_column(
        Enum(
            PartnerKind,
            native_enum=False,
            length=32,
            values_callable=lambda e: [m.value for m in e],
        ),
    )
    description: Mapped[str] = mapped_column(Text, default="")
    website: Mapped[str | None] = mapped_column(String(500))
    expertise: Mapped[str | None] = mapped_column(String(500))
