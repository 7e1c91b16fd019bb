from __future__ import annotations

from kit.errors import Conflict, NotFound, Unprocessable


class DisclosureNotFound(NotFound):
    slug, title = "disclosure-not-found", "Disclosure not found"


class CampaignNotEnded(Conflict):
    slug, title = "campaign-not-ended", "The campaign has not ended"


class CampaignIsDraft(Conflict):
    slug, title = "campaign-is-draft", "A draft campaign has nothing to disclose"


class DisclosureAlreadyPublished(Conflict):
    slug, title = (
        "disclosure-already-published",
        "This disclosure is already published; publish a correction naming it",
    )


class InvalidDisclosure(Unprocessable):
    slug, title = "invalid-disclosure", "The disclosure is not valid"
