"""Entity tags (RFC 9110 section 8.8.3), the lists that ``If-Match`` and ``If-None-Match``
carry, and the ``304 Not Modified`` answer.

The app decides what its tags mean; this module only reads and writes their syntax and
compares them the two ways the RFC names: weakly for ``If-None-Match`` (:func:`none_match`),
strongly for ``If-Match`` (:func:`match`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from starlette.responses import Response

from kit.errors import BadRequest

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


def checked_if_match(header: str) -> str:
    """``header`` itself, once :func:`if_match_tags` found it well-formed (else 400)."""
    if_match_tags(header)
    return header


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
