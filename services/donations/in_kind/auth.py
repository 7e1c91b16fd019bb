"""Who may do what with in-kind donations to a campaign: one alias per access rule."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from kit.identity import Authorize, Principal, Scope

InKindRead = Annotated[Principal, Depends(Authorize(Scope.CAMPAIGNS_READ))]
InKindWrite = Annotated[Principal, Depends(Authorize(Scope.DONATIONS_WRITE))]
