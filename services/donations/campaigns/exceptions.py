from __future__ import annotations

from kit.errors import Conflict, NotFound, Unprocessable


class CampaignNotFound(NotFound):
    slug, title = "campaign-not-found", "Campaign not found"


class CampaignClosed(Conflict):
    slug, title = "campaign-closed", "The campaign accepts no more donations"


class InvalidCampaignPeriod(Unprocessable):
    slug, title = "invalid-campaign-period", "The campaign's period is not valid"
