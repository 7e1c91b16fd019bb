from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from kit.money import MoneyIn, MoneyOut
from kit.schemas import InputModel, Name, Timestamp

Purpose = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]


class GrantReceivedCreate(InputModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "grantor": "深圳市社会公益基金会 Shenzhen Social Welfare Foundation",
                    "programme": "溪流计划专项资金 Stream Plan fund",
                    "purpose": "Epidemic prevention supplies for front-line community workers",
                    "amount": {"amount": "30000.00", "currency": "CNY"},
                    "campaign_id": "01935d2e-7c1a-7b3e-9a51-6f0c2d9e4b11",
                    "received_at": "2020-02-03T09:30:00+08:00",
                }
            ]
        },
    )

    grantor: Name = Field(description="the foundation or body that granted the money")
    programme: Name | None = Field(
        default=None,
        description="the grantor's programme or fund, e.g. 溪流计划专项资金 (Stream Plan fund)",
    )
    purpose: str = Field(default="", max_length=5000, description="what the grant is for")
    amount: MoneyIn = Field(description="positive; any supported currency")
    campaign_id: uuid.UUID | None = Field(
        default=None,
        description="the campaign the grant is restricted to: its money can then only be "
        "spent through that campaign. Null credits the foundation's unrestricted fund",
    )
    received_at: Timestamp | None = Field(
        default=None, description="when the money arrived; defaults to now"
    )


class GrantReceivedRead(BaseModel):
    id: uuid.UUID
    campaign_id: uuid.UUID | None
    fund_id: uuid.UUID = Field(description="the campaign, or the foundation's unrestricted fund")
    restricted: bool = Field(description="true when credited to a campaign")
    grantor: str
    programme: str | None
    purpose: str
    amount: MoneyOut
    received_at: dt.datetime
    entry_id: uuid.UUID = Field(description="the journal entry that records it")
    created_at: dt.datetime


class GrantPaidCreate(InputModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "partner_organisation_id": "01935d2f-1b2c-7d4e-8f60-1a2b3c4d5e6f",
                    "campaign_id": "01935d2e-7c1a-7b3e-9a51-6f0c2d9e4b11",
                    "purpose": "Online community radio with 妈妈幸福学习园, three months",
                    "amount": {"amount": "5000.00", "currency": "CNY"},
                    "paid_at": "2020-02-20T10:00:00+08:00",
                }
            ]
        },
    )

    partner_organisation_id: uuid.UUID = Field(
        description="the partner organisation's id in the partners service"
    )
    campaign_id: uuid.UUID | None = Field(
        default=None,
        description="the campaign whose money is granted (in its currency); null spends the "
        "foundation's unrestricted fund",
    )
    purpose: Purpose = Field(description="what the grant is for")
    amount: MoneyIn
    paid_at: Timestamp | None = Field(
        default=None, description="when the money was paid; defaults to now"
    )


class GrantPaidRead(BaseModel):
    id: uuid.UUID
    partner_organisation_id: uuid.UUID
    campaign_id: uuid.UUID | None
    fund_id: uuid.UUID = Field(description="the campaign, or the foundation's unrestricted fund")
    purpose: str
    amount: MoneyOut
    paid_at: dt.datetime
    entry_id: uuid.UUID = Field(description="the journal entry that records it")
    created_at: dt.datetime
