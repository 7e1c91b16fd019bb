from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from kit.schemas import InputModel, Name, WebsiteUrl
from services.partners.organisations.models import PartnerKind

Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
District = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]


def _distinct(tags: list[str]) -> list[str]:
    return list(dict.fromkeys(tags))


Tags = Annotated[list[Tag], Field(max_length=20), AfterValidator(_distinct)]


class PartnerCreate(InputModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "妈妈幸福学习园",
                    "name_en": "Happy Mothers Learning Garden",
                    "kind": "social_organisation",
                    "description": "Parent education; runs the online community radio",
                    "district": "蛇口 Shekou",
                    "tags": ["亲子教育", "社区电台"],
                }
            ]
        },
    )

    name: Name = Field(description="the Chinese name; with the district, unique in the foundation")
    name_en: Name | None = Field(default=None, description="the English name, if it has one")
    kind: PartnerKind
    description: str = Field(default="", max_length=5000)
    district: District = Field(default="", description="where it works, e.g. 蛇口 Shekou")
    tags: Tags = Field(default_factory=list, description="capabilities, e.g. 亲子教育, 园艺")
    website: WebsiteUrl | None = None
    expertise: str | None = Field(default=None, min_length=1, max_length=500)


class PartnerUpdate(InputModel):
    """The fields to change; those left out keep their value."""

    name: Name | None = None
    name_en: Name | None = None
    kind: PartnerKind | None = None
    description: str | None = Field(default=None, max_length=5000)
    district: District | None = None
    tags: Tags | None = None
    website: WebsiteUrl | None = None
    expertise: str | None = Field(default=None, min_length=1, max_length=500)


class VerificationCreate(InputModel):
    evidence: str = Field(
        min_length=1,
        max_length=5000,
        description="what the verification rests on, e.g. the registration certificate's "
        "number, a visit on a date",
    )


class Verification(BaseModel):
    verified_by: str = Field(description="the key or person that verified it")
    verified_at: dt.datetime
    evidence: str


class PartnerRead(BaseModel):
    id: uuid.UUID
    foundation_id: uuid.UUID
    name: str
    name_en: str | None
    kind: PartnerKind
    description: str
    district: str
    tags: list[str]
    website: str | None
    expertise: str | None
    verification: Verification | None
    archived_at: dt.datetime | None
    version: int = Field(description="bumped by every change; the ETag is its value in quotes")
    created_at: dt.datetime
    updated_at: dt.datetime | None


class ContactCreate(InputModel):
    name: Name
    role: str | None = Field(default=None, min_length=1, max_length=200)
    phone: str | None = Field(default=None, min_length=3, max_length=50)
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+$", max_length=320)


class ContactRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    partner_id: uuid.UUID
    name: str
    role: str | None
    phone: str | None
    email: str | None
    created_at: dt.datetime
