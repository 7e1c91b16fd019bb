"""Alembic, driven from code: every service keeps its migrations in its own package
(``services/<name>/migrations``) and its own version table, in its own database.

A service's ``env.py`` is one call to :func:`run_env`. Migrations take a PostgreSQL
advisory lock, so replicas that start together do not migrate the same database twice.
"""

from __future__ import annotations

import asyncio
import zlib
from dataclasses import dataclass
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine


@dataclass(frozen=True, slots=True)
class MigrationSet:
    """Where one app's migrations live and which version table records them."""

    name: str
    directory: Path

    @property
    def version_table(self) -> str:
        return f"alembic_version_{self.name}"

    def config(self, url: str) -> Config:
        config = Config()
        config.set_main_option("script_location", str(self.directory))
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
        # Migrations are named by date and slug: 2026_11_29_initial.py
        config.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(slug)s")
        config.attributes["version_table"] = self.version_table
        config.attributes["migration_set"] = self.name
        return config


def upgrade(migrations: MigrationSet, url: str, revision: str = "head") -> None:
    """Apply migrations up to ``revision``. Blocking: call it outside an event loop or in a
    thread (``asyncio.to_thread``)."""
    command.upgrade(migrations.config(url), revision)


def downgrade(migrations: MigrationSet, url: str, revision: str = "base") -> None:
    command.downgrade(migrations.config(url), revision)


def autogenerate(migrations: MigrationSet, url: str, message: str, rev_id: str) -> None:
    """Write a new migration from the difference between the models and the database at
    ``url`` (which must be at head). Review what it wrote before committing it."""
    command.revision(migrations.config(url), message=message, autogenerate=True, rev_id=rev_id)


def run_env(target_metadata: MetaData | list[MetaData]) -> None:
    """The body of every service's ``env.py``."""
    config = context.config
    url = config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url must be set"
    version_table = config.attributes.get("version_table", "alembic_version")
    name = config.attributes.get("migration_set", version_table)

    def run(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            version_table=version_table,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        if connection.dialect.name == "postgresql":
            lock_id = zlib.crc32(f"fnet-migrate-{name}".encode())
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock_id})
        with context.begin_transaction():
            context.run_migrations()

    async def run_async() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        try:
            async with engine.connect() as connection:
                await connection.run_sync(run)
                await connection.commit()
        finally:
            await engine.dispose()

    asyncio.run(run_async())
