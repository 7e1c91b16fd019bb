"""Crowdfunding guidance is the foundation's: a partner organisation's key gets 403."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from kit.identity import Authorize, Principal, Scope

CrowdfundingsRead = Annotated[Principal, Depends(Authorize(Scope.PARTNERS_READ))]
CrowdfundingsWrite = Annotated[Principal, Depends(Authorize(Scope.PARTNERS_WRITE))]
