"""Grants: restricted grants received from other foundations, and grants paid to partner
organisations."""

from __future__ import annotations

from kit.errors import NotFound, Unprocessable


class GrantNotFound(NotFound):
    slug, title = "grant-not-found", "Grant not found"


class UnknownCampaign(Unprocessable):
    slug, title = "unknown-campaign", "The foundation has no such campaign"
