"""The collaboration a request's path names, loaded for the caller.

- :data:`ReadableCollaboration`: the foundation's, or for a partner's key one it is in; else 404.
- :data:`ReportableCollaboration`: the same, locked until commit: for a partner's report
  (an update, a milestone completed, an outcome), which a concurrent status change waits for.
- :data:`LockedCollaboration`: the foundation's, locked until commit, for changing it.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from kit.db import SessionDep
from services.partners.collaborations import service
from services.partners.collaborations.auth import (
    CollaborationsManage,
    CollaborationsRead,
    CollaborationsReport,
    acting_partner,
)
from services.partners.collaborations.models import Collaboration


async def readable_collaboration(
    collaboration_id: uuid.UUID, session: SessionDep, principal: CollaborationsRead
) -> Collaboration:
    return await service.get(
        session,
        principal.organisation_id,
        collaboration_id,
        partner_id=acting_partner(principal),
    )


ReadableCollaboration = Annotated[Collaboration, Depends(readable_collaboration)]


async def reportable_collaboration(
    collaboration_id: uuid.UUID, session: SessionDep, principal: CollaborationsReport
) -> Collaboration:
    return await service.get(
        session,
        principal.organisation_id,
        collaboration_id,
        partner_id=acting_partner(principal),
        for_update=True,
    )


ReportableCollaboration = Annotated[Collaboration, Depends(reportable_collaboration)]


async def locked_collaboration(
    collaboration_id: uuid.UUID, session: SessionDep, principal: CollaborationsManage
) -> Collaboration:
    return await service.get(session, principal.organisation_id, collaboration_id, for_update=True)


LockedCollaboration = Annotated[Collaboration, Depends(locked_collaboration)]
