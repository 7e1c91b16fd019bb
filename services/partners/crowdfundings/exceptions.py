from __future__ import annotations

from kit.errors import NotFound, Unprocessable


class CrowdfundingNotFound(NotFound):
    slug, title = "crowdfunding-not-found", "Crowdfunding not found"


class CurrencyMismatch(Unprocessable):
    slug, title = "currency-mismatch", "Not in the crowdfunding's currency"
