from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.base import Base
from kit.db import IdMixin, TimestampMixin


class AuditEntry(IdMixin, TimestampMixin, Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_organisation_created", "organisation_id", "created_at"),)

    # login.succeeded, login.failed, login.locked, token.refresh_reused, logout,
    # key.created, key.rotated, key.revoked, key.used, permission.denied, invitation.*
    action: Mapped[str] = mapped_column(String(40), index=True)
    # Whose data it concerns; None when unknown (a failed sign-in of an unknown address).
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    # Who acted: "person:<id>", "key:<prefix>", "operator", or the address that tried.
    actor: Mapped[str] = mapped_column(String(300))
    # What it was done to: a key's prefix, a route, a person.
    target: Mapped[str | None] = mapped_column(String(300), default=None)
    client_ip: Mapped[str | None] = mapped_column(String(64), default=None)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
