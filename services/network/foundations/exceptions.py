from __future__ import annotations

from kit.errors import Conflict, NotFound


class FoundationNotFound(NotFound):
    slug, title = "foundation-not-found", "Foundation not found"


class FoundationSlugTaken(Conflict):
    slug, title = "foundation-slug-taken", "Another foundation has this slug"
