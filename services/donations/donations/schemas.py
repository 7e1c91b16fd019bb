from __future__ import annotations

import datetime as dt
import uuid

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
)

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
    channel: Channel | None = Field(
        default=None,
        description="how the money came in; when left out, `host_platform` if the campaign "
        "raises on a host's platform (`host.platform`), else `unspecified`: a channel is never "
        "guessed",
    )
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
    # donor_contact and donor_ref are always sent (null unless shown): the answer's schema
    # lists them as required, as it does every field with a default.
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    id: uuid.UUID
    campaign_id: uuid.UUID
    amount: MoneyOut
    refunded: MoneyOut
    channel: Channel
    external_id: str | None
    donor_name: str | None
    anonymous: bool
    donated_at: dt.datetime = Field(description="when the money was received")
    receipt_number: str | None = Field(
        description="per foundation and year of the donation, in the order the foundation's "
        "transparency log takes donations in: given when the log does (well under a second "
        "after recording), null until then, so an answer to the recording itself usually "
        "shows null"
    )
    entry_id: uuid.UUID = Field(description="the journal entry that records it")
    created_at: dt.datetime
    donor_contact: str | None = Field(
        default=None,
        description="personal data: shown only on reads by a key holding `donors:read`; "
        "null otherwise, and always null in the answer to a write",
    )
    donor_ref: str | None = Field(
        default=None, description="the platform's id of the donor; shown like donor_contact"
    )


class ReceiptHost(BaseModel):
    """The licensed foundation under whose public-fundraising filing the campaign raised."""

    name: str | None
    filing_number: str | None = Field(description="备案编号, the fundraising's filing number")
    platform: str | None = Field(description="the online platform the money was raised on")


class ReceiptLog(BaseModel):
    """Where the donation's journal entry stands in the foundation's transparency log."""

    seq: int | None = Field(
        description="the entry's index in the log; null for the moment between recording "
        "and the log's next head (well under a second)"
    )
    entry: str | None = Field(description="path of the entry as the log hashes it")
    inclusion_proof: str | None = Field(
        description="path of the proof that the latest signed head includes it"
    )
    head: str = Field(description="path of the latest signed head")


class ReceiptRead(BaseModel):
    """A donation receipt: what the donor gave, to whom, and where the ledger records it."""

    receipt_number: str | None = Field(
        description="per foundation and year of the donation: 2020-000001, 2020-000002, ... "
        "in the order the foundation's transparency log takes donations in; null for the "
        "moment between recording and the log's next head (well under a second)"
    )
    donation_id: uuid.UUID
    foundation_id: uuid.UUID
    foundation_name: str | None = Field(
        description="the foundation's name in the network's directory; null if not yet known"
    )
    campaign_id: uuid.UUID
    campaign_title: str
    host: ReceiptHost | None = Field(
        description="set when the campaign raised under a licensed host's filing"
    )
    amount: MoneyOut
    refunded: MoneyOut
    net_amount: MoneyOut = Field(description="the amount less refunds")
    channel: Channel
    external_id: str | None = Field(description="the payment channel's transaction id")
    donor_name: str = Field(
        description="the donor's name (a receipt is the donor's own); "
        '"Anonymous donor" when the donation names nobody'
    )
    donated_at: dt.datetime
    entry_id: uuid.UUID = Field(description="the journal entry that records the donation")
    entry_hash: str = Field(
        description="that entry's hash in the foundation's chain; GET /api/v1/ledger/verify "
        "proves the chain holds it unchanged"
    )
    log: ReceiptLog = Field(
        description="where to check, without trusting anyone, that the public account holds "
        "this gift: `fnet verify --receipt FILE` does it"
    )
    issued_at: dt.datetime = Field(description="when this receipt document was produced")
