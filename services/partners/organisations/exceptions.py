from __future__ import annotations

from kit.errors import Conflict, NotFound


class PartnerNotFound(NotFound):
    slug, title = "partner-not-found", "Partner organisation not found"


class PartnerNameTaken(Conflict):
    slug, title = "partner-name-taken", "The foundation already has a partner with this name"
