"""Entity tags (RFC 9110 section 8.8.3) and the lists that ``If-Match`` and
``If-None-Match`` carry.

The app decides what its tags mean; this module only reads and writes their syntax and
compares them the two ways the RFC names: weakly for ``If-None-Match``, strongly for
``If-Match``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
