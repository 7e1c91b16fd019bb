"""Who may do what with the foundation's grants: one alias per access rule."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from kit.identity import Authorize, Principal, Scope

GrantsRead = Annotated[Principal, Depends(Authorize(Scope.LEDGER_READ))]
GrantsWrite = Annotated[Principal, Depends(Authorize(Scope.GRANTS_WRITE))]
