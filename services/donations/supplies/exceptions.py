"""Supplies' refusals. Too little stock is the ledger's ``insufficient-stock`` (409), raised
here before any posting so that it can name the item, what is held and what was asked."""

from __future__ import annotations

from kit.errors import NotFound, Unprocessable
from services.donations.ledger.exceptions import InsufficientStock


class FairValueInOtherCurrency(Unprocessable):
    """Goods are valued in the currency the campaign keeps its accounts in. Not a spend (see
    ``campaigns.exceptions.SpendInOtherCurrency`` for purchases): nothing is converted."""

    slug, title = "currency-mismatch", "Goods are valued in the campaign's currency"


class TotalTooLarge(Unprocessable):
    slug, title = "total-too-large", "The total is too large"


class InKindDonationNotFound(NotFound):
    slug, title = "in-kind-donation-not-found", "In-kind donation not found"


class PurchaseNotFound(NotFound):
    slug, title = "purchase-not-found", "Purchase not found"


class DistributionNotFound(NotFound):
    slug, title = "distribution-not-found", "Distribution not found"


__all__ = [
    "DistributionNotFound",
    "FairValueInOtherCurrency",
    "InKindDonationNotFound",
    "InsufficientStock",
    "PurchaseNotFound",
    "TotalTooLarge",
]
