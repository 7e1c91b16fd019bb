"""Who may read the goods a campaign or the whole foundation holds."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from kit.identity import Authorize, Principal, Scope

StockRead = Annotated[Principal, Depends(Authorize(Scope.CAMPAIGNS_READ))]
