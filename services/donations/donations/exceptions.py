from __future__ import annotations

from kit.errors import NotFound, Unprocessable


class DonationCurrencyMismatch(Unprocessable):
    slug, title = "currency-mismatch", "The donation's currency is not the campaign's"


class DonationInFuture(Unprocessable):
    slug, title = "donated-at-in-future", "A donation cannot be dated in the future"


class DonationNotFound(NotFound):
    slug, title = "donation-not-found", "Donation not found"
