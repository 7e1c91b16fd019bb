from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from kit.money import MoneyIn, MoneyOut
from kit.schemas import InputModel


class RefundCreate(InputModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "amount": {"amount": "20.00", "currency": "CNY"},
                    "reason": "the donor paid twice by mistake",
                }
            ]
        },
    )

    amount: MoneyIn = Field(
        description="positive, in the donation's currency, at most what is left of it "
        "(the donation less its earlier refunds)"
    )
    reason: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)
    ] = Field(
        description="why the money goes back; kept with the refund for the auditors",
    )


class RefundRead(BaseModel):
    id: uuid.UUID
    donation_id: uuid.UUID
    campaign_id: uuid.UUID
    amount: MoneyOut
    reason: str
    entry_id: uuid.UUID = Field(description="the journal entry that records it")
    created_at: dt.datetime = Field(description="when the refund was recorded")
