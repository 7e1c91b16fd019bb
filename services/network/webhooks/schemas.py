from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from kit.schemas import InputModel, WebsiteUrl
from services.network.webhooks.models import DeliveryStatus, EventType


class EndpointCreate(InputModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "url": "https://sync.whcf.org.cn/hooks/fnet",
                    "event_types": ["shared_resource.created", "shared_resource.updated"],
                }
            ]
        },
    )

    url: WebsiteUrl = Field(description="where deliveries are POSTed; a public address")
    event_types: list[EventType] = Field(
        default_factory=lambda: list(EventType), min_length=1, description="default: all"
    )
    description: str = Field(default="", max_length=500)


class EndpointRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    url: str
    description: str
    event_types: list[EventType]
    enabled: bool
    disabled_reason: str | None
    created_at: dt.datetime


class EndpointCreated(EndpointRead):
    secret: str = Field(
        description="`whsec_...`: verify each delivery's `webhook-signature` with it "
        "(Standard Webhooks). Shown only now; keep it safe."
    )


class AttemptRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: dt.datetime
    status_code: int | None
    duration_ms: int
    response: str
    error: str | None


class DeliveryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str = Field(description="the `webhook-id`, the same on every attempt and replay")
    endpoint_id: uuid.UUID
    event_type: str
    payload: dict[str, Any]
    status: DeliveryStatus
    attempts: int
    next_attempt_at: dt.datetime
    created_at: dt.datetime


class DeliveryDetail(DeliveryRead):
    attempt_log: list[AttemptRead]
