"""The network service's event contracts: what it announces about the foundation directory.

Types here are ``network.<entity>.<verb>``; only the network service emits them.
"""

from __future__ import annotations

import uuid

from pydantic import AwareDatetime

from kit.events.contracts import Payload, contract


@contract("network.foundation.created", 1)
class FoundationCreatedV1(Payload):
    """A foundation joined the directory."""

    foundation_id: uuid.UUID
    slug: str
    name: str
    name_en: str | None = None
    created_at: AwareDatetime


@contract("network.foundation.updated", 1)
class FoundationUpdatedV1(Payload):
    """A foundation's directory entry changed. Carries the whole public identity, so a read
    copy can apply it on its own; ``updated_at`` orders updates (keep the newest)."""

    foundation_id: uuid.UUID
    slug: str
    name: str
    name_en: str | None = None
    updated_at: AwareDatetime
