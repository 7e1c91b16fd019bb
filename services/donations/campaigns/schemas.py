from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, ConfigDict, Field

from kit.money import MoneyIn, MoneyOut
from kit.schemas import InputModel, Timestamp
from services.donations.campaigns.models import CampaignStatus


class CampaignCreate(InputModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "Epidemic mutual-aid fundraising, phase 1",
                    "purpose": "Masks and disinfectant for front-line community workers",
                    "goal": {"amount": "20000.00", "currency": "CNY"},
                }
            ]
        },
    )

    title: str = Field(min_length=1, max_length=200)
    purpose: str = Field(default="", max_length=5000)
    goal: MoneyIn = Field(description="target amount; donations must use its currency")
    starts_at: Timestamp | None = Field(default=None, description="defaults to now")
    ends_at: Timestamp | None = None


class CampaignRead(BaseModel):
    id: uuid.UUID
    foundation_id: uuid.UUID
    title: str
    purpose: str
    status: CampaignStatus
    goal: MoneyOut
    raised: MoneyOut = Field(
        description="donations less refunds, in the campaign's currency (see raised_by_currency)"
    )
    raised_by_currency: list[MoneyOut] = Field(description="donations less refunds, per currency")
    held: list[MoneyOut] = Field(description="money the campaign holds now, per currency")
    donation_count: int = Field(description="number of donations (人次), not of donors")
    starts_at: dt.datetime
    ends_at: dt.datetime | None
    created_at: dt.datetime
