from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Protocol, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from kit.schemas import InputModel, WebsiteUrl
from services.network.resources.models import Kind, Visibility
from services.network.sync.models import PUBLIC

LANGUAGE_PATTERN = r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$"

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Language = Annotated[
    str,
    StringConstraints(pattern=LANGUAGE_PATTERN, max_length=35),
    Field(description="BCP 47 language tag, e.g. `zh-CN`, `en`"),
]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
Body = Annotated[str, Field(max_length=200_000, description="Markdown")]


class Attachment(InputModel):
    """A file kept elsewhere, named by its address and its SHA-256, so that a copy can be
    checked."""

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    url: WebsiteUrl
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")] = Field(
        description="lowercase hex SHA-256 of the file's bytes"
    )
    media_type: Annotated[str, StringConstraints(max_length=100)] | None = None
    size: int | None = Field(default=None, ge=0)


class Sharing(InputModel):
    """Who may see it: ``public``; ``networks`` (``network_ids``, each one the owner is a
    member of); or ``pairing`` (``pairing_id``, an active pairing of the owner)."""

    visibility: Visibility
    network_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)
    pairing_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.visibility == Visibility.NETWORKS and not self.network_ids:
            raise PydanticCustomError("sharing", "visibility networks needs network_ids")
        if self.visibility != Visibility.NETWORKS and self.network_ids:
            raise PydanticCustomError("sharing", "network_ids is only for visibility networks")
        if (self.visibility == Visibility.PAIRING) != (self.pairing_id is not None):
            raise PydanticCustomError(
                "sharing", "pairing_id is needed with, and only with, visibility pairing"
            )
        return self


class ResourceCreate(Sharing):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "guide",
                    "title": "蛇口买菜攻略",
                    "body": "## Where to buy groceries in Shekou\n...",
                    "language": "zh-CN",
                    "tags": ["epidemic", "groceries"],
                    "visibility": "pairing",
                    "pairing_id": "01935c1e-0000-7000-8000-000000000009",
                }
            ]
        },
    )

    kind: Kind
    title: Title
    body: Body = ""
    language: Language
    tags: list[Tag] = Field(default_factory=list, max_length=20)
    attachments: list[Attachment] = Field(default_factory=list, max_length=20)


class ResourceUpdate(InputModel):
    """The fields to change. To change who may see it, send ``visibility`` (with
    ``network_ids`` or ``pairing_id`` as it needs)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"title": "新标题"}]})

    title: Title | None = None
    body: Body | None = None
    language: Language | None = None
    tags: list[Tag] | None = Field(default=None, max_length=20)
    attachments: list[Attachment] | None = Field(default=None, max_length=20)
    visibility: Visibility | None = None
    network_ids: list[uuid.UUID] | None = Field(default=None, max_length=50)
    pairing_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _changes_something(self) -> Self:
        if not self.model_fields_set:
            raise PydanticCustomError("empty", "name at least one field to change")
        for field in ("title", "body", "language", "tags", "attachments"):
            if field in self.model_fields_set and getattr(self, field) is None:
                raise PydanticCustomError("null", f"{field} may not be null")
        sharing = {"network_ids", "pairing_id"} & self.model_fields_set
        if sharing and self.visibility is None:
            raise PydanticCustomError("sharing", "send visibility with network_ids or pairing_id")
        if self.visibility is not None:
            Sharing(
                visibility=self.visibility,
                network_ids=self.network_ids or [],
                pairing_id=self.pairing_id,
            )
        return self

    def sharing(self) -> Sharing | None:
        if self.visibility is None:
            return None
        return Sharing(
            visibility=self.visibility,
            network_ids=self.network_ids or [],
            pairing_id=self.pairing_id,
        )


class AttachmentRead(BaseModel):
    # media_type and size are always sent (null when the owner gave none): the answer's
    # schema lists them as required.
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    name: str
    url: str
    sha256: str
    media_type: str | None = None
    size: int | None = None


class ResourceRead(BaseModel):
    id: uuid.UUID
    owner_id: uuid.UUID
    kind: Kind
    title: str
    body: str
    language: str
    tags: list[str]
    attachments: list[AttachmentRead]
    visibility: Visibility
    network_ids: list[uuid.UUID]
    pairing_id: uuid.UUID | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class ResourceLike(Protocol):
    """A shared resource's row: the ORM object, or a plain row of its table (the feed)."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def owner_id(self) -> uuid.UUID: ...
    @property
    def kind(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def body(self) -> str: ...
    @property
    def language(self) -> str: ...
    @property
    def tags(self) -> list[str]: ...
    @property
    def attachments(self) -> list[dict[str, Any]]: ...
    @property
    def visibility(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def created_at(self) -> dt.datetime: ...
    @property
    def updated_at(self) -> dt.datetime: ...


def read(resource: ResourceLike, targets: list[uuid.UUID]) -> ResourceRead:
    """The resource as the API (and the sync feed) shows it, given its audiences."""
    others = [t for t in targets if t != PUBLIC]
    return ResourceRead(
        id=resource.id,
        owner_id=resource.owner_id,
        kind=Kind(resource.kind),
        title=resource.title,
        body=resource.body,
        language=resource.language,
        tags=list(resource.tags),
        attachments=[AttachmentRead.model_validate(a) for a in resource.attachments],
        visibility=Visibility(resource.visibility),
        network_ids=others if resource.visibility == Visibility.NETWORKS else [],
        pairing_id=others[0] if resource.visibility == Visibility.PAIRING and others else None,
        version=resource.version,
        created_at=resource.created_at,
        updated_at=resource.updated_at,
    )
