from __future__ import annotations

from kit.db import ServiceBase, new_metadata


class Base(ServiceBase):
    """Every table of the gateway's database (API keys; later, people and their sessions)."""

    __abstract__ = True
    metadata = new_metadata()
