"""Who may use the network service's shared parts: one alias per access rule.

Networks, pairings, shared resources, the sync feed and webhooks serve foundations (their
keys and their people); what each may see is then decided by membership."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from kit.identity import Authorize, Principal, Scope

NetworkRead = Annotated[Principal, Depends(Authorize(Scope.NETWORK_READ))]
NetworkWrite = Annotated[Principal, Depends(Authorize(Scope.NETWORK_WRITE))]
