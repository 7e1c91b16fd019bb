"""Who may do what with a donation's refunds: one alias per access rule."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from kit.identity import Authorize, Principal, Scope

RefundsRead = Annotated[Principal, Depends(Authorize(Scope.CAMPAIGNS_READ))]
RefundsWrite = Annotated[Principal, Depends(Authorize(Scope.DONATIONS_WRITE))]
