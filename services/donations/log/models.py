"""The transparency log's tables: what waits to be integrated, the tree, its signed heads
and the keys that signed them.

Entries wait for the sequencer in the ledger's ``log_queue`` (written with each entry).
The tree is stored as its perfect subtrees (``log_nodes``, see :mod:`.merkle`), so a root
or a proof for any size reads ``O(log n)`` rows. Level 0 holds the leaf hashes; which
journal entry each leaf is, ``log_leaves`` says.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import BigInteger, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import UTCDateTime
from services.donations.base import Base


class LogLeaf(Base):
    """Leaf ``index`` of the foundation's log is this journal entry."""

    __tablename__ = "log_leaves"

    foundation_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    index: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    entry_id: Mapped[uuid.UUID] = mapped_column(unique=True)


class LogNode(Base):
    """The hash of the perfect subtree ``(level, index)`` of the foundation's log."""

    __tablename__ = "log_nodes"

    foundation_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    level: Mapped[int] = mapped_column(Integer, primary_key=True)
    index: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class TreeHead(Base):
    """A signed tree head: the log of ``size`` leaves has this root, as of ``issued_at``."""

    __tablename__ = "log_heads"

    foundation_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    key_id: Mapped[str] = mapped_column(String(16))
    signature: Mapped[bytes] = mapped_column(LargeBinary(64))


class LogKey(Base):
    """A public key that signed heads. Kept after rotation, so old heads stay verifiable."""

    __tablename__ = "log_keys"

    key_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    first_used_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
