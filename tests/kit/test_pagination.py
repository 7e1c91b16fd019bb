from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

from kit.errors import BadRequest, Unprocessable
from kit.ids import new_id
from kit.pagination import PageParams, decode_cursor, encode_cursor


def test_cursor_round_trip() -> None:
    some_id = new_id()
    assert decode_cursor(encode_cursor(some_id)) == some_id


# Fixed ids: pytest-xdist's workers must collect the very same test names.
@pytest.mark.parametrize(
    "cursor",
    ["", "zzz", "djE6", "@@@", pytest.param(encode_cursor(new_id())[:-3], id="truncated")],
)
def test_bad_cursor_is_422(cursor: str) -> None:
    with pytest.raises(Unprocessable):
        decode_cursor(cursor)


def test_ids_are_time_ordered() -> None:
    ids = [new_id() for _ in range(100)]
    assert ids == sorted(ids)


def test_a_cursor_of_another_list_is_400_naming_it() -> None:
    cursor = encode_cursor(new_id(), "/api/v1/campaigns/a/donations")
    with pytest.raises(BadRequest) as caught:
        decode_cursor(cursor, "/api/v1/campaigns/b/donations")
    assert caught.value.errors is not None
    assert caught.value.errors[0].field == "cursor"


@dataclass
class Row:
    id: uuid.UUID
    name: str


def test_a_page_is_built_from_the_rows_in_one_call() -> None:
    rows = [Row(new_id(), str(n)) for n in range(4)]
    params = PageParams(limit=3, after=None, path="/things")

    page = params.page(rows, lambda row: row.name.upper())

    assert page.items == ["0", "1", "2"]
    assert page.next_cursor is not None
    assert decode_cursor(page.next_cursor, "/things") == rows[2].id


def test_the_last_page_has_no_cursor() -> None:
    rows = [Row(new_id(), "only")]
    page = PageParams(limit=3, after=None, path="/things").page(rows, lambda row: row.name)
    assert page.items == ["only"]
    assert page.next_cursor is None
