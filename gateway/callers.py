"""Who is calling the gateway: a :class:`~kit.identity.Principal` (what is forwarded to the
services) and what only the gateway needs to know about it (the person and their role,
the session, or the key)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from gateway.people.roles import Role
from kit.identity import Principal, PrincipalKind


@dataclass(frozen=True, slots=True)
class Caller:
    principal: Principal
    # A signed-in person's: their role in the organisation (None for the operator).
    person_id: uuid.UUID | None = None
    role: Role | None = None
    session_id: uuid.UUID | None = None
    # An API key's.
    key_id: uuid.UUID | None = None

    @property
    def is_operator(self) -> bool:
        return self.principal.kind is PrincipalKind.OPERATOR

    @property
    def actor(self) -> str:
        """How the audit log names the caller."""
        return self.principal.subject
