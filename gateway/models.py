"""Every model of the gateway, imported in one place for migrations and tests."""

from gateway.audit.models import AuditEntry
from gateway.keys.models import ApiKey
from gateway.people.models import Invitation, LoginSession, Membership, Person, RefreshToken

__all__ = [
    "ApiKey",
    "AuditEntry",
    "Invitation",
    "LoginSession",
    "Membership",
    "Person",
    "RefreshToken",
]
