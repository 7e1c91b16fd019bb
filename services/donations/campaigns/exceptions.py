from __future__ import annotations

from kit.errors import Conflict, NotFound, PreconditionFailed, PreconditionRequired, Unprocessable


class CampaignNotFound(NotFound):
    slug, title = "campaign-not-found", "Campaign not found"


class CampaignClosed(Conflict):
    slug, title = "campaign-closed", "The campaign accepts no more donations"


class InvalidCampaignPeriod(Unprocessable):
    slug, title = "invalid-campaign-period", "The campaign's period is not valid"


class UnknownFollowedCampaign(Unprocessable):
    slug, title = "unknown-followed-campaign", "follows_id names no campaign of this foundation"


class InvalidCoOrganiser(Unprocessable):
    slug, title = "invalid-co-organiser", "A co-organiser is not valid"


class CampaignAlreadyFollowed(Conflict):
    slug, title = "campaign-already-followed", "The campaign already has a next phase"


class TransitionNotAllowed(Conflict):
    slug, title = "transition-not-allowed", "The campaign cannot move to that state"


class CampaignHoldsMoney(Conflict):
    slug, title = "campaign-holds-money", "A campaign that still holds money cannot be settled"


class CampaignHoldsGoods(Conflict):
    slug, title = "campaign-holds-goods", "A campaign that still holds goods cannot be settled"


class GoalFixed(Conflict):
    slug, title = "campaign-goal-fixed", "The goal can change only while the campaign is a draft"


class HostFixed(Conflict):
    slug, title = "campaign-host-fixed", "The host can change only while the campaign is a draft"


class CampaignSettled(Conflict):
    slug, title = "campaign-settled", "A settled campaign no longer changes; its money stays"


class CampaignIfMatchRequired(PreconditionRequired):
    slug, title = "if-match-required", "Send If-Match with the campaign's ETag"


class CampaignChanged(PreconditionFailed):
    slug, title = "campaign-changed", "The campaign changed since the version in If-Match"


class CampaignNotSpendable(Conflict):
    slug, title = "campaign-not-spendable", "The campaign's money and goods cannot be used now"


class SpendInOtherCurrency(Unprocessable):
    slug, title = "spend-in-other-currency", "A spend must be in the campaign's currency"


class ReceivedAfterEnd(Unprocessable):
    slug, title = "received-after-end", "The gift was received after the campaign ended"
