"""What every repository needs: one model's rows read and written, and upserts on both
backends.

A domain's ``repository.py`` holds all of its SQL. Its classes subclass
:class:`Repository` for the plain reads and writes and add the queries that are theirs::

    class PartnerRepository(Repository[Partner]):
        model = Partner

        async def by_name(self, foundation_id: uuid.UUID, name: str) -> Partner | None:
            return await self.one_or_none(
                select(Partner).where(Partner.foundation_id == foundation_id, Partner.name == name)
            )

A service function takes the request's session and builds the repositories it needs.

``INSERT ... ON CONFLICT`` is spelled alike by PostgreSQL and SQLite but built from each
dialect's own construct: :class:`Upsert` builds a statement once per dialect at import
time (so SQLAlchemy compiles it once, not per request) and picks the session's.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import Select, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import Insert

from kit.pagination import PagedQuery, PageParams

M = TypeVar("M")

InsertFactory = Callable[[Any], Any]
"""``postgresql.insert`` or ``sqlite.insert``: an ``INSERT`` that has ``on_conflict_*``."""

_INSERTS: dict[str, InsertFactory] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def dialect_insert(session: AsyncSession) -> InsertFactory:
    """The ``insert`` of the session's backend, for an ``ON CONFLICT`` built per call."""
    return _INSERTS[session.get_bind().dialect.name]


class Upsert:
    """An ``INSERT ... ON CONFLICT`` statement, built once for each backend::

        _COUNT = Upsert(lambda insert: insert(counters).on_conflict_do_update(...))
        await session.execute(_COUNT.of(session), params)
    """

    def __init__(self, build: Callable[[InsertFactory], Insert]) -> None:
        self._by_dialect = {name: build(insert) for name, insert in _INSERTS.items()}

    def of(self, session: AsyncSession) -> Insert:
        return self._by_dialect[session.get_bind().dialect.name]


def insert_ignoring_conflicts(table: Table | type[Any], *index_elements: str) -> Upsert:
    """``INSERT ... ON CONFLICT (index_elements) DO NOTHING``: values are given when it is
    executed, so one statement serves every row."""
    return Upsert(
        lambda insert: insert(table).on_conflict_do_nothing(index_elements=list(index_elements))
    )


class Repository(Generic[M]):
    """All SQL of one model's table, and a home for its queries. Subclasses set ``model``."""

    model: ClassVar[type[Any]]

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, id_: uuid.UUID) -> M | None:
        """The row with this primary key, or None."""
        found: M | None = await self.session.get(self.model, id_)
        return found

    async def one_or_none(self, stmt: Select[Any]) -> M | None:
        found: M | None = (await self.session.execute(stmt)).scalars().one_or_none()
        return found

    async def all(self, stmt: Select[Any]) -> Sequence[M]:
        rows: Sequence[M] = (await self.session.execute(stmt)).scalars().all()
        return rows

    async def page(self, stmt: Select[Any], params: PageParams) -> Sequence[M]:
        """One page of ``stmt``'s rows, newest first by id (see :meth:`PageParams.page`)."""
        return await self.all(params.apply(stmt, self.model.id))

    async def paged(self, query: PagedQuery, params: PageParams, **values: Any) -> Sequence[M]:
        """One page of a query built once (:class:`kit.pagination.PagedQuery`)."""
        stmt, bound = query.bind(params, **values)
        rows: Sequence[M] = (await self.session.execute(stmt, bound)).scalars().all()
        return rows

    async def add(self, row: M) -> M:
        """Insert ``row`` now (flushed, so a constraint it breaks raises here)."""
        self.session.add(row)
        await self.session.flush()
        return row
