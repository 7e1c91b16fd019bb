"""Donations of money to a campaign, and their refunds."""

from __future__ import annotations

from kit.errors import Conflict, NotFound, Unprocessable


class DonationInFuture(Unprocessable):
    slug, title = "donated-at-in-future", "A donation cannot be dated in the future"


class DonationNotFound(NotFound):
    slug, title = "donation-not-found", "Donation not found"


class DuplicateTransaction(Conflict):
    slug, title = "duplicate-transaction", "This payment is already recorded"


class RefundExceedsDonation(Unprocessable):
    slug, title = "refund-exceeds-donation", "A refund cannot exceed what is left of the donation"
