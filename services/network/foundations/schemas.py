from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from kit.schemas import InputModel, Name, WebsiteUrl

SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
_SLUG = re.compile(SLUG_PATTERN)


def _slug(value: str) -> str:
    if not _SLUG.match(value):
        raise ValueError(
            "must be lowercase letters and digits, in words joined by single hyphens, "
            "e.g. shekou-community-foundation"
        )
    return value


Slug = Annotated[
    str,
    StringConstraints(min_length=2, max_length=63),
    AfterValidator(_slug),
    Field(
        description="the foundation's short name in URLs, unique in the network",
        json_schema_extra={"pattern": SLUG_PATTERN},
    ),
]
Contact = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=300),
    Field(description="whom other foundations contact about networking: a name, e-mail or phone"),
]
Place = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class FoundationCreate(InputModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "slug": "shekou-community-foundation",
                    "name": "蛇口社区基金会",
                    "name_en": "Shekou Community Foundation",
                    "city": "Shenzhen",
                    "region": "Nanshan",
                    "description": "A community foundation for the residents of Shekou",
                    "public_fundraising_licence": False,
                    "website": "https://www.skcf.org.cn",
                    "contact": "network@skcf.org.cn",
                }
            ]
        },
    )

    slug: Slug
    name: Name
    name_en: Name | None = None
    city: Place | None = None
    region: Place | None = Field(default=None, description="district within the city")
    description: str = Field(default="", max_length=5000)
    public_fundraising_licence: bool = Field(
        default=False, description="holds 公募资格: may raise funds from the general public"
    )
    website: WebsiteUrl | None = None
    contact: Contact | None = None


class FoundationUpdate(InputModel):
    """The fields to change; those left out keep their value, ``null`` clears an optional
    one. The slug never changes: other services and links know the foundation by it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name": "蛇口社区公益基金会"}]},
    )

    name: Name | None = None
    name_en: Name | None = None
    city: Place | None = None
    region: Place | None = Field(default=None, description="district within the city")
    description: str | None = Field(default=None, max_length=5000)
    website: WebsiteUrl | None = None
    contact: Contact | None = None

    @field_validator("name", "description", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # Runs only for fields the body sends: null may not clear what every foundation has.
        if value is None:
            raise ValueError("may not be null")
        return value

    @model_validator(mode="after")
    def _changes_something(self) -> FoundationUpdate:
        if not self.model_fields_set:
            raise PydanticCustomError("empty", "name at least one field to change")
        return self


class FoundationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    slug: str
    name: str
    name_en: str | None
    city: str | None
    region: str | None
    description: str
    public_fundraising_licence: bool
    website: str | None
    contact: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
