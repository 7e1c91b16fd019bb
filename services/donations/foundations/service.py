"""The donations service's consumer of the network's directory events."""

from __future__ import annotations

from kit.db import Database
from kit.events import Consumer
from kit.events.copies import foundation_copy_consumer
from services.donations.foundations.models import FoundationCopy


def consumers(database: Database) -> list[Consumer]:
    """The service's consumers, on its database (called by the app's lifespan)."""
    return [foundation_copy_consumer("donations", database, FoundationCopy)]
