"""Supplies' refusals. Too little stock is the ledger's ``insufficient-stock`` (409), raised
here before any posting so that it can name the item, what is held and what was asked."""

from __future__ import annotations

from kit.errors import Conflict, NotFound, Unprocessable
from services.donations.ledger.exceptions import InsufficientStock


class CampaignNotSpending(Conflict):
    slug, title = "campaign-not-spending", "The campaign's money and goods cannot be used now"


class CurrencyNotCampaigns(Unprocessable):
    slug, title = "currency-mismatch", "Amounts must be in the campaign's currency"


class DateInFuture(Unprocessable):
    slug, title = "date-in-future", "The date is in the future"


class TotalTooLarge(Unprocessable):
    slug, title = "total-too-large", "The total is too large"


class InKindDonationNotFound(NotFound):
    slug, title = "in-kind-donation-not-found", "In-kind donation not found"


class PurchaseNotFound(NotFound):
    slug, title = "purchase-not-found", "Purchase not found"


class DistributionNotFound(NotFound):
    slug, title = "distribution-not-found", "Distribution not found"


__all__ = [
    "CampaignNotSpending",
    "CurrencyNotCampaigns",
    "DateInFuture",
    "DistributionNotFound",
    "InKindDonationNotFound",
    "InsufficientStock",
    "PurchaseNotFound",
    "TotalTooLarge",
]
