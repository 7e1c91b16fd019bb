"""Cursor pagination: ``?limit=&cursor=`` in, ``{"items": [...], "next_cursor": ...}`` out.

Rows are listed newest first by their UUIDv7 primary key, so the cursor is the last id
seen, made opaque, together with a short digest of the list's path: a cursor is good only
for the list that gave it out. One that cannot be decoded is a 422 naming ``cursor``; one
from another list (another campaign's donations, say) is a 400 naming it, since following
it would answer an empty or wrong page.

A route takes :data:`PageParamsDep` and answers ``params.page(rows, read)``, where its
repository fetched ``rows`` with ``params.apply(stmt, id_column)``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Integer, Select, Uuid, bindparam
from sqlalchemy.orm import InstrumentedAttribute

from kit.errors import BadRequest, FieldProblem, Unprocessable

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
_PREFIX = b"v2:"
_LIST_DIGEST_BYTES = 6

T = TypeVar("T")
R = TypeVar("R")
S = TypeVar("S", bound=Select[Any])
IdColumn = InstrumentedAttribute[uuid.UUID] | ColumnElement[uuid.UUID]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        description="pass as ?cursor= to get the next page; null on the last page"
    )


def list_digest(path: str) -> bytes:
    """What ties a cursor to its list: a short digest of the list's path."""
    return hashlib.sha256(path.encode()).digest()[:_LIST_DIGEST_BYTES]


def encode_cursor(last_id: uuid.UUID, path: str = "") -> str:
    raw = _PREFIX + list_digest(path) + last_id.bytes
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, path: str = "") -> uuid.UUID:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        if not raw.startswith(_PREFIX) or len(raw) != len(_PREFIX) + _LIST_DIGEST_BYTES + 16:
            raise ValueError(cursor)
        digest = raw[len(_PREFIX) : len(_PREFIX) + _LIST_DIGEST_BYTES]
        last_id = uuid.UUID(bytes=raw[len(_PREFIX) + _LIST_DIGEST_BYTES :])
    except (binascii.Error, ValueError) as exc:
        raise Unprocessable(
            "cursor is not one this API gave out",
            errors=[FieldProblem(field="cursor", message="invalid cursor", code="cursor")],
        ) from exc
    if digest != list_digest(path):
        raise BadRequest(
            "cursor belongs to another list; pass only the next_cursor this list gave out, "
            "or start again without one",
            errors=[FieldProblem(field="cursor", message="cursor of another list", code="cursor")],
        )
    return last_id


def _id(row: Any) -> uuid.UUID:
    found: uuid.UUID = row.id
    return found


@dataclass(frozen=True, slots=True)
class PageParams:
    limit: int
    after: uuid.UUID | None
    path: str = ""

    def apply(self, stmt: S, id_column: IdColumn) -> S:
        """Newest first, after the cursor; one extra row tells whether there is a next page."""
        if self.after is not None:
            stmt = stmt.where(id_column < self.after)
        return stmt.order_by(id_column.desc()).limit(self.limit + 1)

    def page(
        self,
        rows: Sequence[R],
        read: Callable[[R], T],
        *,
        key: Callable[[R], uuid.UUID] = _id,
    ) -> Page[T]:
        """The answer: the first ``limit`` of the ``limit + 1`` rows fetched, each as
        ``read`` shows it, and the cursor of the next page if the extra row came back."""
        items = rows[: self.limit]
        more = len(rows) > self.limit and items
        return Page(
            items=[read(row) for row in items],
            next_cursor=encode_cursor(key(items[-1]), self.path) if more else None,
        )


class PagedQuery:
    r"""A list's query built once, at import, for a list that many requests read: newest
    first by ``id_column``, one page of ``limit + 1`` rows, after the cursor if there is
    one. Building a statement and computing its cache key on every request costs more
    than running it for a small page; this is built once and bound per request
    (:meth:`kit.repository.Repository.paged`).

    ``stmt`` names its own values as ``bindparam``\ s; the query adds ``page_rows`` and
    ``page_after``.
    """

    def __init__(
        self,
        stmt: Select[Any],
        id_column: InstrumentedAttribute[uuid.UUID] | ColumnElement[uuid.UUID],
    ) -> None:
        rows = bindparam("page_rows", type_=Integer())
        self._first = stmt.order_by(id_column.desc()).limit(rows)
        self._after = (
            stmt.where(id_column < bindparam("page_after", type_=Uuid()))
            .order_by(id_column.desc())
            .limit(rows)
        )

    def bind(self, params: PageParams, **values: Any) -> tuple[Select[Any], dict[str, Any]]:
        """The statement for this page, and the values to run it with."""
        values["page_rows"] = params.limit + 1
        if params.after is None:
            return self._first, values
        values["page_after"] = params.after
        return self._after, values


async def page_params(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="items per page")] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> PageParams:
    path = request.url.path
    return PageParams(limit=limit, after=decode_cursor(cursor, path) if cursor else None, path=path)


PageParamsDep = Annotated[PageParams, Depends(page_params)]
