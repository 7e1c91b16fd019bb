from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, ConfigDict, Field

from kit.schemas import InputModel, Name
from services.network.networks.models import AuditAction, MemberStatus, Role


class NetworkCreate(InputModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "珠三角社区基金会行动网络",
                    "name_en": "Pearl River Delta Community Foundation Action Network",
                    "description": "Sharing experience and resources among the delta's "
                    "community foundations",
                }
            ]
        },
    )

    name: Name
    name_en: Name | None = None
    description: str = Field(default="", max_length=5000)


class NetworkRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    name_en: str | None
    description: str
    created_by: uuid.UUID
    created_at: dt.datetime
    updated_at: dt.datetime


class Invitation(InputModel):
    foundation_id: uuid.UUID = Field(description="the foundation invited (from the directory)")
    role: Role = Role.MEMBER


class RoleChange(InputModel):
    role: Role


class MemberRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    network_id: uuid.UUID
    foundation_id: uuid.UUID
    role: Role
    status: MemberStatus = Field(
        description="`requested`: the foundation asked, a coordinator answers; `invited`: a "
        "coordinator invited, the foundation answers; `active`: a member"
    )
    created_at: dt.datetime
    updated_at: dt.datetime


class AuditRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    network_id: uuid.UUID
    action: AuditAction
    foundation_id: uuid.UUID | None
    actor_foundation_id: uuid.UUID
    actor_subject: str
    role: Role | None
    at: dt.datetime
