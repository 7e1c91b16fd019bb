"""Test plumbing shared by every test package: databases, principals, service clients.

Every service test runs on SQLite, and on PostgreSQL too when ``FNET_TEST_POSTGRES_URL``
names a server (``.ci/run`` gives it; CI refuses to run without it).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Protocol

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from kit.db import Database, make_engine
from kit.events import Bus, InMemoryBus
from kit.identity import DEFAULT_SCOPES, IDENTITY_HEADER, Principal, TokenSigner
from kit.migrations import MigrationSet, upgrade
from kit.settings import AppSettings

POSTGRES_URL = os.environ.get("FNET_TEST_POSTGRES_URL")
TEST_SECRET = "test-" + "k" * 40
BACKENDS = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]


def principal(
    organisation_id: uuid.UUID | None = None, scopes: frozenset[str] = DEFAULT_SCOPES
) -> Principal:
    return Principal(
        subject=f"test-key-{secrets.token_hex(4)}",
        organisation_id=organisation_id or uuid.uuid4(),
        scopes=scopes,
    )


def identity_headers(who: Principal) -> dict[str, str]:
    # Signed once per client, which lives for its whole test: an hour, not the gateway's
    # minute, so that a long test on a slow machine is not cut off by its own token (the
    # tests of expiry sign their own).
    return {IDENTITY_HEADER: TokenSigner(TEST_SECRET, ttl_seconds=3600).sign(who)}


def client_for(app: FastAPI, who: Principal | None) -> httpx.AsyncClient:
    """An HTTP client talking to ``app`` in-process, as the gateway would for ``who``."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app),
        base_url="http://service.test",
        headers=identity_headers(who) if who else {},
    )


class TestDatabases:
    """One migrated database per (app, backend), made once per test session."""

    __test__ = False  # a helper named Test..., not a test class for pytest to collect

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.created: list[str] = []
        self.urls: dict[tuple[str, str], str] = {}

    async def url(self, migrations: MigrationSet, backend: str) -> str:
        key = (migrations.name, backend)
        if key not in self.urls:
            if backend == "sqlite":
                url = f"sqlite+aiosqlite:///{self.tmp / f'{migrations.name}.db'}"
            else:
                url = await self._create_postgres(f"fnet_test_{migrations.name}")
            await asyncio.to_thread(upgrade, migrations, url)
            self.urls[key] = url
        return self.urls[key]

    def sqlite_copy(self, url: str) -> str:
        """A copy of a migrated SQLite database, for one test: SQLite locks the whole file,
        so a test that leaves a connection behind (a background task of an app stopped
        mid-transaction) can only ever hold up itself, never the tests after it."""
        template = Path(make_url(url).database or "")
        copy = self.tmp / f"{template.stem}-{secrets.token_hex(6)}.db"
        shutil.copyfile(template, copy)
        return f"sqlite+aiosqlite:///{copy}"

    async def _create_postgres(self, prefix: str) -> str:
        url = await create_postgres_database(prefix)
        self.created.append(url)
        return url

    async def drop_all(self) -> None:
        await drop_postgres_databases(self.created)


async def _admin_connection() -> asyncpg.Connection:
    assert POSTGRES_URL, "FNET_TEST_POSTGRES_URL is not set"
    admin = make_url(POSTGRES_URL)
    return await asyncpg.connect(
        host=admin.host,
        port=admin.port,
        user=admin.username,
        password=admin.password,
        database=admin.database,
    )


async def create_postgres_database(prefix: str) -> str:
    """A new, empty PostgreSQL database on the test server; returns its URL."""
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    conn = await _admin_connection()
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    assert POSTGRES_URL
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


async def drop_postgres_databases(urls: list[str]) -> None:
    if not urls:
        return
    conn = await _admin_connection()
    try:
        for url in urls:
            await conn.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
    finally:
        await conn.close()


class AppFactory(Protocol):
    def __call__(
        self, settings: Any = ..., *, database: Database | None = ..., bus: Bus | None = ...
    ) -> FastAPI: ...


def service_fixtures(
    migrations: MigrationSet, create_app: AppFactory, settings_class: type[AppSettings]
) -> tuple[Any, Any, Any]:
    """The ``database_url``, ``app`` and ``committing_app`` fixtures of one service's tests.

    A service's ``conftest.py`` binds them to those names::

        database_url, app, committing_app = service_fixtures(MIGRATIONS, create_app, Settings)
    """

    def settings(url: str, **extra: Any) -> AppSettings:
        return settings_class(
            database_url=url, internal_token_secret=TEST_SECRET, json_logs=False, **extra
        )

    @pytest.fixture(name="database_url")
    async def database_url(databases: TestDatabases, backend: str) -> str:
        url = await databases.url(migrations, backend)
        return databases.sqlite_copy(url) if backend == "sqlite" else url

    @pytest.fixture(name="app")
    async def app(database_url: str) -> AsyncIterator[FastAPI]:
        """The app on one rolled-back transaction."""
        async with (
            rolled_back(database_url) as database,
            running(create_app(settings(database_url), database=database)) as app,
        ):
            yield app

    @pytest.fixture(name="committing_app")
    async def committing_app(database_url: str) -> AsyncIterator[FastAPI]:
        """The app on its own connection pool, committing for real: for concurrency tests.
        What such a test leaves behind stays in the session's database, so it must use
        foundations (and names) of its own. Its relay and consumers run on an in-memory
        bus of its own."""
        bus = InMemoryBus()
        # Concurrency tests send more requests at once than the pool has connections: on a
        # loaded machine a request may wait longer for one than the production setting
        # allows (it would answer 503, shedding load), which is not what they test.
        patient = settings(database_url, db_pool_timeout_seconds=30)
        try:
            async with running(create_app(patient, bus=bus)) as app:
                yield app
        finally:
            await bus.close()

    return database_url, app, committing_app


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[FastAPI]:
    """Run the app's lifespan around the block."""
    async with app.router.lifespan_context(app):
        yield app


@asynccontextmanager
async def rolled_back(url: str) -> AsyncIterator[Database]:
    """A :class:`Database` on one connection whose outer transaction is rolled back.

    On SQLite the transaction takes the write lock at once (``BEGIN IMMEDIATE``), as the
    app's own write transactions do: a transaction that read first and then writes is
    refused at once ("database is locked", no waiting) if another connection is writing
    at that moment, where one that asked for the lock up front waits its turn."""
    engine = make_engine(url, pool_size=2)
    try:
        async with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                await connection.execution_options(sqlite_begin="IMMEDIATE")
            transaction = await connection.begin()
            try:
                yield Database(connection, owns_engine=False)
            finally:
                await transaction.rollback()
    finally:
        await engine.dispose()
