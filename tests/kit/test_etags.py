from __future__ import annotations

import pytest

from kit.errors import PreconditionFailed, PreconditionRequired
from kit.etags import (
    ANY,
    EntityTag,
    MalformedIfMatch,
    Preconditions,
    if_match_tags,
    match,
    none_match,
    not_modified,
    parse,
)


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


class TestMatch:
    current = EntityTag("2")

    @pytest.mark.parametrize("header", ['"2"', '"1", "2"', " * "])
    def test_the_current_tag_or_star_holds(self, header: str) -> None:
        assert match(header, self.current) is True

    @pytest.mark.parametrize("header", ['"1"', 'W/"2"', "2", '"2', ""])
    def test_another_weak_or_malformed_tag_fails(self, header: str) -> None:
        assert match(header, self.current) is False

    def test_a_weak_current_tag_never_matches(self) -> None:
        assert match('"2"', EntityTag("2", weak=True)) is False


class TestIfMatchTags:
    def test_reads_tags_and_star(self) -> None:
        assert if_match_tags('"2", W/"3"') == [EntityTag("2"), EntityTag("3", weak=True)]
        assert if_match_tags("*") is ANY

    @pytest.mark.parametrize(("header", "example"), [("2", '"2"'), ("", '"3"'), ('"2', '"3"')])
    def test_malformed_is_400_showing_the_quoted_form(self, header: str, example: str) -> None:
        with pytest.raises(MalformedIfMatch) as raised:
            if_match_tags(header)
        assert raised.value.status == 400
        assert f"If-Match: {example}" in str(raised.value.detail)


class TestNotModified:
    def test_has_no_body_and_keeps_the_validator_and_caching_headers(self) -> None:
        response = not_modified(EntityTag("7"), {"Cache-Control": "public, max-age=60"})
        assert response.status_code == 304
        assert response.body == b""
        assert response.headers["etag"] == '"7"'
        assert response.headers["cache-control"] == "public, max-age=60"


class TestPreconditions:
    @pytest.mark.parametrize("header", ['"3"', '"3-ab12cd"', '"2", "3-x"', "*"])
    def test_a_change_based_on_the_current_version_passes(self, header: str) -> None:
        Preconditions(if_match=header).require_version(3, what="campaign")

    @pytest.mark.parametrize("header", ['"2"', '"2-ab12cd"', 'W/"3"', '"33"'])
    def test_another_version_is_412(self, header: str) -> None:
        with pytest.raises(PreconditionFailed, match="version 3"):
            Preconditions(if_match=header).require_version(3, what="campaign")

    def test_the_problem_class_is_the_callers(self) -> None:
        class CampaignChanged(PreconditionFailed):
            slug = "campaign-changed"

        with pytest.raises(CampaignChanged):
            Preconditions(if_match='"1"').require_version(
                3, what="campaign", changed=CampaignChanged
            )

    def test_none_is_428_when_required(self) -> None:
        with pytest.raises(PreconditionRequired, match="If-Match"):
            Preconditions().require_version(3, what="campaign")
        Preconditions().require_version(3, what="campaign", required=False)

    @pytest.mark.parametrize("header", ["3", '"3', "abc"])
    def test_an_unquoted_tag_is_400_saying_tags_are_quoted(self, header: str) -> None:
        with pytest.raises(MalformedIfMatch, match="entity tags are quoted"):
            Preconditions(if_match=header).require_version(3, what="campaign")

    def test_unchanged_compares_weakly(self) -> None:
        assert Preconditions(if_none_match='W/"7"').unchanged(EntityTag("7")) is True
        assert Preconditions(if_none_match='"6"').unchanged(EntityTag("7")) is False
        assert Preconditions().unchanged(EntityTag("7")) is False
