from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import IdMixin, TimestampMixin, UTCDateTime
from services.partners.base import Base
from services.partners.organisations.models import str_enum


class MemberType(enum.StrEnum):
    RESIDENT = "resident"
    STAFF = "staff"
    PARTNER = "partner"


class MemberRole(enum.StrEnum):
    CONVENOR = "convenor"
    RESEARCHER = "researcher"
    WRITER = "writer"
    MEMBER = "member"


class ActivityKind(enum.StrEnum):
    SURVEY = "survey"
    WORKSHOP = "workshop"
    MEETING = "meeting"
    VISIT = "visit"


class OutputStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class TopicGroup(IdMixin, TimestampMixin, Base):
    __tablename__ = "topic_groups"
    __table_args__ = (Index("ix_topic_groups_foundation_id_id", "foundation_id", "id"),)

    foundation_id: Mapped[uuid.UUID]
    topic: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    district: Mapped[str] = mapped_column(String(100), default="")


class TopicMember(IdMixin, TimestampMixin, Base):
    __tablename__ = "topic_members"
    __table_args__ = (Index("ix_topic_members_topic_group_id_id", "topic_group_id", "id"),)

    topic_group_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("topic_groups.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(String(200))
    member_type: Mapped[MemberType] = mapped_column(str_enum(MemberType))
    role: Mapped[MemberRole] = mapped_column(str_enum(MemberRole))
    partner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("partner_organisations.id"))
    # Personal data: shown only to holders of partners:contacts.
    contact: Mapped[str | None] = mapped_column(String(320))


class TopicActivity(IdMixin, TimestampMixin, Base):
    __tablename__ = "topic_activities"
    __table_args__ = (Index("ix_topic_activities_topic_group_id_id", "topic_group_id", "id"),)

    topic_group_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("topic_groups.id", ondelete="CASCADE")
    )
    kind: Mapped[ActivityKind] = mapped_column(str_enum(ActivityKind))
    title: Mapped[str] = mapped_column(String(200))
    held_on: Mapped[dt.date] = mapped_column(Date)
    participants: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[str] = mapped_column(Text, default="")


class TopicOutput(IdMixin, TimestampMixin, Base):
    __tablename__ = "topic_outputs"
    __table_args__ = (Index("ix_topic_outputs_topic_group_id_id", "topic_group_id", "id"),)

    topic_group_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("topic_groups.id", ondelete="CASCADE")
    )
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(16))
    tags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[OutputStatus] = mapped_column(str_enum(OutputStatus))
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
