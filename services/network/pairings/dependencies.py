"""The pairing a request names, if the caller is one of its two foundations (else 404)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from kit.db import SessionDep
from services.network.auth import NetworkRead, NetworkWrite
from services.network.pairings import service
from services.network.pairings.models import Pairing


async def valid_pairing(pairing_id: uuid.UUID, session: SessionDep, who: NetworkRead) -> Pairing:
    return await service.get(session, pairing_id, who)


ValidPairing = Annotated[Pairing, Depends(valid_pairing)]


async def locked_pairing(pairing_id: uuid.UUID, session: SessionDep, who: NetworkWrite) -> Pairing:
    return await service.get(session, pairing_id, who, lock=True)


LockedPairing = Annotated[Pairing, Depends(locked_pairing)]
