"""The network a request names: :data:`ValidNetwork` to read it, :data:`LockedNetwork` to
change its membership (locked until commit, so changes of one network take turns)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from kit.db import SessionDep
from services.network.networks import service
from services.network.networks.models import Network


async def valid_network(network_id: uuid.UUID, session: SessionDep) -> Network:
    """The path's network, else 404; networks are known to every foundation."""
    return await service.get(session, network_id)


ValidNetwork = Annotated[Network, Depends(valid_network)]


async def locked_network(network_id: uuid.UUID, session: SessionDep) -> Network:
    return await service.get(session, network_id, lock=True)


LockedNetwork = Annotated[Network, Depends(locked_network)]
