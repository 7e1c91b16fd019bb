"""The partners service's consumer of the network's directory events: keeps its read copy
of each foundation's name and slug (see kit.events.copies)."""

from __future__ import annotations

from contracts.network import FoundationCreatedV1, FoundationUpdatedV1
from kit.db import Database
from kit.events import Consumer
from kit.events.copies import keep_foundation_copies
from services.partners.foundations.models import FoundationCopy


def consumers(database: Database) -> list[Consumer]:
    """The service's consumers, on its database (called by the app's lifespan)."""
    consumer = Consumer("partners", database)
    keep_foundation_copies(
        consumer, FoundationCopy, created=FoundationCreatedV1, updated=FoundationUpdatedV1
    )
    return [consumer]
