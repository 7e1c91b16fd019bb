from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from kit.money import MoneyIn, MoneyOut
from kit.schemas import InputModel, Name, Timestamp
from services.donations.supplies.models import RecipientKind

# Far beyond any foundation's stock, and small enough that quantity x price stays exact
# everywhere (the total is checked against the money limit as well).
MAX_QUANTITY = 10**12
MAX_LINES = 100

# Whole units only: strict, so 1.5, 1.0, "3" and true are refused rather than coerced.
Quantity = Annotated[
    int,
    Field(strict=True, gt=0, le=MAX_QUANTITY, description="a positive whole number of units"),
]
ItemName = Annotated[
    Name, Field(description="what the goods are, e.g. 'KN95 mask'; surrounding spaces dropped")
]
Unit = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=50),
    Field(description="how they are counted, e.g. 'piece', 'bottle', 'box of 50'"),
]
Note = Annotated[str, Field(default="", max_length=5000)]

_SHA256 = re.compile(r"[0-9a-f]{64}")


def _sha256_hex(value: str) -> str:
    if not _SHA256.fullmatch(value):
        raise ValueError("must be 64 lowercase hexadecimal digits (the file's SHA-256)")
    return value


Sha256 = Annotated[
    str,
    Field(strict=True, json_schema_extra={"pattern": "^[0-9a-f]{64}$"}),
    AfterValidator(_sha256_hex),
]


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


class PurchaseLineIn(InputModel):
    item: ItemName
    unit: Unit
    quantity: Quantity
    unit_price: MoneyIn = Field(description="price of one unit, in the campaign's currency")


class Evidence(InputModel):
    ref: str = Field(
        min_length=1,
        max_length=500,
        description="where the invoice or receipt is kept: a URL or a file reference",
    )
    sha256: Sha256 = Field(description="SHA-256 of the file, 64 lowercase hex digits")


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


class EvidenceRead(BaseModel):
    ref: str
    sha256: str


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


class StockItemRead(BaseModel):
    id: uuid.UUID
    fund_id: uuid.UUID = Field(
        description="the campaign, or the foundation itself for its unrestricted fund"
    )
    item: str
    unit: str
    quantity: int
    value: MoneyOut = Field(description="at cost or declared fair value; zero when none left")
    created_at: dt.datetime
