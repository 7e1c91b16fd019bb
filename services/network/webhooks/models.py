from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import IdMixin, TimestampMixin, UTCDateTime
from services.network.base import Base


class EventType(enum.StrEnum):
    CREATED = "shared_resource.created"
    UPDATED = "shared_resource.updated"
    DELETED = "shared_resource.deleted"


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    # Retries used up, or the endpoint is disabled.
    FAILED = "failed"


class Endpoint(IdMixin, TimestampMixin, Base):
    __tablename__ = "webhook_endpoints"

    owner_id: Mapped[uuid.UUID]
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(500), default="")
    event_types: Mapped[list[str]] = mapped_column(JSON)
    # Needed to sign every delivery, so kept as is; shown to the member once.
    secret: Mapped[str] = mapped_column(String(100))
    enabled: Mapped[bool] = mapped_column(default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (Index("ix_webhook_endpoints_owner", "owner_id", "id"),)


class Delivery(Base):
    """One message to one endpoint; ``id`` is its ``webhook-id``, the same on every attempt
    and replay, so the receiver can drop duplicates."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    endpoint_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE")
    )
    event_type: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # A sender that took it holds it until then (a crashed sender's lease runs out).
    leased_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_endpoint", "endpoint_id", "created_at"),
    )


class Attempt(IdMixin, Base):
    __tablename__ = "webhook_attempts"

    delivery_id: Mapped[str] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE")
    )
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    status_code: Mapped[int | None]
    duration_ms: Mapped[int] = mapped_column(Integer)
    # The start of the answer (or of the error), cut short.
    response: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (Index("ix_webhook_attempts_delivery", "delivery_id", "id"),)
