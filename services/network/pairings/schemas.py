from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, ConfigDict, Field

from kit.schemas import InputModel
from services.network.pairings.models import PairingStatus


class PairingCreate(InputModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "partner_id": "01935c1e-0000-7000-8000-000000000002",
                    "note": "Compare and develop our community-foundation models",
                }
            ]
        },
    )

    partner_id: uuid.UUID = Field(description="the other foundation (from the directory)")
    note: str = Field(default="", max_length=2000)


class PairingRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    proposer_id: uuid.UUID
    partner_id: uuid.UUID
    note: str
    status: PairingStatus
    ended_by: uuid.UUID | None
    created_at: dt.datetime
    updated_at: dt.datetime
