"""Who may do what with the foundation's currency conversions: one alias per access rule."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from kit.identity import Authorize, Principal, Scope

ConversionsRead = Annotated[Principal, Depends(Authorize(Scope.LEDGER_READ))]
# A conversion spends a fund's money in one currency for another.
ConversionsWrite = Annotated[Principal, Depends(Authorize(Scope.SPENDING_WRITE))]
