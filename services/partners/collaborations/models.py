from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import IdMixin, TimestampMixin, UTCDateTime
from services.partners.base import Base
from services.partners.organisations.models import str_enum


class CollaborationStatus(enum.StrEnum):
    PROPOSED = "proposed"
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


# The only moves: a proposal starts or is dropped; running work ends or is stopped.
TRANSITIONS: dict[CollaborationStatus, frozenset[CollaborationStatus]] = {
    CollaborationStatus.PROPOSED: frozenset(
        {CollaborationStatus.ACTIVE, CollaborationStatus.CANCELLED}
    ),
    CollaborationStatus.ACTIVE: frozenset(
        {CollaborationStatus.COMPLETED, CollaborationStatus.CANCELLED}
    ),
    CollaborationStatus.COMPLETED: frozenset(),
    CollaborationStatus.CANCELLED: frozenset(),
}


class OutcomeMetric(enum.StrEnum):
    SESSIONS_HELD = "sessions_held"
    RESIDENTS_REACHED = "residents_reached"
    PARTICIPANTS = "participants"
    VOLUNTEER_HOURS = "volunteer_hours"
    HOUSEHOLDS_SERVED = "households_served"
    MATERIALS_PRODUCED = "materials_produced"


# Each figure is counted in one unit, so that reports of one metric add up.
METRIC_UNITS: dict[OutcomeMetric, str] = {
    OutcomeMetric.SESSIONS_HELD: "sessions",
    OutcomeMetric.RESIDENTS_REACHED: "people",
    OutcomeMetric.PARTICIPANTS: "people",
    OutcomeMetric.VOLUNTEER_HOURS: "hours",
    OutcomeMetric.HOUSEHOLDS_SERVED: "households",
    OutcomeMetric.MATERIALS_PRODUCED: "items",
}


class Collaboration(IdMixin, TimestampMixin, Base):
    __tablename__ = "collaborations"
    __table_args__ = (Index("ix_collaborations_foundation_id_id", "foundation_id", "id"),)

    foundation_id: Mapped[uuid.UUID]
    title: Mapped[str] = mapped_column(String(200))
    area: Mapped[str] = mapped_column(String(200))
    goals: Mapped[str] = mapped_column(Text, default="")
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[CollaborationStatus] = mapped_column(str_enum(CollaborationStatus))
    # Bumped by every change of the collaboration itself; the first part of its ETag.
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class CollaborationPartner(Base):
    __tablename__ = "collaboration_partners"
    __table_args__ = (Index("ix_collaboration_partners_partner_id", "partner_id"),)

    collaboration_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("collaborations.id", ondelete="CASCADE"), primary_key=True
    )
    partner_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("partner_organisations.id"), primary_key=True
    )


class Milestone(IdMixin, TimestampMixin, Base):
    __tablename__ = "milestones"
    __table_args__ = (Index("ix_milestones_collaboration_id_id", "collaboration_id", "id"),)

    collaboration_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("collaborations.id", ondelete="CASCADE")
    )
    title: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[dt.date] = mapped_column(Date)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    completed_by: Mapped[str | None] = mapped_column(String(200))
    completion_note: Mapped[str | None] = mapped_column(Text)


class OutcomeReport(IdMixin, TimestampMixin, Base):
    __tablename__ = "outcome_reports"
    __table_args__ = (Index("ix_outcome_reports_collaboration_id_id", "collaboration_id", "id"),)

    collaboration_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("collaborations.id", ondelete="CASCADE")
    )
    metric: Mapped[OutcomeMetric] = mapped_column(str_enum(OutcomeMetric))
    value: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    reported_on: Mapped[dt.date] = mapped_column(Date)
    reported_by: Mapped[str] = mapped_column(String(200))
    partner_id: Mapped[uuid.UUID | None] = mapped_column(
        doc="the partner organisation whose key reported it, if one did"
    )


class CollaborationUpdate(IdMixin, TimestampMixin, Base):
    """One entry of the collaboration's timeline: news, a photo report's text, a problem."""

    __tablename__ = "collaboration_updates"
    __table_args__ = (
        Index("ix_collaboration_updates_collaboration_id_id", "collaboration_id", "id"),
    )

    collaboration_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("collaborations.id", ondelete="CASCADE")
    )
    body: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(200))
    partner_id: Mapped[uuid.UUID | None]
