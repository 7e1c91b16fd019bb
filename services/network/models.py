"""Every model of the service, imported in one place for migrations and tests."""

from kit.events.inbox import dead_letters, inbox
from kit.events.outbox import outbox
from kit.idempotency import idempotency_keys
from services.network.foundations.models import Foundation
from services.network.networks.models import AuditRecord, Membership, Network
from services.network.offers.models import Claim, OfferDetails
from services.network.pairings.models import Pairing
from services.network.resources.models import ResourceAudience, SharedResource
from services.network.sync.models import AudienceChange, FeedState, ResourceLoss
from services.network.webhooks.models import Attempt, Delivery, Endpoint

__all__ = [
    "Attempt",
    "AudienceChange",
    "AuditRecord",
    "Claim",
    "Delivery",
    "Endpoint",
    "FeedState",
    "Foundation",
    "Membership",
    "Network",
    "OfferDetails",
    "Pairing",
    "ResourceAudience",
    "ResourceLoss",
    "SharedResource",
    "dead_letters",
    "idempotency_keys",
    "inbox",
    "outbox",
]
