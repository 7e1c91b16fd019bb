"""Who may do what with partner organisations: one alias per access rule.

The foundation's list of partners, their contacts and every change to them are the
foundation's (a partner organisation's key gets 403 on those routes, whatever the id); a
partner's key may read its own record and the grants paid to it, and gets 404 for any
other partner's.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from kit.identity import Authorize, Principal, PrincipalKind, Scope

# The foundation's staff and systems, and a partner organisation's own key.
WITH_PARTNERS = frozenset({PrincipalKind.FOUNDATION, PrincipalKind.PERSON, PrincipalKind.PARTNER})

PartnersRead = Annotated[Principal, Depends(Authorize(Scope.PARTNERS_READ))]
PartnersWrite = Annotated[Principal, Depends(Authorize(Scope.PARTNERS_WRITE))]
ContactsRead = Annotated[Principal, Depends(Authorize(Scope.PARTNER_CONTACTS_READ))]
OwnPartnerRead = Annotated[Principal, Depends(Authorize(Scope.PARTNERS_READ, kinds=WITH_PARTNERS))]
