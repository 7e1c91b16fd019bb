from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, Field

from kit.money import MoneyOut


class PartnerGrantRead(BaseModel):
    id: uuid.UUID = Field(description="the grant's id in the donations service")
    partner_organisation_id: uuid.UUID
    campaign_id: uuid.UUID | None = Field(description="the campaign whose money it was, if any")
    amount: MoneyOut
    purpose: str
    paid_at: dt.datetime
    recorded_at: dt.datetime = Field(description="when this service learned of the grant")
