"""Cursor pagination: ``?limit=&cursor=`` in, ``{"items": [...], "next_cursor": ...}`` out.

Rows are listed newest first by their UUIDv7 primary key, so the cursor is just the last
id seen, made opaque. A cursor that cannot be decoded is a 422 naming ``cursor``.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute

from kit.errors import FieldProblem, Unprocessable

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
_PREFIX = b"v1:"

T = TypeVar("T")
R = TypeVar("R")
S = TypeVar("S", bound=Select[Any])


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        description="pass as ?cursor= to get the next page; null on the last page"
    )


def encode_cursor(last_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(_PREFIX + last_id.bytes).decode().rstrip("=")


def decode_cursor(cursor: str) -> uuid.UUID:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        if not raw.startswith(_PREFIX):
            raise ValueError(cursor)
        return uuid.UUID(bytes=raw[len(_PREFIX) :])
    except (binascii.Error, ValueError) as exc:
        raise Unprocessable(
            "cursor is not one this API gave out",
            errors=[FieldProblem(field="cursor", message="invalid cursor", code="cursor")],
        ) from exc


@dataclass(frozen=True, slots=True)
class PageParams:
    limit: int
    after: uuid.UUID | None

    def apply(self, stmt: S, id_column: InstrumentedAttribute[uuid.UUID]) -> S:
        """Newest first, after the cursor; one extra row tells whether there is a next page."""
        if self.after is not None:
            stmt = stmt.where(id_column < self.after)
        return stmt.order_by(id_column.desc()).limit(self.limit + 1)


async def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="items per page")] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> PageParams:
    return PageParams(limit=limit, after=decode_cursor(cursor) if cursor else None)


PageParamsDep = Annotated[PageParams, Depends(page_params)]


def cut_page(
    rows: Sequence[R], params: PageParams, id_of: Callable[[R], uuid.UUID]
) -> tuple[list[R], str | None]:
    """Split the ``limit + 1`` rows fetched into the page and the next cursor."""
    items = list(rows[: params.limit])
    next_cursor = encode_cursor(id_of(items[-1])) if len(rows) > params.limit and items else None
    return items, next_cursor
