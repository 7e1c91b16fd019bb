from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from kit.schemas import InputModel
from services.network.resources.schemas import Body, Language, ResourceRead, Sharing, Tag, Title


class OfferKind(enum.StrEnum):
    OFFER = "offer"
    REQUEST = "request"


Text200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class OfferCreate(Sharing):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "offer",
                    "item": "医用口罩 surgical masks",
                    "quantity": 500,
                    "unit": "pieces",
                    "place": "Shekou, Nanshan, Shenzhen",
                    "region": "Nanshan",
                    "expires_at": "2020-03-31T16:00:00Z",
                    "language": "zh-CN",
                    "visibility": "public",
                }
            ]
        },
    )

    kind: OfferKind = OfferKind.OFFER
    item: Text200
    quantity: int = Field(ge=1, le=1_000_000_000)
    unit: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
    place: Text200
    region: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
        | None
    ) = None
    expires_at: dt.datetime | None = None
    title: Title | None = Field(default=None, description="default: item, quantity and unit")
    body: Body = ""
    language: Language
    tags: list[Tag] = Field(default_factory=list, max_length=20)


class OfferDetailsRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    item: str
    quantity: int
    remaining: int
    unit: str
    place: str
    region: str | None
    expires_at: dt.datetime | None


class OfferRead(BaseModel):
    resource: ResourceRead
    details: OfferDetailsRead


class ClaimCreate(InputModel):
    quantity: int = Field(ge=1, le=1_000_000_000)
    note: str = Field(default="", max_length=500)


class ClaimRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    offer_id: uuid.UUID
    claimant_id: uuid.UUID
    quantity: int
    note: str
    created_at: dt.datetime
