"""Who may do what with the directory: one alias per access rule.

Reading the directory needs no key at all (the public router); registering a foundation is
the network operator's job; a foundation may edit its own entry."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from kit.identity import Authorize, Principal, PrincipalKind, Scope

ALL_KINDS = frozenset(PrincipalKind)

DirectoryAdmin = Annotated[Principal, Depends(Authorize(Scope.DIRECTORY_ADMIN, kinds=ALL_KINDS))]
DirectoryEditor = Annotated[Principal, Depends(Authorize(kinds=ALL_KINDS))]
