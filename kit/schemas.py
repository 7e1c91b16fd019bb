"""Field types that several services' API schemas share."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, HttpUrl, StringConstraints, TypeAdapter
from pydantic import ValidationError as PydanticValidationError

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

# A display name; surrounding spaces never make a second "same" name.
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
