from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from gateway import models  # noqa: F401  (registers every table)
from gateway.app import MIGRATIONS
from gateway.base import Base
from kit.db import make_engine
from kit.migrations import downgrade, upgrade


async def differences(url: str) -> list[Any]:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:

            def compare(sync_connection: Any) -> list[Any]:
                context = MigrationContext.configure(
                    sync_connection,
                    opts={"compare_type": True, "version_table": MIGRATIONS.version_table},
                )
                return list(compare_metadata(context, Base.metadata))

            return await connection.run_sync(compare)
    finally:
        await engine.dispose()


async def tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


class TestMigrations:
    async def test_head_matches_the_models(self, gateway_database_url: str) -> None:
        assert await differences(gateway_database_url) == []

    async def test_downgrade_and_upgrade_again(self, tmp_path: Path) -> None:
        url = f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}"
        await asyncio.to_thread(upgrade, MIGRATIONS, url)
        assert {"api_keys", "alembic_version_gateway"} <= await tables(url)
        await asyncio.to_thread(downgrade, MIGRATIONS, url)
        assert "api_keys" not in await tables(url)
        await asyncio.to_thread(upgrade, MIGRATIONS, url)
        assert await differences(url) == []
