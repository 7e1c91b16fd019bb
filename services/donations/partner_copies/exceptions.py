from __future__ import annotations

from kit.errors import Unprocessable


class NotAPartner(Unprocessable):
    slug, title = "not-a-partner", "Not one of the foundation's partner organisations"
