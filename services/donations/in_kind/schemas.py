from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, ConfigDict, Field

from kit.money import MoneyIn, MoneyOut
from kit.schemas import InputModel, Name, Timestamp
from services.donations.supplies.schemas import ItemName, Quantity, Unit


class InKindDonationCreate(InputModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "item": "medical mask",
                    "unit": "piece",
                    "quantity": 500,
                    "fair_value": {"amount": "750.00", "currency": "CNY"},
                    "donor_name": "蛇口某公司",
                    "anonymous": False,
                }
            ]
        },
    )

    item: ItemName
    unit: Unit
    quantity: Quantity
    fair_value: MoneyIn | None = Field(
        default=None,
        description="what all the goods are worth, in the campaign's currency; without it "
        "they enter the stock with no value and no money is booked",
    )
    donor_name: Name | None = None
    anonymous: bool = Field(
        default=True, description="public reports name the donor only when this is false"
    )
    donor_contact: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="phone or e-mail; stored, never shown",
    )
    received_at: Timestamp | None = Field(
        default=None, description="when the goods arrived; defaults to now"
    )


class InKindDonationRead(BaseModel):
    id: uuid.UUID
    campaign_id: uuid.UUID | None
    item: str
    unit: str
    quantity: int
    fair_value: MoneyOut | None
    donor_name: str | None
    anonymous: bool
    received_at: dt.datetime
    entry_id: uuid.UUID | None = Field(
        description="the journal entry of the fair value; null when the goods had none"
    )
    created_at: dt.datetime
