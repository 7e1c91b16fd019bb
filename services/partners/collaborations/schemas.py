from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from kit.money import MoneyOut
from kit.schemas import InputModel, Name
from services.partners.collaborations.models import CollaborationStatus, OutcomeMetric


def _distinct(ids: list[uuid.UUID]) -> list[uuid.UUID]:
    return list(dict.fromkeys(ids))


PartnerIds = Annotated[
    list[uuid.UUID], Field(min_length=1, max_length=20), AfterValidator(_distinct)
]


class CollaborationCreate(InputModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "线上社区电台 Online community radio",
                    "area": "亲子教育 parent education",
                    "goals": "Weekly radio programmes for families staying at home",
                    "starts_on": "2020-02-10",
                    "ends_on": "2020-06-30",
                    "partner_ids": ["01935d2e-7c1a-7b3e-9a51-6f0c2d9e4b11"],
                }
            ]
        },
    )

    title: Name
    area: Name = Field(description="the field of work, e.g. parent education, ecology")
    goals: str = Field(default="", max_length=10000)
    starts_on: dt.date
    ends_on: dt.date = Field(description="the last day; milestones fall within the period")
    partner_ids: PartnerIds = Field(description="the foundation's current partners in it")

    @model_validator(mode="after")
    def _period(self) -> CollaborationCreate:
        if self.ends_on < self.starts_on:
            raise ValueError("ends_on must not be before starts_on")
        return self


class CollaborationUpdateFields(InputModel):
    """The fields to change; those left out keep their value."""

    title: Name | None = None
    area: Name | None = None
    goals: str | None = Field(default=None, max_length=10000)
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    partner_ids: PartnerIds | None = None


class StatusChange(InputModel):
    status: CollaborationStatus


class OutcomeTotal(BaseModel):
    metric: OutcomeMetric
    unit: str
    total: int


class CollaborationRead(BaseModel):
    id: uuid.UUID
    foundation_id: uuid.UUID
    title: str
    area: str
    goals: str
    starts_on: dt.date
    ends_on: dt.date
    status: CollaborationStatus
    partner_ids: list[uuid.UUID]
    milestones_total: int
    milestones_completed: int
    outcomes: list[OutcomeTotal]
    funding: list[MoneyOut] = Field(
        description="grants paid to its partners within its period, per currency (for a "
        "partner organisation's key: those paid to it)"
    )
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime | None


class MilestoneCreate(InputModel):
    title: Name
    due_on: dt.date = Field(description="within the collaboration's period")


class MilestoneCompletion(InputModel):
    note: str | None = Field(default=None, max_length=5000)


class MilestoneRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    collaboration_id: uuid.UUID
    title: str
    due_on: dt.date
    completed_at: dt.datetime | None
    completed_by: str | None
    completion_note: str | None
    created_at: dt.datetime


class OutcomeCreate(InputModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "metric": "sessions_held",
                    "value": 12,
                    "unit": "sessions",
                    "reported_on": "2020-03-31",
                    "note": "weekly radio programmes in March",
                }
            ]
        },
    )

    metric: OutcomeMetric = Field(
        description="sessions_held (sessions), residents_reached (people), participants "
        "(people), volunteer_hours (hours), households_served (households), "
        "materials_produced (items)"
    )
    value: int = Field(ge=0, le=10_000_000)
    unit: str = Field(min_length=1, max_length=20, description="must be the metric's unit")
    reported_on: dt.date
    note: str = Field(default="", max_length=5000)


class OutcomeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    collaboration_id: uuid.UUID
    metric: OutcomeMetric
    value: int
    unit: str
    reported_on: dt.date
    note: str
    reported_by: str
    partner_id: uuid.UUID | None
    created_at: dt.datetime


class UpdateCreate(InputModel):
    body: str = Field(min_length=1, max_length=20000, description="Markdown")


class UpdateRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    collaboration_id: uuid.UUID
    body: str
    author: str
    partner_id: uuid.UUID | None
    created_at: dt.datetime


class FundingGrant(BaseModel):
    id: uuid.UUID = Field(description="the grant's id in the donations service")
    partner_organisation_id: uuid.UUID
    amount: MoneyOut
    purpose: str
    paid_at: dt.datetime
