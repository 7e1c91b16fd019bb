"""The foundation a request names, loaded by the dependency.

- :data:`ValidFoundation`: read it (the directory is public; any caller may).
- :data:`EditableFoundation`: change it; the operator, or the foundation itself.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from kit.db import SessionDep
from kit.errors import Forbidden
from kit.identity import Scope
from services.network.foundations import service
from services.network.foundations.auth import DirectoryEditor
from services.network.foundations.models import Foundation


async def valid_foundation(foundation_id: uuid.UUID, session: SessionDep) -> Foundation:
    """The path's foundation, else 404."""
    return await service.get(session, foundation_id)


ValidFoundation = Annotated[Foundation, Depends(valid_foundation)]


async def editable_foundation(
    foundation: ValidFoundation, principal: DirectoryEditor
) -> Foundation:
    """The path's foundation, if the caller may edit it: the network's operator, or the
    foundation itself."""
    if not (principal.has(Scope.DIRECTORY_ADMIN) or principal.organisation_id == foundation.id):
        raise Forbidden("only the network's operator or the foundation itself may edit it")
    return foundation


EditableFoundation = Annotated[Foundation, Depends(editable_foundation)]
