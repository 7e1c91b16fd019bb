"""Who may do what with a campaign's CSV imports: one alias per access rule."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from kit.identity import Authorize, Principal, Scope

ImportsRead = Annotated[Principal, Depends(Authorize(Scope.CAMPAIGNS_READ))]
ImportsWrite = Annotated[Principal, Depends(Authorize(Scope.DONATIONS_WRITE))]
