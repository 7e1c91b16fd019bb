"""Who may read the foundation's ledger: one alias per access rule."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from kit.identity import Authorize, Principal, Scope

LedgerRead = Annotated[Principal, Depends(Authorize(Scope.LEDGER_READ))]
