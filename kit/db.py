"""Database plumbing: the declarative base, engines, and the one-commit-per-request session.

Each service owns one database. The engine and session maker live in a :class:`Database`
built in the app's lifespan (never at import time); a request's session commits once, in
the dependency that opened it, before the response is sent.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import DateTime, MetaData, event, text
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from kit.ids import new_id

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


# Tables that kit itself needs in every service's database (idempotency keys, and later
# the outbox and inbox). Each service's migrations create them next to its own tables.
kit_metadata = new_metadata()


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC in and out, on PostgreSQL and on SQLite (which stores no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class IdMixin:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)


class TimestampMixin:
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ServiceBase(DeclarativeBase):
    """Parent of each service's own base; never mapped itself.

    A service declares ``class Base(ServiceBase): metadata = new_metadata()`` so that its
    tables live in a metadata of its own.
    """

    __abstract__ = True


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


DEFAULT_POOL_SIZE = 20
DEFAULT_POOL_TIMEOUT_SECONDS = 3.0


def make_engine(
    url: str,
    *,
    pool_size: int = DEFAULT_POOL_SIZE,
    pool_timeout: float = DEFAULT_POOL_TIMEOUT_SECONDS,
) -> AsyncEngine:
    """An engine tuned for the backend the URL names.

    On PostgreSQL the pool holds at most ``pool_size`` connections, opened on first use and
    then kept: no overflow, because an overflow connection is opened for one request and
    closed after it (a TCP and TLS handshake and a backend process start per request, just
    when the service is busiest). A request that finds every connection taken waits up to
    ``pool_timeout`` seconds, in arrival order, then fails with
    :class:`sqlalchemy.exc.TimeoutError`, which :mod:`kit.app` answers with a 503 and
    ``Retry-After``: a short wait sheds load the database cannot take, instead of queueing
    requests until their clients give up."""
    if is_sqlite(url):
        engine = create_async_engine(url, connect_args={"timeout": 30})
        _configure_sqlite(engine)
        return engine
    # No pre-ping: it is a round trip before every request. A connection cut by a server
    # restart fails its request instead (503, Retry-After), and SQLAlchemy then discards
    # every pooled connection older than the failure, so one request pays, not one per
    # pooled connection (tests/services/donations/test_database_drop.py). No recycling by
    # age either: PostgreSQL closes no idle connection by itself, and a recycle is churn.
    return create_async_engine(url, pool_size=pool_size, max_overflow=0, pool_timeout=pool_timeout)


def _configure_sqlite(engine: AsyncEngine) -> None:
    # pysqlite's own transaction handling begins transactions lazily and cannot take the
    # write lock up front; we switch it off and emit BEGIN ourselves (the recipe from
    # SQLAlchemy's SQLite dialect docs). Writes use BEGIN IMMEDIATE (see Database.session)
    # so that two writers queue on the lock instead of failing on a read-to-write upgrade.
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


class Database:
    """One service's database: an engine (or a test's connection) and its session makers."""

    def __init__(self, bind: AsyncEngine | AsyncConnection, *, owns_engine: bool) -> None:
        self.bind = bind
        self._owns_engine = owns_engine
        # Set when a transaction that wrote to the outbox commits (kit.events.outbox), so
        # that the relay publishes at once instead of at its next poll.
        self.outbox_signal = asyncio.Event()
        in_test_transaction = isinstance(bind, AsyncConnection)
        options: dict[str, Any] = {
            "expire_on_commit": False,
            "autoflush": False,
            "info": {"database": self},
        }
        if in_test_transaction:
            # Tests run each case inside one outer transaction that is rolled back; a
            # request's commit then only releases a savepoint.
            options["join_transaction_mode"] = "create_savepoint"
        self._reader = async_sessionmaker(bind, **options)
        self._writer = async_sessionmaker(bind, **options)
        dialect = bind.dialect.name
        self.dialect = dialect
        if dialect == "sqlite" and isinstance(bind, AsyncEngine):
            self._writer = async_sessionmaker(
                bind.execution_options(sqlite_begin="IMMEDIATE"), **options
            )
        elif dialect == "postgresql" and isinstance(bind, AsyncEngine):
            # Reads run without BEGIN and COMMIT: under READ COMMITTED every statement takes
            # its own snapshot, in a transaction or not, so a read-only transaction buys
            # nothing but two round trips (a third of a small read's time). A read that
            # needs locks held across statements opens a write session. (SQLite keeps its
            # read transactions: there, one is a snapshot across statements.)
            self._reader = async_sessionmaker(
                bind.execution_options(isolation_level="AUTOCOMMIT"), **options
            )

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        pool_size: int = DEFAULT_POOL_SIZE,
        pool_timeout: float = DEFAULT_POOL_TIMEOUT_SECONDS,
    ) -> Database:
        return cls(
            make_engine(url, pool_size=pool_size, pool_timeout=pool_timeout), owns_engine=True
        )

    def session(self, *, write: bool) -> AsyncSession:
        """A new session; ``write`` ones take SQLite's write lock at BEGIN. A read session
        on PostgreSQL runs each statement on its own (autocommit): it must not write, and
        locks it takes (``FOR SHARE``) end with their statement."""
        maker = self._writer if write else self._reader
        session: AsyncSession = maker()
        return session

    async def ping(self) -> None:
        async with self._reader() as session:
            await session.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        if self._owns_engine and isinstance(self.bind, AsyncEngine):
            await self.bind.dispose()


@asynccontextmanager
async def transaction(db: Database, *, write: bool) -> AsyncIterator[AsyncSession]:
    """Yield a session inside a transaction; commit when the body succeeds, else roll back.
    (A read on PostgreSQL runs each statement on its own: see :meth:`Database.session`.)"""
    async with db.session(write=write) as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def request_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's one session and transaction: committed if the route succeeds, rolled
    back if it raises. Scoped to the route function, so the commit happens before the
    answer is sent and a failed commit is never reported as a success."""
    database: Database = request.app.state.database
    async with transaction(database, write=request.method not in _READ_METHODS) as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(request_session, scope="function")]
