from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import IdMixin, TimestampMixin, UTCDateTime, utcnow
from services.network.base import Base
from services.network.sync.models import Seq


class Kind(enum.StrEnum):
    GUIDE = "guide"
    EXPERIENCE = "experience"
    TEMPLATE = "template"
    REPORT = "report"
    OFFER = "offer"
    REQUEST = "request"
    EVENT = "event"


class Visibility(enum.StrEnum):
    PUBLIC = "public"
    NETWORKS = "networks"
    PAIRING = "pairing"


class SharedResource(IdMixin, TimestampMixin, Base):
    """A shared resource, or its tombstone once deleted (``deleted_at``; content cleared).

    ``seq`` is the feed's number of its latest change (:mod:`services.network.sync`);
    ``version`` counts its changes and is its ETag."""

    __tablename__ = "shared_resources"

    owner_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(35))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    visibility: Mapped[str] = mapped_column(String(20))
    # Where it came from when another service shared it (a disclosure, a topic output).
    source: Mapped[str | None] = mapped_column(String(200), unique=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    seq: Mapped[int] = mapped_column(Seq)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_shared_resources_seq", "seq"),
        Index("ix_shared_resources_owner", "owner_id", "id"),
    )


class ResourceAudience(Base):
    """One audience a resource is shared with: a network, a pairing, or the public
    (:data:`services.network.sync.models.PUBLIC`). Kept on delete, so that the tombstone
    reaches the same audience."""

    __tablename__ = "shared_resource_audiences"

    resource_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("shared_resources.id", ondelete="CASCADE"), primary_key=True
    )
    target_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)

    __table_args__ = (Index("ix_shared_resource_audiences_target", "target_id", "resource_id"),)
