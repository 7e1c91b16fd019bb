"""Who may do what with a campaign's donations: one alias per access rule."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from kit.identity import Authorize, Principal, Scope

DonationsRead = Annotated[Principal, Depends(Authorize(Scope.CAMPAIGNS_READ))]
DonationsWrite = Annotated[Principal, Depends(Authorize(Scope.DONATIONS_WRITE))]
