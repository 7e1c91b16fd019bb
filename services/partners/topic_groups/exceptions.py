from __future__ import annotations

from kit.errors import NotFound, Unprocessable


class TopicGroupNotFound(NotFound):
    slug, title = "topic-group-not-found", "Topic group not found"


class OutputNotFound(NotFound):
    slug, title = "topic-output-not-found", "Topic group output not found"


class PartnerMemberNeedsPartner(Unprocessable):
    slug, title = "partner-member-needs-partner", "A partner member names its partner organisation"
