"""The webhook endpoint a request names, if it is the caller's foundation's (else 404)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from kit.db import SessionDep
from services.network.auth import NetworkWrite
from services.network.webhooks import service
from services.network.webhooks.models import Endpoint


async def own_endpoint(endpoint_id: uuid.UUID, session: SessionDep, who: NetworkWrite) -> Endpoint:
    return await service.get(session, endpoint_id, who)


OwnEndpoint = Annotated[Endpoint, Depends(own_endpoint)]
