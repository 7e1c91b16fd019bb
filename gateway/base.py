from __future__ import annotations

from kit.db import ServiceBase, new_metadata


class Base(ServiceBase):
    """Every table of the gateway's database: API keys, people and their sessions, the audit log."""

    __abstract__ = True
    metadata = new_metadata()
