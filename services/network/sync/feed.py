"""The feed's write side: what a change calls, in its own transaction.

:func:`next_seq` numbers a change (and holds the counter until commit, see
:mod:`services.network.sync.models`); :func:`audience_changed` and :func:`resource_lost`
record changes of who may see what. After commit, waiting long polls are woken
(:class:`services.network.sync.notify.FeedSignal`).
"""

from __future__ import annotations

import uuid

from sqlalchemy import event, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from kit.db import Database
from services.network.sync.models import AudienceChange, FeedState, ResourceLoss
from services.network.sync.notify import FeedSignal

_HOOKED = "sync_feed_hooked"


async def next_seq(session: AsyncSession) -> int:
    """The next change number, the counter locked until commit."""
    stmt = (
        update(FeedState)
        .where(FeedState.id == 1)
        .values(last_seq=FeedState.last_seq + 1)
        .returning(FeedState.last_seq)
    )
    seq = int((await session.execute(stmt)).scalar_one())
    _wake_waiters_after_commit(session)
    return seq


async def audience_changed(
    session: AsyncSession, foundation_id: uuid.UUID, target_id: uuid.UUID
) -> None:
    """``foundation_id`` joined or left ``target_id`` (a network or a pairing)."""
    session.add(
        AudienceChange(
            seq=await next_seq(session), foundation_id=foundation_id, target_id=target_id
        )
    )
    await session.flush()


async def resource_lost(
    session: AsyncSession, resource_id: uuid.UUID, targets: set[uuid.UUID]
) -> None:
    """``resource_id`` is no longer shared with ``targets`` (networks, pairings, or
    :data:`~services.network.sync.models.PUBLIC`)."""
    for target in sorted(targets, key=str):
        session.add(
            ResourceLoss(seq=await next_seq(session), resource_id=resource_id, target_id=target)
        )
    await session.flush()


def _wake_waiters_after_commit(session: AsyncSession) -> None:
    # One listener per session (a request's), set on its first change.
    database = session.info.get("database")
    if not isinstance(database, Database) or session.info.get(_HOOKED):
        return
    session.info[_HOOKED] = True
    signal = FeedSignal.of(database)

    def after_commit(_session: Session) -> None:
        signal.changed()

    event.listen(session.sync_session, "after_commit", after_commit)
