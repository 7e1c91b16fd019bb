"""The ledger's refusals. A posting that would take a fund's money or goods below zero is a
409: the request was well formed, the fund just does not hold enough."""

from __future__ import annotations

from kit.errors import Conflict, NotFound


class InsufficientFunds(Conflict):
    slug, title = "insufficient-funds", "The fund does not hold enough money"


class InsufficientStock(Conflict):
    slug, title = "insufficient-stock", "The stock does not hold enough"


class EntryNotFound(NotFound):
    slug, title = "entry-not-found", "Journal entry not found"
