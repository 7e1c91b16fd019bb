"""What the API shows of stock, and the input types every package that moves goods
shares (quantities, item names, units, evidence)."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from kit.money import MoneyOut
from kit.schemas import InputModel, Name

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


class Evidence(InputModel):
    ref: str = Field(
        min_length=1,
        max_length=500,
        description="where the invoice or receipt is kept: a URL or a file reference",
    )
    sha256: Sha256 = Field(description="SHA-256 of the file, 64 lowercase hex digits")


class EvidenceRead(BaseModel):
    ref: str
    sha256: str


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
