"""``fnet events``: the contracts, and each service's outbox and dead letters.

Reads the services' databases directly (``FNET_<APP>_DATABASE_URL``, else the SQLite files
under ``--var``), so it works whether or not the apps are running.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence

from sqlalchemy import func, select

import contracts  # noqa: F401  (registers every producer's contracts for schemas())
from fnet.apps import AppSpec
from kit.db import Database, transaction
from kit.events import Consumer, DeadLetterNotFound, dead_letters, export_schemas, outbox


def schemas() -> str:
    """Every event contract as JSON Schema, keyed ``<type>.v<version>``."""
    return json.dumps(export_schemas(), indent=2, ensure_ascii=False, sort_keys=True)


async def status(apps: Sequence[AppSpec], url_of: dict[str, str]) -> str:
    lines = [f"{'app':<10} {'backlog':>8} {'failing':>8} {'published':>10} {'dead':>6}  oldest"]
    for app in apps:
        database = Database.from_url(url_of[app.name], pool_size=1)
        try:
            async with transaction(database, write=False) as session:
                pending = outbox.c.published_at.is_(None)
                backlog = await session.scalar(select(func.count()).where(pending))
                failing = await session.scalar(
                    select(func.count()).where(pending, outbox.c.attempts > 0)
                )
                published = await session.scalar(
                    select(func.count()).where(outbox.c.published_at.is_not(None))
                )
                oldest = await session.scalar(select(func.min(outbox.c.created_at)).where(pending))
                dead = await session.scalar(
                    select(func.count()).where(dead_letters.c.replayed_at.is_(None))
                )
        finally:
            await database.dispose()
        lines.append(
            f"{app.name:<10} {backlog:>8} {failing:>8} {published:>10} {dead:>6}  "
            f"{oldest.isoformat() if oldest else '-'}"
        )
    return "\n".join(lines)


async def list_dead_letters(apps: Sequence[AppSpec], url_of: dict[str, str]) -> str:
    lines: list[str] = []
    for app in apps:
        database = Database.from_url(url_of[app.name], pool_size=1)
        try:
            async with transaction(database, write=False) as session:
                rows = (
                    await session.execute(
                        select(dead_letters)
                        .where(dead_letters.c.replayed_at.is_(None))
                        .order_by(dead_letters.c.failed_at)
                    )
                ).all()
        finally:
            await database.dispose()
        for row in rows:
            error = row.error.strip().splitlines()[-1] if row.error.strip() else ""
            lines.append(
                f"{app.name}  {row.id}  {row.event_type}  event {row.event_id}  "
                f"attempts {row.attempts}  {row.failed_at.isoformat()}  {error}"
            )
    return "\n".join(lines) if lines else "no dead letters"


async def replay(app: AppSpec, url: str, dead_letter_id: uuid.UUID) -> str:
    """Run one dead letter's handler again, in this process, on the app's database."""
    database = Database.from_url(url, pool_size=1)
    try:
        consumers: list[Consumer] = list(app.consumers(database))
        async with transaction(database, write=False) as session:
            consumer_name = await session.scalar(
                select(dead_letters.c.consumer).where(dead_letters.c.id == dead_letter_id)
            )
        found = [c for c in consumers if c.name == consumer_name]
        if consumer_name is None or not found:
            raise DeadLetterNotFound(f"{app.name} has no dead letter {dead_letter_id}")
        applied = await found[0].replay(dead_letter_id)
    finally:
        await database.dispose()
    if applied:
        return f"replayed {dead_letter_id}: applied"
    return f"replayed {dead_letter_id}: the event had been applied already"


__all__ = ["list_dead_letters", "replay", "schemas", "status"]
