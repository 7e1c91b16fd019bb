from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, ConfigDict, Field

from kit.money import MoneyIn, MoneyOut
from kit.schemas import InputModel, Timestamp


class DonationCreate(InputModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "amount": {"amount": "88.88", "currency": "CNY"},
                    "donor_name": "Li Wei",
                    "anonymous": False,
                }
            ]
        },
    )

    amount: MoneyIn = Field(description="positive, in the campaign's currency")
    donor_name: str | None = Field(default=None, min_length=1, max_length=200)
    anonymous: bool = Field(
        default=True,
        description="public reports name the donor only when this is false",
    )
    donated_at: Timestamp | None = Field(default=None, description="defaults to now")


class DonationRead(BaseModel):
    id: uuid.UUID
    campaign_id: uuid.UUID
    amount: MoneyOut
    donor_name: str | None
    anonymous: bool
    donated_at: dt.datetime
    created_at: dt.datetime
