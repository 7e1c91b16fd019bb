"""What asking the transparency log can go wrong with."""

from __future__ import annotations

from kit.errors import NotFound, Unprocessable


class LogEmpty(NotFound):
    slug, title = "log-empty", "The foundation's log has no signed head yet"


class LogEntryNotFound(NotFound):
    slug, title = "log-entry-not-found", "No such entry in the foundation's log"


class HeadNotFound(NotFound):
    slug, title = "log-head-not-found", "No signed head of that size"


class ProofOutOfRange(Unprocessable):
    slug, title = "proof-out-of-range", "No proof between these sizes"
