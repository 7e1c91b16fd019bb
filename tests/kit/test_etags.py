from __future__ import annotations

import pytest

from kit.etags import ANY, EntityTag, none_match, parse


class TestParse:
    @pytest.mark.parametrize(
        ("header", "tags"),
        [
            ('"a"', [EntityTag("a")]),
            ('W/"a"', [EntityTag("a", weak=True)]),
            (' "a" , W/"b",""', [EntityTag("a"), EntityTag("b", weak=True), EntityTag("")]),
            ('"3-9f2c"', [EntityTag("3-9f2c")]),
        ],
    )
    def test_reads_lists_of_tags(self, header: str, tags: list[EntityTag]) -> None:
        assert parse(header) == tags

    def test_star_is_any(self) -> None:
        assert parse(" * ") is ANY

    @pytest.mark.parametrize("header", ["", "a", '"a', '"a" "b"', 'w/"a"', '"a b"', '"a",,'])
    def test_anything_else_is_none(self, header: str) -> None:
        assert parse(header) is None

    def test_renders_as_it_reads(self) -> None:
        assert str(EntityTag("1-ab")) == '"1-ab"'
        assert str(EntityTag("1-ab", weak=True)) == 'W/"1-ab"'


class TestNoneMatch:
    current = EntityTag("2-ab")

    @pytest.mark.parametrize("header", ['"2-ab"', 'W/"2-ab"', '"x", "2-ab"', "*"])
    def test_a_current_tag_fails_the_condition(self, header: str) -> None:
        assert none_match(header, self.current) is False

    @pytest.mark.parametrize("header", [None, '"1-ab"', '"2-a"', "garbage"])
    def test_anything_else_holds(self, header: str | None) -> None:
        assert none_match(header, self.current) is True
