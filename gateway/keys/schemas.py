"""The shapes in which keys are shown (the command-line tool prints these)."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, ConfigDict, Field


class ApiKeyRead(BaseModel):
    """A key as listed: never its secret."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    prefix: str = Field(description="the public part of the key: fnet_<prefix>_...")
    name: str
    organisation_id: uuid.UUID
    scopes: list[str]
    kind: str = Field(description="foundation, or partner for a partner organisation's key")
    partner_id: uuid.UUID | None = Field(description="the partner organisation of a partner key")
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    revoked: bool


class ApiKeyCreated(ApiKeyRead):
    """A key just created, with the plaintext key: shown this once, stored nowhere."""

    key: str = Field(description="send as X-API-Key or Authorization: Bearer; shown once")


class PartnerKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        min_length=1, max_length=200, description="what the key is for, e.g. the partner's name"
    )
