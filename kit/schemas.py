"""Field types that several services' API schemas share."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    HttpUrl,
    StringConstraints,
    TypeAdapter,
    field_validator,
)
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

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


def _not_blank(value: str) -> str:
    if not value:
        raise PydanticCustomError("blank", "must not be empty or only whitespace")
    return value


# A display name: surrounding whitespace (Unicode's, so the ideographic space U+3000 too)
# is dropped, so surrounding spaces never make a second "same" name; and what is left must
# not be empty: a name of spaces alone is no name (422 ``blank`` naming the field).
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=200),
    AfterValidator(_not_blank),
    Field(json_schema_extra={"minLength": 1, "pattern": r"\S"}),
]
# A title (a campaign's); the same rules as a name.
Title = Name


def _in_utc(value: dt.datetime) -> dt.datetime:
    # "0001-01-01T00:00:00+05:00" is a valid aware datetime that UTC cannot hold; without
    # this check the conversion fails where the row is written, as a 500.
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError("is out of range once converted to UTC") from None


_ISO_DATE_START = re.compile(r"\s*\d{4}-\d{2}-\d{2}")


def _iso_text(value: Any) -> Any:
    # Lax parsing reads a number (or a string of digits) as a Unix time, so 0.5 would be a
    # donation made in 1970, and seconds and milliseconds would be guessed apart.
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _ISO_DATE_START.match(value):
        return value
    raise ValueError(
        "must be an ISO 8601 date and time with a zone offset, such as 2020-01-28T09:30:00+08:00"
    )


# A point in time a client sends: ISO 8601 with a zone offset, answered and stored in UTC.
Timestamp = Annotated[AwareDatetime, BeforeValidator(_iso_text), AfterValidator(_in_utc)]


class InputModel(BaseModel):
    """Base of every request body: unknown fields are refused, and so is a string holding
    U+0000, which PostgreSQL cannot store (it would fail at the write, as a 503)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain the NUL character (U+0000)")
        return value


@dataclass(frozen=True, slots=True)
class DocumentedAs:
    """Document a field as ``model`` (a ``$ref`` to its schema) while its value is kept and
    sent exactly as it is: ``Annotated[dict[str, Any], DocumentedAs(ReportRead)]`` for a
    stored snapshot whose bytes are hashed, so that no round trip through the model may
    change them. The value must have the model's shape; a test compares them."""

    model: type[BaseModel]

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        # The model's schema as a definition, and a reference to it: generated like that,
        # it is filed under the model's name and referred to, as for a field of its type.
        model = self.model.__pydantic_core_schema__
        definitions: list[CoreSchema] = [model]
        if model["type"] == "definitions":  # a model with nested models of its own
            definitions = [model["schema"], *model["definitions"]]
        ref = definitions[0].get("ref")
        assert isinstance(ref, str)
        generated: dict[str, Any] = handler(
            core_schema.definitions_schema(
                core_schema.definition_reference_schema(ref), definitions
            )
        )
        return generated
