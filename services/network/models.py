"""Every model of the service, imported in one place for migrations and tests."""

from kit.events.inbox import dead_letters, inbox
from kit.events.outbox import outbox
from kit.idempotency import idempotency_keys
from services.network.foundations.models import Foundation

__all__ = ["Foundation", "dead_letters", "idempotency_keys", "inbox", "outbox"]
