from __future__ import annotations

from kit.errors import Conflict, NotFound, PreconditionFailed, Unprocessable


class PartnerNotFound(NotFound):
    slug, title = "partner-not-found", "Partner organisation not found"


class DuplicatePartner(Conflict):
    slug, title = (
        "duplicate-partner",
        "The foundation already has a partner with this name in this district",
    )


class PartnerArchived(Conflict):
    slug, title = "partner-archived", "The partner organisation is archived"


class PartnerChanged(PreconditionFailed):
    slug, title = "partner-changed", "The partner organisation changed since it was read"


class UnknownPartner(Unprocessable):
    """A body names an organisation that is not one of the foundation's current partners."""

    slug, title = "unknown-partner", "Not one of the foundation's partner organisations"
