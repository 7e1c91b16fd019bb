from __future__ import annotations

from kit.errors import Conflict, NotFound, PreconditionFailed, Unprocessable


class CollaborationNotFound(NotFound):
    slug, title = "collaboration-not-found", "Collaboration not found"


class MilestoneNotFound(NotFound):
    slug, title = "milestone-not-found", "Milestone not found"


class InvalidTransition(Conflict):
    slug, title = "invalid-transition", "The collaboration cannot move to that status"


class CollaborationNotActive(Conflict):
    slug, title = "collaboration-not-active", "The collaboration is not active"


class CollaborationClosed(Conflict):
    slug, title = "collaboration-closed", "The collaboration is completed or cancelled"


class CollaborationChanged(PreconditionFailed):
    slug, title = "collaboration-changed", "The collaboration changed since it was read"


class OutsidePeriod(Unprocessable):
    slug, title = "outside-period", "Outside the collaboration's period"


class WrongUnit(Unprocessable):
    slug, title = "wrong-unit", "The figure is not in its metric's unit"
