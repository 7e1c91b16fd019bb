"""The home screen's answer. The gateway imports no service's code, so these are its own
shapes: the fields of the services' answers a phone's home screen shows (what it needs
more of, it reads from the service's own route by id). Read from the services' JSON,
other fields are ignored."""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from pydantic import BaseModel, ConfigDict, Field

from kit.money import MoneyOut


class Part(enum.StrEnum):
    """A service whose share of the answer may be missing, as ``degraded`` names it."""

    DONATIONS = "donations"
    PARTNERS = "partners"
    NETWORK = "network"


class CampaignProgress(BaseModel):
    id: uuid.UUID
    title: str
    status: str = Field(description="always `open` here")
    goal: MoneyOut
    raised: MoneyOut = Field(description="in the goal's currency")
    progress_percent: int = Field(
        ge=0, description="raised as a whole percentage of the goal (may pass 100)"
    )
    donation_count: int
    ends_at: dt.datetime | None


class DisclosureDue(BaseModel):
    campaign_id: uuid.UUID
    campaign_title: str
    kind: str = Field(description="`periodic` (every three months of a long campaign) or `final`")
    period_start: dt.datetime
    period_end: dt.datetime
    due_at: dt.datetime
    overdue: bool


class MilestoneDue(BaseModel):
    id: uuid.UUID
    collaboration_id: uuid.UUID
    collaboration_title: str
    title: str
    due_on: dt.date
    overdue: bool


class Due(BaseModel):
    """What is due within the next 30 days, or overdue, earliest first. A list is null when
    it is not shown: the caller lacks its scope, or its service is in ``degraded``."""

    disclosures: list[DisclosureDue] | None = Field(
        description="the donations service's disclosure calendar (needs campaigns:read)"
    )
    milestones: list[MilestoneDue] | None = Field(
        description="open milestones of the caller's active collaborations (needs partners:read)"
    )


class CollaborationSummary(BaseModel):
    id: uuid.UUID
    title: str
    area: str
    status: str
    starts_on: dt.date
    ends_on: dt.date
    partner_ids: list[uuid.UUID]
    milestones_total: int
    milestones_completed: int


class ResourceSummary(BaseModel):
    id: uuid.UUID
    owner_id: uuid.UUID
    kind: str
    title: str
    language: str
    tags: list[str]
    visibility: str
    updated_at: dt.datetime


class MobileHome(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "campaigns": [
                        {
                            "id": "01935d2e-7c1a-7b3e-9a51-6f0c2d9e4b01",
                            "title": "抗疫物资 Epidemic supplies for Shekou",
                            "status": "open",
                            "goal": {"amount": "50000.00", "currency": "CNY"},
                            "raised": {"amount": "20670.18", "currency": "CNY"},
                            "progress_percent": 41,
                            "donation_count": 312,
                            "ends_at": "2020-03-31T16:00:00Z",
                        }
                    ],
                    "due": {
                        "disclosures": [
                            {
                                "campaign_id": "01935d2e-7c1a-7b3e-9a51-6f0c2d9e4b01",
                                "campaign_title": "抗疫物资 Epidemic supplies for Shekou",
                                "kind": "periodic",
                                "period_start": "2020-02-01T00:00:00Z",
                                "period_end": "2020-05-01T00:00:00Z",
                                "due_at": "2020-05-31T00:00:00Z",
                                "overdue": False,
                            }
                        ],
                        "milestones": [
                            {
                                "id": "01935d2e-7c1a-7b3e-9a51-6f0c2d9e4b21",
                                "collaboration_id": "01935d2e-7c1a-7b3e-9a51-6f0c2d9e4b31",
                                "collaboration_title": "线上社区电台 Online community radio",
                                "title": "First ten programmes on air",
                                "due_on": "2020-03-15",
                                "overdue": False,
                            }
                        ],
                    },
                    "collaborations": [
                        {
                            "id": "01935d2e-7c1a-7b3e-9a51-6f0c2d9e4b31",
                            "title": "线上社区电台 Online community radio",
                            "area": "亲子教育 parent education",
                            "status": "active",
                            "starts_on": "2020-02-10",
                            "ends_on": "2020-06-30",
                            "partner_ids": ["01935d2e-7c1a-7b3e-9a51-6f0c2d9e4b11"],
                            "milestones_total": 3,
                            "milestones_completed": 1,
                        }
                    ],
                    "shared_resources": None,
                    "degraded": ["network"],
                }
            ]
        }
    )

    campaigns: list[CampaignProgress] | None = Field(
        description="the foundation's open campaigns, newest first (needs campaigns:read)"
    )
    due: Due
    collaborations: list[CollaborationSummary] | None = Field(
        description="the caller's collaborations, newest first; a partner's person sees "
        "only those of their partner organisation (needs partners:read)"
    )
    shared_resources: list[ResourceSummary] | None = Field(
        description="the newest shared resources the caller may see, newest first (needs "
        "network:read)"
    )
    degraded: list[Part] = Field(
        description="the services that did not answer in time or failed: their parts are "
        "null. A part the caller has no scope for is null too, but not named here"
    )
