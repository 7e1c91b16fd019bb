"""Who may do what with a campaign's purchases: one alias per access rule."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from kit.identity import Authorize, Principal, Scope

PurchasesRead = Annotated[Principal, Depends(Authorize(Scope.CAMPAIGNS_READ))]
PurchasesWrite = Annotated[Principal, Depends(Authorize(Scope.SPENDING_WRITE))]
