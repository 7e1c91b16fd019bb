"""The offer or request a request names, if the caller may see it (else 404)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from kit.db import SessionDep
from services.network.auth import NetworkRead
from services.network.offers import service
from services.network.offers.service import Offer


async def visible_offer(offer_id: uuid.UUID, session: SessionDep, who: NetworkRead) -> Offer:
    return await service.get(session, offer_id, who)


VisibleOffer = Annotated[Offer, Depends(visible_offer)]
