from __future__ import annotations

from kit.errors import Problem


class ResyncRequired(Problem):
    """The cursor is not one this feed can continue from: start again without one."""

    status, slug, title = 410, "resync-required", "Unknown or expired cursor: resync"
