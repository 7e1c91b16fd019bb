from __future__ import annotations

from kit.errors import Conflict, NotFound, Unprocessable


class CampaignNotFound(NotFound):
    slug, title = "campaign-not-found", "Campaign not found"


class CampaignClosed(Conflict):
    slug, title = "campaign-closed", "The campaign accepts no more donations"


class InvalidCampaignPeriod(Unprocessable):
    slug, title = "invalid-campaign-period", "The campaign's period is not valid"


class CampaignNotSpendable(Conflict):
    slug, title = "campaign-not-spendable", "The campaign's money cannot be spent now"


class CampaignSettled(Conflict):
    slug, title = "campaign-settled", "The campaign is settled; nothing moves in or out"


class SpendInOtherCurrency(Unprocessable):
    slug, title = "spend-in-other-currency", "A spend must be in the campaign's currency"
