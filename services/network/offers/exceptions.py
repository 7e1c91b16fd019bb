from __future__ import annotations

from kit.errors import Conflict, NotFound, Unprocessable


class OfferNotFound(NotFound):
    slug, title = "offer-not-found", "Offer or request not found"


class NotEnoughLeft(Conflict):
    slug, title = "not-enough-left", "The offer has less left than claimed"


class OfferExpired(Conflict):
    slug, title = "offer-expired", "The offer has expired"


class NotClaimable(Unprocessable):
    slug, title = "not-claimable", "Only another foundation's offer can be claimed"
