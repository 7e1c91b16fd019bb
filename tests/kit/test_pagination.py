from __future__ import annotations

import pytest

from kit.errors import Unprocessable
from kit.ids import new_id
from kit.pagination import decode_cursor, encode_cursor


def test_cursor_round_trip() -> None:
    some_id = new_id()
    assert decode_cursor(encode_cursor(some_id)) == some_id


@pytest.mark.parametrize("cursor", ["", "zzz", "djE6", "@@@", encode_cursor(new_id())[:-3]])
def test_bad_cursor_is_422(cursor: str) -> None:
    with pytest.raises(Unprocessable):
        decode_cursor(cursor)


def test_ids_are_time_ordered() -> None:
    ids = [new_id() for _ in range(100)]
    assert ids == sorted(ids)
