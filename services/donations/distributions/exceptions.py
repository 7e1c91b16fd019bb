"""Distributions' refusals. Too little stock is the ledger's ``insufficient-stock`` (409),
raised here before any posting so that it can name the item, what is held and what was
asked."""

from __future__ import annotations

from kit.errors import NotFound
from services.donations.ledger.exceptions import InsufficientStock


class DistributionNotFound(NotFound):
    slug, title = "distribution-not-found", "Distribution not found"


__all__ = ["DistributionNotFound", "InsufficientStock"]
