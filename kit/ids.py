"""Identifiers: time-ordered UUIDs (version 7), so that primary keys sort by creation."""

from __future__ import annotations

import uuid

import uuid_utils


def new_id() -> uuid.UUID:
    """A new UUIDv7 as a standard :class:`uuid.UUID`."""
    return uuid.UUID(bytes=uuid_utils.uuid7().bytes)
