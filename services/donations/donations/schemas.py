from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, ConfigDict, Field

from kit.money import MoneyIn, MoneyOut
from kit.schemas import InputModel, Name, Timestamp
from services.donations.donations.models import Channel


class DonationCreate(InputModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "amount": {"amount": "88.88", "currency": "CNY"},
                    "channel": "wechat_pay",
                    "external_id": "4200000512202001281234567890",
                    "donor_name": "Li Wei",
                    "anonymous": False,
                }
            ]
        },
    )

    amount: MoneyIn = Field(description="positive; any supported currency (sums stay per currency)")
    channel: Channel = Field(default=Channel.HOST_PLATFORM, description="how the money came in")
    external_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        description="the payment channel's transaction id; a second donation with the same "
        "channel and id is refused (409), so a payment is never counted twice",
    )
    donor_name: Name | None = None
    anonymous: bool = Field(
        default=True,
        description="public reports name the donor only when this is false (the donor's consent)",
    )
    donor_contact: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="phone or e-mail for the receipt; stored, never shown publicly",
    )
    donor_ref: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        description="the platform's id of the donor; used to count unique donors",
    )
    donated_at: Timestamp | None = Field(
        default=None, description="when the money was received; defaults to now"
    )


class DonationRead(BaseModel):
    id: uuid.UUID
    campaign_id: uuid.UUID
    amount: MoneyOut
    refunded: MoneyOut
    channel: Channel
    external_id: str | None
    donor_name: str | None
    anonymous: bool
    donated_at: dt.datetime = Field(description="when the money was received")
    receipt_number: str
    entry_id: uuid.UUID = Field(description="the journal entry that records it")
    created_at: dt.datetime
