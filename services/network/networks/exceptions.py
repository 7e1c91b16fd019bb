from __future__ import annotations

from kit.errors import Conflict, Forbidden, NotFound


class NetworkNotFound(NotFound):
    slug, title = "network-not-found", "Network not found"


class MembershipNotFound(NotFound):
    slug, title = "membership-not-found", "No such member, request or invitation"


class NotCoordinator(Forbidden):
    slug, title = "not-coordinator", "Only a coordinator of the network may do this"


class AlreadyMember(Conflict):
    slug, title = (
        "already-member",
        "The foundation is a member, or has a pending request or invitation",
    )


class NotPending(Conflict):
    slug, title = "not-pending", "There is no pending request or invitation to answer"


class NotYoursToAnswer(Forbidden):
    slug, title = "not-yours-to-answer", "Only the other side may answer this"


class LastCoordinator(Conflict):
    slug, title = "last-coordinator", "A network keeps at least one coordinator"


class NotMember(Forbidden):
    slug, title = "not-member", "Only members of the network may do this"
