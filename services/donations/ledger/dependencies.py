"""The ledger's dependencies: its repository, and the fund a write's body names, held for
the write.

A fund is a campaign of the foundation, or the foundation's own unrestricted fund (its
own id). A grant or a conversion names its fund in the body, not the path, so its route
cannot take :data:`~services.donations.campaigns.dependencies.HeldCampaign`; it takes
:data:`HeldFunds` and asks it for the fund its body names. The dependency decides the
lock: the campaign is held (share-locked) until commit, as ``HeldCampaign`` holds it, so
that its state, as the service checks it, stays true while the money moves. (The body is
the route's to read: a dependency that read it as well would make FastAPI expect it twice,
under two names.)
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import SessionDep
from kit.identity import CurrentPrincipal, Principal
from services.donations.campaigns.dependencies import held_campaign
from services.donations.campaigns.exceptions import CampaignNotFound
from services.donations.campaigns.models import Campaign
from services.donations.campaigns.repository import CampaignRepository
from services.donations.ledger.repository import LedgerRepository


async def ledger_repository(session: SessionDep) -> LedgerRepository:
    return LedgerRepository(session)


LedgerRepositoryDep = Annotated[LedgerRepository, Depends(ledger_repository)]


class FundHolder:
    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self._session = session
        self._principal = principal

    async def campaign(self, campaign_id: uuid.UUID | None) -> Campaign | None:
        """The caller's campaign ``campaign_id``, held until commit; None if it names none
        or none of the caller's foundation (the service says which field was wrong)."""
        if campaign_id is None:
            return None
        try:
            return await held_campaign(
                campaign_id, CampaignRepository(self._session), self._principal
            )
        except CampaignNotFound:
            return None

    async def fund(self, fund_id: uuid.UUID | None) -> Campaign | None:
        """As :meth:`campaign`, for a fund: None also for the unrestricted fund."""
        if fund_id == self._principal.organisation_id:
            return None
        return await self.campaign(fund_id)


async def fund_holder(session: SessionDep, principal: CurrentPrincipal) -> FundHolder:
    return FundHolder(session, principal)


HeldFunds = Annotated[FundHolder, Depends(fund_holder)]
