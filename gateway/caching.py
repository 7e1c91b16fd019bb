"""Caching of public reads (``routes.PUBLIC_READS`` and ``routes.PUBLIC_TREES``): what is
published for everyone, the same for every caller, so browsers, CDNs and monitors may keep
it for a while and revalidate it cheaply.

A ``200`` answer gets ``Cache-Control`` from :data:`POLICIES` unless the service chose its
own (the transparency report says ``public, max-age=30`` itself). If the service sent no
``ETag``, the gateway makes a strong one from the body (a SHA-256 of it: these answers are
small, and only bodies of a known length up to :data:`MAX_HASHED_BYTES` are read whole;
longer ones, and streams such as the donations CSV, pass through untouched) and answers a
matching ``If-None-Match`` with ``304`` and no body. A service that sends its own ``ETag``
also answers ``If-None-Match`` itself (it reaches it unchanged), so its tags are kept.

Why these ages: a log head is re-signed whenever the sequencer integrates entries, and a
monitor must see a new head within seconds (5 s); an entry of the log, and a consistency
proof between two sizes, never change once served (a day, ``immutable``); the log's
signing keys change on rotation only (5 minutes); the foundation directory changes when the
operator registers or edits a foundation (a minute); reports, campaign lists and
disclosures move with each donation, and a donor should find their gift within half a
minute (30 s, the report's own age).
"""

from __future__ import annotations

import hashlib
import re

import aiohttp
from starlette.types import Receive, Scope, Send

from gateway.headers import relayed
from gateway.routes import Upstream
from gateway.upstream import UpstreamBroken, relay
from kit.etags import EntityTag, none_match

MAX_HASHED_BYTES = 1_048_576

_FOUNDATION_LOG = r"/api/v1/foundations/[0-9A-Fa-f-]{32,36}/log"

# (path pattern, Cache-Control), the first match wins.
POLICIES: tuple[tuple[str, str], ...] = (
    (_FOUNDATION_LOG + r"/head", "public, max-age=5"),
    (_FOUNDATION_LOG + r"/entries/\d+", "public, max-age=86400, immutable"),
    (_FOUNDATION_LOG + r"/proofs/consistency", "public, max-age=86400, immutable"),
    (_FOUNDATION_LOG + r"(?:/.*)?", "public, max-age=5"),
    (r"/api/v1/log/keys", "public, max-age=300"),
    (r"/api/v1/foundations(?:/[0-9A-Fa-f-]{32,36})?", "public, max-age=60"),
)
DEFAULT_POLICY = "public, max-age=30"

# Headers a 304 leaves out: it has no body (RFC 9110 section 15.4.5).
_BODY_HEADERS = frozenset({b"content-length", b"content-type", b"content-encoding"})


class PublicCache:
    def __init__(self) -> None:
        self._policies = tuple((re.compile(pattern), value.encode()) for pattern, value in POLICIES)
        self._default = DEFAULT_POLICY.encode()

    def cache_control(self, path: str) -> bytes:
        for pattern, value in self._policies:
            if pattern.fullmatch(path):
                return value
        return self._default

    async def relay(
        self,
        response: aiohttp.ClientResponse,
        scope: Scope,
        receive: Receive,
        send: Send,
        upstream: Upstream,
        *,
        extra: list[tuple[bytes, bytes]],
    ) -> None:
        """Relay a public read's answer with its caching headers, or answer 304.

        The service was asked with a GET also for a HEAD (:func:`upstream_method`), so that
        a HEAD gets the ETag its GET would; the body is then read (hashed) but not sent."""
        head = scope["method"] == "HEAD"
        if response.status != 200:
            if head:
                await _headers_only(response, send, relayed(response.raw_headers) + extra)
            else:
                await relay(response, None, receive, send, upstream, extra=extra)
            return
        defaults = ((b"cache-control", self.cache_control(scope["path"])),)
        length = response.content_length
        if "ETag" in response.headers or length is None or length > MAX_HASHED_BYTES:
            if head:
                headers = relayed(response.raw_headers)
                if not any(name == b"cache-control" for name, _ in headers):
                    headers += defaults
                await _headers_only(response, send, headers + extra)
            else:
                await relay(response, None, receive, send, upstream, extra=extra, defaults=defaults)
            return
        try:
            body = await response.read()
        except (TimeoutError, aiohttp.ClientError) as exc:
            response.close()
            raise UpstreamBroken(f"the {upstream.service} service failed mid-response") from exc
        response.release()
        tag = EntityTag(hashlib.sha256(body).hexdigest()[:32])
        headers = relayed(response.raw_headers)
        if not any(name == b"cache-control" for name, _ in headers):
            headers += defaults
        headers.append((b"etag", str(tag).encode()))
        headers += extra
        if not none_match(_if_none_match(scope), tag):
            headers = [header for header in headers if header[0] not in _BODY_HEADERS]
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send(
            {"type": "http.response.body", "body": b"" if head else body, "more_body": False}
        )


def upstream_method(method: str) -> str:
    """The method a public read is sent upstream with: a HEAD as a GET (see
    :meth:`PublicCache.relay`)."""
    return "GET" if method == "HEAD" else method


async def _headers_only(
    response: aiohttp.ClientResponse, send: Send, headers: list[tuple[bytes, bytes]]
) -> None:
    """Answer a HEAD with the GET's headers; the body is not read (the connection is
    closed instead: it may be long, or endless)."""
    response.close()
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": b"", "more_body": False})


def _if_none_match(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"if-none-match":
            return str(value.decode("latin-1"))
    return None
