"""Topic groups are the foundation's: every route is for its keys and staff (a partner
organisation's key gets 403). Members' contacts need partners:contacts."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from kit.identity import Authorize, Principal, Scope

TopicGroupsRead = Annotated[Principal, Depends(Authorize(Scope.PARTNERS_READ))]
TopicGroupsWrite = Annotated[Principal, Depends(Authorize(Scope.PARTNERS_WRITE))]
