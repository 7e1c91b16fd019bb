"""The shared resource a request names, if the caller may see it (else 404);
:data:`LockedResource` locks it until commit, for changes."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from kit.db import SessionDep
from services.network.auth import NetworkRead, NetworkWrite
from services.network.resources import service
from services.network.resources.service import Shared


async def visible_resource(resource_id: uuid.UUID, session: SessionDep, who: NetworkRead) -> Shared:
    return await service.get_visible(session, resource_id, who)


VisibleResource = Annotated[Shared, Depends(visible_resource)]


async def locked_resource(resource_id: uuid.UUID, session: SessionDep, who: NetworkWrite) -> Shared:
    return await service.get_visible(session, resource_id, who, lock=True)


LockedResource = Annotated[Shared, Depends(locked_resource)]
