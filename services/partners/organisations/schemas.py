from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    StringConstraints,
    TypeAdapter,
)
from pydantic import ValidationError as PydanticValidationError

from services.partners.organisations.models import PartnerKind

_HTTP_URL: TypeAdapter[HttpUrl] = TypeAdapter(HttpUrl)


def _http_url(value: str) -> str:
    # Validated as a URL but kept as the client wrote it (HttpUrl would add a trailing "/").
    try:
        _HTTP_URL.validate_python(value)
    except PydanticValidationError:
        raise ValueError("must be an http(s) URL such as https://example.org") from None
    return value


WebsiteUrl = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=500),
    AfterValidator(_http_url),
    Field(json_schema_extra={"format": "uri"}),
]
# Names are unique per foundation; surrounding spaces must not make a second "same" name.
PartnerName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class PartnerCreate(BaseModel):
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

    name: PartnerName = Field(description="unique within the foundation's partners")
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
    id: uuid.UUID
    foundation_id: uuid.UUID
    name: str
    kind: PartnerKind
    description: str
    website: str | None
    expertise: str | None
    created_at: dt.datetime
