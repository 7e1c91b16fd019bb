"""In-kind donations' refusals."""

from __future__ import annotations

from kit.errors import NotFound, Unprocessable


class FairValueInOtherCurrency(Unprocessable):
    """Goods are valued in the currency the campaign keeps its accounts in. Not a spend (see
    ``campaigns.exceptions.SpendInOtherCurrency`` for purchases): nothing is converted."""

    slug, title = "currency-mismatch", "Goods are valued in the campaign's currency"


class InKindDonationNotFound(NotFound):
    slug, title = "in-kind-donation-not-found", "In-kind donation not found"
