"""Who may publish disclosures and read their calendar. Published disclosures are public:
reading them takes no principal."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from kit.identity import Authorize, Principal, Scope

DisclosuresRead = Annotated[Principal, Depends(Authorize(Scope.CAMPAIGNS_READ))]
DisclosuresWrite = Annotated[Principal, Depends(Authorize(Scope.DISCLOSURES_WRITE))]
