from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StringConstraints,
    model_serializer,
)

from kit.errors import FieldProblem
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
    donor_contact: str | None = Field(
        default=None,
        description="personal data: shown only on reads by a key holding `donors:read`; "
        "null otherwise, and always null in the answer to a write",
    )
    donor_ref: str | None = Field(
        default=None, description="the platform's id of the donor; shown like donor_contact"
    )


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


class ReceiptHost(BaseModel):
    """The licensed foundation under whose public-fundraising filing the campaign raised."""

    name: str | None
    filing_number: str | None = Field(description="备案编号, the fundraising's filing number")
    platform: str | None = Field(description="the online platform the money was raised on")


class ReceiptRead(BaseModel):
    """A donation receipt: what the donor gave, to whom, and where the ledger records it."""

    receipt_number: str = Field(
        description="per foundation and year of the donation: 2020-000001, 2020-000002, ..."
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
    issued_at: dt.datetime = Field(description="when this receipt document was produced")


class ImportRowStatus(enum.StrEnum):
    IMPORTED = "imported"
    DUPLICATE = "duplicate"
    INVALID = "invalid"
    # Only in the report of a refused file (422): the row is fine, but nothing was stored.
    VALID = "valid"


class ImportRowReport(BaseModel):
    row: int = Field(description="the row's line number in the file, from 1 (the header)")
    status: ImportRowStatus
    errors: list[FieldProblem] = Field(
        description="what is wrong with an invalid row, by column; for a duplicate, what it repeats"
    )
    donation_id: uuid.UUID | None = Field(
        description="the donation the row recorded, or for a duplicate the one it repeats "
        "(when known); null for an invalid row"
    )

    @model_serializer(mode="wrap")
    def _keep_null_donation_id(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Problem documents drop null members; a row's report keeps one shape everywhere.
        out: dict[str, Any] = handler(self)
        out.setdefault("donation_id", None if self.donation_id is None else str(self.donation_id))
        return out


class ImportRequest(BaseModel):
    """What makes two uploads the same request, for ``Idempotency-Key``."""

    file_sha256: str
    valid_only: bool


class ImportSummary(BaseModel):
    id: uuid.UUID
    campaign_id: uuid.UUID
    file_sha256: str = Field(description="SHA-256 of the uploaded bytes")
    valid_only: bool
    total_rows: int = Field(description="data rows in the file (blank lines not counted)")
    imported: int
    duplicates: int
    invalid: int
    submitted_by: str = Field(description="the key or user that uploaded the file")
    created_at: dt.datetime


class ImportRead(ImportSummary):
    rows: list[ImportRowReport] = Field(description="one report per data row, in file order")
