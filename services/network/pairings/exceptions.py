from __future__ import annotations

from kit.errors import Conflict, Forbidden, NotFound, Unprocessable


class PairingNotFound(NotFound):
    slug, title = "pairing-not-found", "Pairing not found"


class PairingWithItself(Unprocessable):
    slug, title = "pairing-with-itself", "A foundation cannot pair with itself"


class PairingExists(Conflict):
    slug, title = "pairing-exists", "The two foundations already have an open pairing"


class PairingNotOpen(Conflict):
    slug, title = "pairing-not-open", "The pairing is not in a state that allows this"


class NotYourAnswer(Forbidden):
    slug, title = "not-your-answer", "Only the proposed partner may accept or decline"
