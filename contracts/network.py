"""The network service's event contracts: what it announces about the foundation directory
and the resources its members share.

Types here are ``network.<entity>.<verb>``; only the network service emits them.
"""

from __future__ import annotations

import uuid
from typing import Literal

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


@contract("network.shared_resource.changed", 1)
class SharedResourceChangedV1(Payload):
    """A shared resource was created, changed or deleted (a tombstone). Thin on purpose:
    who may see it is decided per reader, so consumers (webhooks) fetch what they may see
    from the sync feed. ``seq`` is its position in the feed."""

    resource_id: uuid.UUID
    owner_id: uuid.UUID
    kind: str
    version: int
    seq: int
    change: Literal["created", "updated", "deleted"]
    changed_at: AwareDatetime
