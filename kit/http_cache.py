"""Conditional reads: ``ETag`` out, ``If-None-Match`` in, ``304 Not Modified`` back.

RFC 9110 section 13.1.2: a GET's ``If-None-Match`` is compared weakly (``W/"x"`` matches
``"x"``), may list several tags, and ``*`` matches any current representation.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import Response


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether the client's ``If-None-Match`` names ``etag`` (a quoted entity tag)."""
    if not if_none_match:
        return False
    wanted = etag.removeprefix("W/")
    for part in if_none_match.split(","):
        tag = part.strip()
        if tag == "*" or tag.removeprefix("W/") == wanted:
            return True
    return False


def not_modified(etag: str, headers: Mapping[str, str] | None = None) -> Response:
    """The 304 answer: no body, and the validator and caching headers a 200 would have
    carried (RFC 9110 section 15.4.5)."""
    return Response(status_code=304, headers={"ETag": etag, **(headers or {})})
