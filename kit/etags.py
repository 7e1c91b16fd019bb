"""Entity tags (RFC 9110 section 8.8.3), the lists that ``If-Match`` and ``If-None-Match``
carry, and the ``304 Not Modified`` answer.

The app decides what its tags mean; this module only reads and writes their syntax and
compares them the two ways the RFC names: weakly for ``If-None-Match`` (:func:`none_match`),
strongly for ``If-Match`` (:func:`match`). :class:`Preconditions` is what routes use: one
dependency for both headers, the 412, 428 and 304 decided in one place.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header
from starlette.responses import Response

from kit.errors import BadRequest, PreconditionFailed, PreconditionRequired, problem_content

# etagc: "!" and "#" to "~" except the quote, plus obs-text (bytes 0x80-0xFF, read as Latin-1).
_TAG = re.compile(r'\s*(W/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*(?:,|$)')


@dataclass(frozen=True, slots=True)
class EntityTag:
    opaque: str
    weak: bool = False

    def __str__(self) -> str:
        return f'{"W/" if self.weak else ""}"{self.opaque}"'


class AnyTag:
    """``*``: any current representation."""


ANY = AnyTag()


def parse(header: str) -> list[EntityTag] | AnyTag | None:
    """The tags of an ``If-Match`` / ``If-None-Match`` value, ``ANY`` for ``*``, or None
    if the value is not a list of entity tags (a caller then treats it as matching nothing)."""
    value = header.strip()
    if value == "*":
        return ANY
    tags: list[EntityTag] = []
    position = 0
    while position < len(value):
        match = _TAG.match(value, position)
        if match is None or match.end() == position:
            return None
        tags.append(EntityTag(match.group(2), weak=match.group(1) is not None))
        position = match.end()
    return tags or None


class MalformedIfMatch(BadRequest):
    """``If-Match`` that is not ``*`` nor a list of entity tags: entity tags are quoted
    (``"3"``, ``W/"3"``), so ``If-Match: 3`` is refused as malformed, never taken for a
    mismatch (which would claim the resource changed when the client only left out the
    quotes)."""

    slug, title = "malformed-if-match", "If-Match is not a list of quoted entity tags"


def document_if_match(openapi: dict[str, Any]) -> dict[str, Any]:
    """Every operation that reads ``If-Match`` may answer 400 :class:`MalformedIfMatch`,
    whether or not its route lists it: say so in ``openapi`` (in place; returned)."""
    for item in openapi.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict) or not any(
                parameter.get("in") == "header" and parameter.get("name", "").lower() == "if-match"
                for parameter in operation.get("parameters", [])
            ):
                continue
            bad = operation.setdefault("responses", {}).setdefault(
                "400", {"description": MalformedIfMatch.title, "content": problem_content()}
            )
            if MalformedIfMatch.title not in bad.get("description", ""):
                bad["description"] += f"; {MalformedIfMatch.title}"
    return openapi


def if_match_tags(header: str) -> list[EntityTag] | AnyTag:
    """The tags of an ``If-Match`` value, or ``ANY``; raises :class:`MalformedIfMatch`
    (400) naming the value and the quoted form it probably meant."""
    tags = parse(header)
    if tags is not None:
        return tags
    bare = header.strip()
    suggestion = f'"{bare}"' if bare and _TAG.fullmatch(f'"{bare}"') else '"3"'
    raise MalformedIfMatch(
        f"If-Match {header!r} is not a list of entity tags: entity tags are quoted "
        f"(RFC 9110 section 8.8.3), e.g. If-Match: {suggestion}, or the ETag exactly as "
        "it was read, or *"
    )


def none_match(header: str | None, current: EntityTag) -> bool:
    """Whether an ``If-None-Match`` condition holds (weak comparison): False means the client
    has the current representation, so a GET answers 304."""
    if header is None:
        return True
    tags = parse(header)
    if tags is None:
        return True
    if isinstance(tags, AnyTag):
        return False
    return all(tag.opaque != current.opaque for tag in tags)


def match(header: str, current: EntityTag) -> bool:
    """Whether an ``If-Match`` condition holds (strong comparison: a weak tag never matches;
    ``*`` matches any current representation). A value that is not a list of tags matches
    nothing, so a write based on it is refused rather than let through."""
    tags = parse(header)
    if isinstance(tags, AnyTag):
        return True
    return tags is not None and any(
        not tag.weak and not current.weak and tag.opaque == current.opaque for tag in tags
    )


def not_modified(current: EntityTag, headers: Mapping[str, str] | None = None) -> Response:
    """The 304 answer: no body, and the validator and caching headers a 200 would have
    carried (RFC 9110 section 15.4.5)."""
    return Response(status_code=304, headers={**(headers or {}), "ETag": str(current)})


def _names_version(tag: EntityTag, version: str) -> bool:
    # A versioned resource's tag is "<version>" or "<version>-<digest of what a read shows>";
    # a change is based on a version, whatever figures the client's read happened to show.
    return not tag.weak and (tag.opaque == version or tag.opaque.startswith(version + "-"))


@dataclass(frozen=True, slots=True)
class Preconditions:
    """A request's ``If-Match`` and ``If-None-Match``, checked against a versioned resource.

    Writes take :data:`IfMatchDep`, reads :data:`IfNoneMatchDep`; services never read HTTP
    headers.
    """

    if_match: str | None = None
    if_none_match: str | None = None

    def require_version(
        self,
        version: int | str,
        *,
        what: str,
        required: bool = True,
        changed: type[PreconditionFailed] = PreconditionFailed,
        missing: type[PreconditionRequired] = PreconditionRequired,
    ) -> None:
        """Refuse a change not based on ``version`` of ``what``: 412 (``changed``) if
        ``If-Match`` names another version, 428 (``missing``) if it names none and
        ``required``, 400 (:class:`MalformedIfMatch`) if it is not a list of quoted tags.
        ``*`` matches any version, as RFC 9110 says."""
        current = str(version)
        if self.if_match is None:
            if required:
                raise missing(
                    f"send If-Match with the ETag of your last read of the {what}, so that a "
                    "change made since is not overwritten unseen"
                )
            return
        tags = if_match_tags(self.if_match)
        if isinstance(tags, AnyTag) or any(_names_version(tag, current) for tag in tags):
            return
        raise changed(
            f"the {what} is at version {current}, not the one If-Match names "
            f"({self.if_match}); read it again and reapply your change"
        )

    def unchanged(self, current: EntityTag) -> bool:
        """Whether the client already holds ``current`` (``If-None-Match``): answer
        :func:`not_modified` instead of the body."""
        return not none_match(self.if_none_match, current)


_IF_MATCH = Header(
    alias="If-Match",
    description='the ETag of your last read (or the version in quotes, e.g. `"3"`); a change '
    "based on another version is refused with 412",
)
_IF_NONE_MATCH = Header(
    alias="If-None-Match",
    description="ETags you already hold: 304 Not Modified if one is current",
)


async def if_match(if_match: Annotated[str | None, _IF_MATCH] = None) -> Preconditions:
    return Preconditions(if_match=if_match)


async def if_none_match(
    if_none_match: Annotated[str | None, _IF_NONE_MATCH] = None,
) -> Preconditions:
    return Preconditions(if_none_match=if_none_match)


IfMatchDep = Annotated[Preconditions, Depends(if_match)]
"""A change's precondition: ``If-Match`` only (what the OpenAPI document shows)."""
IfNoneMatchDep = Annotated[Preconditions, Depends(if_none_match)]
"""A read's precondition: ``If-None-Match`` only."""
