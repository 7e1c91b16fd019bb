from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, ConfigDict, Field

from kit.schemas import InputModel, Name, WebsiteUrl
from services.partners.organisations.models import PartnerKind


class PartnerCreate(InputModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "大自然保护协会 The Nature Conservancy",
                    "kind": "social_organisation",
                    "description": "Nature education walks for families in the community park",
                    "website": "https://www.tnc.org.cn",
                    "expertise": "nature conservation, environmental education",
                }
            ]
        },
    )

    name: Name = Field(description="unique within the foundation's partners")
    kind: PartnerKind
    description: str = Field(default="", max_length=5000)
    website: WebsiteUrl | None = None
    expertise: str | None = Field(
        default=None,
        min_length=1,
        max_length=500,
        description="what the partner brings, e.g. parent education, community gardening",
    )


class PartnerRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    foundation_id: uuid.UUID
    name: str
    kind: PartnerKind
    description: str
    website: str | None
    expertise: str | None
    created_at: dt.datetime
