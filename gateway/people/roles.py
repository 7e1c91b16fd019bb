"""Roles a person holds in an organisation, and the scopes each role grants.

The scopes are those of :class:`kit.identity.Scope` (the services check them too); what
a role adds beyond them (managing people and keys, reading the audit log) is the
gateway's own business, checked by :func:`gateway.people.dependencies.org_admin`.
"""

from __future__ import annotations

import enum
import uuid

from kit.identity import DEFAULT_SCOPES, Scope

# The network operator's principal acts for no foundation: this all-zero organisation.
OPERATOR_ORGANISATION = uuid.UUID(int=0)


class Role(enum.StrEnum):
    # Runs the organisation's account: people, keys, the audit log; every scope.
    ADMIN = "admin"
    # Works the foundation's day-to-day: campaigns, donations, spending, partners, network.
    STAFF = "staff"
    # Helps out: reads, records donations and in-kind gifts.
    VOLUNTEER = "volunteer"
    # A person of one of the foundation's partner organisations: sees and reports on only
    # that partner's part (the principal is of kind partner, as a partner key is).
    PARTNER = "partner"
    # Reads, writes nothing.
    VIEWER = "viewer"


_READS = frozenset(
    {
        Scope.CAMPAIGNS_READ,
        Scope.LEDGER_READ,
        Scope.PARTNERS_READ,
        Scope.FOUNDATIONS_READ,
        Scope.NETWORK_READ,
    }
)

ROLE_SCOPES: dict[Role, frozenset[str]] = {
    Role.ADMIN: DEFAULT_SCOPES | {Scope.DONORS_READ, Scope.PARTNER_CONTACTS_READ},
    # Staff approve expenses too (never their own: the service checks that).
    Role.STAFF: DEFAULT_SCOPES,
    Role.VOLUNTEER: _READS | {Scope.DONATIONS_WRITE},
    Role.PARTNER: frozenset({Scope.PARTNERS_READ, Scope.PARTNERS_WRITE}),
    Role.VIEWER: _READS,
}

# The operator keeps the shared directory of foundations.
OPERATOR_SCOPES = frozenset({Scope.DIRECTORY_ADMIN, Scope.FOUNDATIONS_READ})
