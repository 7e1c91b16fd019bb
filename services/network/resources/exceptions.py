from __future__ import annotations

from kit.errors import Forbidden, NotFound, PreconditionFailed, PreconditionRequired, Unprocessable


class ResourceNotFound(NotFound):
    slug, title = "shared-resource-not-found", "Shared resource not found"


class NotOwner(Forbidden):
    slug, title = "not-owner", "Only the owning foundation may change a shared resource"


class NotInNetwork(Unprocessable):
    slug, title = "not-in-network", "The owner is not a member of every network named"


class PairingNotUsable(Unprocessable):
    slug, title = "pairing-not-usable", "The pairing is not an active pairing of the owner"


class ResourceChanged(PreconditionFailed):
    slug, title = "shared-resource-changed", "The shared resource changed since your read"


class ResourceVersionRequired(PreconditionRequired):
    slug, title = "if-match-required", "If-Match required to change a shared resource"
