"""Donations of money to a campaign and their receipts."""

from __future__ import annotations

from kit.errors import Conflict, NotFound


class DonationNotFound(NotFound):
    slug, title = "donation-not-found", "Donation not found"


class DuplicateTransaction(Conflict):
    slug, title = "duplicate-transaction", "This payment is already recorded"
