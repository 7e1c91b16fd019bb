"""Who may do what with collaborations.

The foundation (its keys and staff) runs them. A partner organisation's key reads the
collaborations it is part of, and posts updates, completes milestones and reports
outcomes there; any other collaboration is 404 to it. Creating, editing and moving a
collaboration's status are the foundation's: 403 for a partner's key, whatever the id.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from kit.errors import Forbidden
from kit.identity import Authorize, Principal, PrincipalKind, Scope
from services.partners.organisations.auth import WITH_PARTNERS

CollaborationsManage = Annotated[Principal, Depends(Authorize(Scope.PARTNERS_WRITE))]
CollaborationsRead = Annotated[
    Principal, Depends(Authorize(Scope.PARTNERS_READ, kinds=WITH_PARTNERS))
]
CollaborationsReport = Annotated[
    Principal, Depends(Authorize(Scope.PARTNERS_WRITE, kinds=WITH_PARTNERS))
]


def acting_partner(principal: Principal) -> uuid.UUID | None:
    """The partner organisation a partner's key acts for; None for the foundation."""
    if principal.kind is not PrincipalKind.PARTNER:
        return None
    if principal.partner_id is None:
        raise Forbidden("this partner key names no partner organisation")
    return principal.partner_id
