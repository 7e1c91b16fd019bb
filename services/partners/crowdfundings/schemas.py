from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kit.money import MoneyIn, MoneyOut
from kit.schemas import InputModel, Name
from services.partners.crowdfundings.models import ChecklistItem, ReportKind


class CrowdfundingCreate(InputModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "group_name": "海上世界业委会 Sea World owners' committee",
                    "purpose": "Masks and a thank-you subsidy for the compound's property staff",
                    "plan": "Raise in the owners' WeChat group; the treasurer keeps a list...",
                    "goal": {"amount": "8000.00", "currency": "CNY"},
                    "starts_on": "2020-02-08",
                    "ends_on": "2020-02-22",
                }
            ]
        },
    )

    group_name: Name
    partner_id: uuid.UUID | None = Field(
        default=None, description="the group, if it is one of the foundation's partners"
    )
    purpose: str = Field(min_length=1, max_length=500)
    plan: str = Field(default="", max_length=20000, description="Markdown")
    goal: MoneyIn
    starts_on: dt.date
    ends_on: dt.date
    use_report_due_on: dt.date | None = Field(
        default=None,
        description="when the use of funds must be reported; default 90 days after ends_on",
    )

    @model_validator(mode="after")
    def _period(self) -> CrowdfundingCreate:
        if self.ends_on < self.starts_on:
            raise ValueError("ends_on must not be before starts_on")
        if self.use_report_due_on is not None and self.use_report_due_on < self.ends_on:
            raise ValueError("use_report_due_on must not be before ends_on")
        return self


class CheckRead(BaseModel):
    item: ChecklistItem
    done: bool
    done_at: dt.datetime | None
    note: str


class CrowdfundingRead(BaseModel):
    id: uuid.UUID
    foundation_id: uuid.UUID
    group_name: str
    partner_id: uuid.UUID | None
    purpose: str
    plan: str
    goal: MoneyOut
    starts_on: dt.date
    ends_on: dt.date
    use_report_due_on: dt.date
    raised: MoneyOut = Field(description="the sum the group reports raised")
    used: MoneyOut = Field(description="the sum the group reports used")
    use_reported: bool = Field(description="a use of funds was reported on or after ends_on")
    late: bool = Field(description="past use_report_due_on without a use report since the end")
    checklist: list[CheckRead]
    created_at: dt.datetime


class ReportCreate(InputModel):
    kind: ReportKind
    amount: MoneyIn
    reported_on: dt.date
    note: str = Field(default="", max_length=5000)


class ReportRead(BaseModel):
    id: uuid.UUID
    crowdfunding_id: uuid.UUID
    kind: ReportKind
    amount: MoneyOut
    reported_on: dt.date
    note: str
    created_at: dt.datetime


class CheckUpdate(InputModel):
    done: bool
    note: str = Field(default="", max_length=5000)
