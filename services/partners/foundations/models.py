from __future__ import annotations

from kit.events.copies import FoundationCopyMixin
from services.partners.base import Base


class FoundationCopy(FoundationCopyMixin, Base):
    """The partners service's copy of a directory entry (see kit.events.copies)."""

    __tablename__ = "foundation_copies"
