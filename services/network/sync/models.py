"""The feed's own tables.

Every change that the feed reports takes the next number of one counter per database
(:class:`FeedState`), in the transaction that makes the change. Taking it locks the
counter's row until commit, so changes commit in the order of their numbers: a reader that
has seen number ``n`` committed has seen every change numbered below ``n`` too, and a cursor
that is just "the last number seen" loses nothing.
"""

from __future__ import annotations

import uuid

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from services.network.base import Base

Seq = BigInteger().with_variant(Integer(), "sqlite")

# The audience "everyone": a resource shared with the public has it among its targets.
PUBLIC = uuid.UUID(int=0)


class FeedState(Base):
    """One row: the feed's epoch (a cursor of another epoch is unknown: 410) and the last
    change number given out."""

    __tablename__ = "sync_feed"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    epoch: Mapped[str] = mapped_column(String(32))
    last_seq: Mapped[int] = mapped_column(Seq)
    # Cursors older than this were compacted away (resources' loss rows pruned): 410.
    min_seq: Mapped[int] = mapped_column(Seq, default=0)


class AudienceChange(Base):
    """A foundation joined or left an audience (a network, or a pairing): what is shared
    with that audience appears in, or disappears from, its feed at ``seq``."""

    __tablename__ = "sync_audience_changes"

    seq: Mapped[int] = mapped_column(Seq, primary_key=True, autoincrement=False)
    foundation_id: Mapped[uuid.UUID]
    target_id: Mapped[uuid.UUID]

    __table_args__ = (Index("ix_sync_audience_changes_foundation", "foundation_id", "seq"),)


class ResourceLoss(Base):
    """A shared resource stopped being shared with an audience (``target_id``: a network,
    a pairing, or :data:`PUBLIC`): those in it who cannot see it now are told to remove it."""

    __tablename__ = "sync_resource_losses"

    seq: Mapped[int] = mapped_column(Seq, primary_key=True, autoincrement=False)
    resource_id: Mapped[uuid.UUID]
    target_id: Mapped[uuid.UUID]
