from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, ConfigDict, Field

from kit.money import MoneyIn, MoneyOut
from kit.schemas import InputModel, Name, Timestamp
from services.donations.supplies.schemas import (
    MAX_LINES,
    Evidence,
    EvidenceRead,
    ItemName,
    Note,
    Quantity,
    Unit,
)


class PurchaseLineIn(InputModel):
    item: ItemName
    unit: Unit
    quantity: Quantity
    unit_price: MoneyIn = Field(description="price of one unit, in the campaign's currency")


class PurchaseCreate(InputModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "supplier": "深圳某医疗器械有限公司",
                    "purchased_at": "2020-01-27T10:00:00+08:00",
                    "lines": [
                        {
                            "item": "medical mask",
                            "unit": "piece",
                            "quantity": 2700,
                            "unit_price": {"amount": "3.50", "currency": "CNY"},
                        }
                    ],
                    "evidence": {
                        "ref": "https://files.example.org/invoices/2020-0127.pdf",
                        "sha256": "9f86d081884c7d659a2feaa0c55ad015"
                        "a3bf4f1b2b0b822cd15d6c15b0f00a08",
                    },
                }
            ]
        },
    )

    supplier: Name
    purchased_at: Timestamp | None = Field(default=None, description="defaults to now")
    lines: list[PurchaseLineIn] = Field(min_length=1, max_length=MAX_LINES)
    evidence: Evidence | None = Field(
        default=None, description="the invoice or receipt: where it is and its hash"
    )
    note: Note


class PurchaseLineRead(BaseModel):
    item: str
    unit: str
    quantity: int
    unit_price: MoneyOut
    amount: MoneyOut = Field(description="quantity x unit price")


class PurchaseRead(BaseModel):
    id: uuid.UUID
    campaign_id: uuid.UUID
    supplier: str
    purchased_at: dt.datetime
    total: MoneyOut
    lines: list[PurchaseLineRead]
    evidence: EvidenceRead | None
    note: str
    entry_id: uuid.UUID = Field(description="the journal entry: cash out, stock in")
    created_at: dt.datetime
