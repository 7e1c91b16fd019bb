"""The shapes in which keys are shown (the command-line tool prints these)."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, ConfigDict, Field


class ApiKeyRead(BaseModel):
    """A key as listed: never its secret."""

    # Every member is always sent, so the document lists each as required.
    model_config = ConfigDict(
        from_attributes=True, json_schema_serialization_defaults_required=True
    )

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
    # Always sent (null where nothing applies), so required: a generated client types them
    # as present.
    expires_at: dt.datetime | None = Field(
        description="refused from this time on; null: until revoked"
    )
    last_used_at: dt.datetime | None = Field(description="its last use, to within a minute or so")
    replaced_by_id: uuid.UUID | None = Field(description="the key that replaced it in a rotation")
    state: str = Field(description="active, expired or revoked")


class ApiKeyCreated(ApiKeyRead):
    """A key just created, with the plaintext key: shown this once, stored nowhere."""

    key: str = Field(description="send as X-API-Key or Authorization: Bearer; shown once")


class PartnerKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        min_length=1, max_length=200, description="what the key is for, e.g. the partner's name"
    )


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, description="what the key is for")
    scopes: list[str] | None = Field(
        default=None,
        description="read or write per area (campaigns:read, donations:write, partners:read, "
        "network:write, ...); default: every scope but directory:admin, donors:read and "
        "partners:contacts (partner keys: partners:read and partners:write)",
    )
    expires_at: dt.datetime | None = Field(
        default=None, description="refuse the key from this time on (with a time zone)"
    )
    partner_id: uuid.UUID | None = Field(
        default=None,
        description="make a partner organisation's key: one of the foundation's own partners",
    )


class ApiKeyUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    expires_at: dt.datetime | None = Field(
        default=None, description="refuse the key from this time on; in the past: at once"
    )


class ApiKeyRotate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grace_seconds: int = Field(
        default=24 * 3600,
        ge=0,
        le=30 * 24 * 3600,
        description="how long the old key keeps working beside the new one (at most 30 days)",
    )
