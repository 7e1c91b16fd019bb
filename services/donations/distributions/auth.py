"""Who may do what with a campaign's distributions: one alias per access rule."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from kit.identity import Authorize, Principal, Scope

DistributionsRead = Annotated[Principal, Depends(Authorize(Scope.CAMPAIGNS_READ))]
DistributionsWrite = Annotated[Principal, Depends(Authorize(Scope.SPENDING_WRITE))]
