from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, ConfigDict, Field

from kit.money import MoneyOut
from kit.schemas import InputModel, Name, Timestamp
from services.donations.distributions.models import RecipientKind
from services.donations.supplies.schemas import MAX_LINES, ItemName, Note, Quantity, Unit


class Recipient(InputModel):
    name: Name = Field(description="e.g. '蛇口社区' or 'property-management staff of ...'")
    kind: RecipientKind


class DistributionLineIn(InputModel):
    item: ItemName
    unit: Unit
    quantity: Quantity


class DistributionCreate(InputModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "recipient": {"name": "蛇口社区", "kind": "community"},
                    "lines": [
                        {"item": "medical mask", "unit": "piece", "quantity": 100},
                        {"item": "alcohol disinfectant spray", "unit": "bottle", "quantity": 30},
                    ],
                }
            ]
        },
    )

    recipient: Recipient
    distributed_at: Timestamp | None = Field(default=None, description="defaults to now")
    lines: list[DistributionLineIn] = Field(
        min_length=1,
        max_length=MAX_LINES,
        description="goods from the campaign's stock; never more than it holds",
    )
    note: Note


class RecipientRead(BaseModel):
    name: str
    kind: RecipientKind


class DistributionLineRead(BaseModel):
    item: str
    unit: str
    quantity: int
    value: MoneyOut = Field(description="the share of the item's value that left with them")


class DistributionRead(BaseModel):
    id: uuid.UUID
    campaign_id: uuid.UUID | None
    fund_id: uuid.UUID
    recipient: RecipientRead
    distributed_at: dt.datetime
    note: str
    lines: list[DistributionLineRead]
    value: list[MoneyOut] = Field(description="value of the goods given out, per currency")
    entry_id: uuid.UUID | None = Field(
        description="the journal entry of the value; null when the goods had no value"
    )
    created_at: dt.datetime
