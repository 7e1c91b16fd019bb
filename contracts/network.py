"""The network service's event contracts (see :mod:`kit.events.contracts`)."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict

from kit.events.contracts import contract


@contract("network.shared_resource.changed", 1)
class SharedResourceChangedV1(BaseModel):
    """A shared resource was created, changed or deleted (a tombstone). Thin on purpose:
    who may see it is decided per reader, so consumers (webhooks) fetch what they may see
    from the sync feed. ``seq`` is its position in the feed."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    resource_id: uuid.UUID
    owner_id: uuid.UUID
    kind: str
    version: int
    seq: int
    change: Literal["created", "updated", "deleted"]
    changed_at: AwareDatetime
