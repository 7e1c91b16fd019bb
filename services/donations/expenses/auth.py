"""Who may do what with a campaign's expenses: one alias per access rule."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from kit.identity import Authorize, Principal, Scope

ExpensesRead = Annotated[Principal, Depends(Authorize(Scope.CAMPAIGNS_READ))]
# Submitting and paying spend what a campaign holds.
ExpensesSpend = Annotated[Principal, Depends(Authorize(Scope.SPENDING_WRITE))]
# Approving or rejecting; never one's own approval (the service checks that).
ExpensesDecide = Annotated[Principal, Depends(Authorize(Scope.EXPENSES_APPROVE))]
