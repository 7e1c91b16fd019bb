"""Every service's migrations, checked against its models on every backend.

For each service: an empty database is upgraded to head, alembic's autogenerate
comparison must then find nothing to do (the migrations create exactly what the models
declare), and a downgrade to base followed by a new upgrade must work too.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, inspect, pool, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import create_async_engine

from kit.db import kit_metadata, new_metadata
from kit.migrations import MigrationSet, downgrade, upgrade
from services.donations import models as _donations_models  # noqa: F401  (registers every table)
from services.donations.app import MIGRATIONS as DONATIONS
from services.donations.base import Base as DonationsBase
from services.network import models as _network_models  # noqa: F401  (registers every table)
from services.network.app import MIGRATIONS as NETWORK
from services.network.base import Base as NetworkBase
from services.partners import models as _partners_models  # noqa: F401  (registers every table)
from services.partners.app import MIGRATIONS as PARTNERS
from services.partners.base import Base as PartnersBase
from tests.support import POSTGRES_URL


@dataclass(frozen=True)
class Service:
    migrations: MigrationSet
    metadata: MetaData

    @property
    def target(self) -> MetaData:
        """The service's tables and kit's, in one metadata, as its ``env.py`` sees them."""
        combined = new_metadata()
        for metadata in (self.metadata, kit_metadata):
            for table in metadata.tables.values():
                table.to_metadata(combined)
        return combined


SERVICES = [
    pytest.param(Service(DONATIONS, DonationsBase.metadata), id="donations"),
    pytest.param(Service(PARTNERS, PartnersBase.metadata), id="partners"),
    pytest.param(Service(NETWORK, NetworkBase.metadata), id="network"),
]


@pytest.fixture
async def empty_database(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """A new, empty database of its own (migrating the shared test databases down would
    pull them from under the other tests)."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    assert POSTGRES_URL
    name = f"fnet_test_migrations_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_async_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT", poolclass=pool.NullPool)
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
        finally:
            async with admin.connect() as connection:
                await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


async def differences(service: Service, url: str) -> list[Any]:
    """What autogenerate would write: the models' schema against the database's."""

    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(
            connection,
            opts={"version_table": service.migrations.version_table, "compare_type": True},
        )
        return list(compare_metadata(context, service.target))

    engine = create_async_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(compare)
    finally:
        await engine.dispose()


async def table_names(url: str) -> set[str]:
    engine = create_async_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


@pytest.mark.parametrize("service", SERVICES)
class TestMigrations:
    async def test_comparison_sees_what_is_missing(
        self, service: Service, empty_database: str
    ) -> None:
        # Guards the test below: a comparison that saw nothing would pass any migration.
        found = await differences(service, empty_database)
        added = {diff[1].name for diff in found if diff[0] == "add_table"}
        assert added == set(service.target.tables)

    async def test_upgrade_from_empty_matches_the_models(
        self, service: Service, empty_database: str
    ) -> None:
        await asyncio.to_thread(upgrade, service.migrations, empty_database)

        assert await differences(service, empty_database) == []

    async def test_downgrade_to_base_then_upgrade_again(
        self, service: Service, empty_database: str
    ) -> None:
        version_table = service.migrations.version_table
        await asyncio.to_thread(upgrade, service.migrations, empty_database)

        await asyncio.to_thread(downgrade, service.migrations, empty_database, "base")
        assert await table_names(empty_database) == {version_table}

        await asyncio.to_thread(upgrade, service.migrations, empty_database)
        assert await table_names(empty_database) == {version_table, *service.target.tables}
        assert await differences(service, empty_database) == []
