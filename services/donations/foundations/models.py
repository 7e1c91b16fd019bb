from __future__ import annotations

from kit.events.copies import FoundationCopyMixin
from services.donations.base import Base


class FoundationCopy(FoundationCopyMixin, Base):
    """The donations service's copy of a directory entry (see kit.events.copies)."""

    __tablename__ = "foundation_copies"
