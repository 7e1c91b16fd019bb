from __future__ import annotations

import enum
import uuid

from pydantic import BaseModel, Field

from services.network.resources.schemas import ResourceRead


class Operation(enum.StrEnum):
    UPSERT = "upsert"
    REMOVE = "remove"


class RemoveReason(enum.StrEnum):
    # The owner deleted it (a tombstone).
    DELETED = "deleted"
    # The caller may no longer see it: visibility narrowed, it left the network, the
    # pairing ended.
    ACCESS_LOST = "access_lost"


class Change(BaseModel):
    """One resource's latest state for the caller: store ``resource`` (``upsert``) or
    remove the local copy of ``id`` (``remove``)."""

    id: uuid.UUID
    op: Operation
    reason: RemoveReason | None = Field(description="why to remove; null for upserts")
    version: int | None = Field(description="the resource's version, if the caller may know it")
    resource: ResourceRead | None


class ChangesPage(BaseModel):
    changes: list[Change]
    cursor: str = Field(description="pass as `since` next time; store it with what you applied")
    more: bool = Field(description="true: more changes are waiting, call again at once")
    resync: bool = Field(
        description="true when this page starts a full resync (no `since` was given): keep "
        "only what the resync delivers, and remove local copies it never mentions"
    )
