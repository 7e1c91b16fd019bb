from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from kit.money import MoneyIn, MoneyOut
from kit.schemas import InputModel, Name
from services.donations.expenses.models import ExpenseStatus

# An expense category, also the ledger account ``expense:<category>``: a stable slug, so
# that "Transport" and "transport " never become two accounts.
Category = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$"),
    Field(
        description="lowercase letters, digits, '-' and '_', 1 to 64 characters, starting "
        "with a letter or digit, e.g. transport, printing, venue-hire",
        examples=["transport"],
    ),
]
Sha256 = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9a-fA-F]{64}$", to_lower=True),
    Field(description="SHA-256 of the file, 64 hexadecimal digits"),
]


class ExpenseEvidence(InputModel):
    """A reference to the receipt or invoice kept elsewhere, with its hash, so that anyone
    holding the file can check it is the one the expense was approved on."""

    ref: str = Field(
        min_length=1, max_length=500, description="where the file is, e.g. a URL or a file id"
    )
    sha256: Sha256


class EvidenceRead(BaseModel):
    ref: str
    sha256: str


class ExpenseCreate(InputModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "category": "transport",
                    "payee": "深圳市顺达货运 Shunda Freight",
                    "description": "Van hire to bring masks to 24 community stations",
                    "amount": {"amount": "860.00", "currency": "CNY"},
                    "evidence": {
                        "ref": "https://files.example.org/receipts/2020-0131-van.pdf",
                        "sha256": "9f86d081884c7d659a2feaa0c55ad015"
                        "a3bf4f1b2b0b822cd15d6c15b0f00a08",
                    },
                }
            ]
        },
    )

    category: Category
    payee: Name = Field(description="who is to be paid")
    description: str = Field(default="", max_length=5000)
    amount: MoneyIn = Field(description="positive, in the campaign's currency")
    evidence: ExpenseEvidence | None = None


class ExpenseDecision(InputModel):
    """An approval; the note is optional."""

    note: str = Field(default="", max_length=2000)


class ExpenseRejection(InputModel):
    """A rejection must say why, for the submitter and for the record."""

    note: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)
    ] = Field(description="why the expense is rejected")


class ExpenseRead(BaseModel):
    id: uuid.UUID
    campaign_id: uuid.UUID
    category: str
    payee: str
    description: str
    amount: MoneyOut
    evidence: EvidenceRead | None
    status: ExpenseStatus
    submitted_by: str
    decided_by: str | None = Field(description="who approved or rejected it")
    decided_at: dt.datetime | None
    decision_note: str
    paid_at: dt.datetime | None
    entry_id: uuid.UUID | None = Field(description="the journal entry of the payment")
    version: int = Field(description="grows with every change; the ETag is its quoted value")
    created_at: dt.datetime
