"""Who may do what with campaigns: one alias per access rule."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from kit.identity import Authorize, Principal, Scope

CampaignsRead = Annotated[Principal, Depends(Authorize(Scope.CAMPAIGNS_READ))]
CampaignsWrite = Annotated[Principal, Depends(Authorize(Scope.CAMPAIGNS_WRITE))]
