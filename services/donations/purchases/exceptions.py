"""Purchases' refusals."""

from __future__ import annotations

from kit.errors import NotFound, Unprocessable


class TotalTooLarge(Unprocessable):
    slug, title = "total-too-large", "The total is too large"


class PurchaseNotFound(NotFound):
    slug, title = "purchase-not-found", "Purchase not found"
