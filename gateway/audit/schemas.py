from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class AuditEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    created_at: dt.datetime
    action: str = Field(
        description="login.succeeded, login.failed, login.throttled, logout, "
        "token.refresh_reused, key.created, key.rotated, key.revoked, key.expiry_set, "
        "key.used (first use in an hour), permission.denied, invitation.created, "
        "invitation.accepted, member.role_changed, member.removed, password.changed"
    )
    organisation_id: uuid.UUID | None
    actor: str = Field(description="person:<id>, key:<prefix>, or the address that tried")
    target: str | None
    client_ip: str | None
    details: dict[str, Any]


class AuditPage(BaseModel):
    items: list[AuditEntryRead]
    next_before: dt.datetime | None = Field(
        description="pass as ?before= for the next (older) page; null at the end"
    )
