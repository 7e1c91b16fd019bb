"""The proxy path: every public ``/api/...`` request goes through here.

It is pure ASGI on one long-lived ``aiohttp`` client session (see "Speed of the gateway" in
the architecture notes): no Starlette request objects, no buffering. A request is

1. matched to a service by the route table (unknown path: 404);
2. authenticated by its API key (no key or a bad one: 401), which yields the identity
   token forwarded in ``X-Fnet-Identity``, in place of anything the client sent there;
   a GET or HEAD of a public read (``routes.PUBLIC_READS``) needs no key, and any key sent is
   not checked: it goes on with no identity at all;
3. forwarded with its body streamed (over ``max_request_bytes``, or ``max_import_bytes``
   for a file import of ``routes.IMPORTS``: 413), without hop-by-hop headers or the
   client's credentials, and with ``X-Request-ID`` and ``traceparent``;
4. answered with the service's response streamed back.

Failures before the service answers are problem+json: 503 ``service-unavailable`` when it
cannot be reached (refused, reset, connect timeout), 504 ``gateway-timeout`` when its
response headers do not come within ``upstream_timeout_seconds`` (``import_timeout_seconds``
for a file import), 502 ``bad-gateway`` when its answer is not HTTP. A failure after the
response has started cannot be reported any more; the connection is then aborted, so the
client sees a truncated response, never a complete-looking wrong one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field

import aiohttp
from starlette.types import Message, Receive, Scope, Send
from yarl import URL

from gateway.auth import Authenticator, presented_key
from gateway.problems import BadGateway, NoSuchApi, send_problem
from gateway.routes import RouteTable, Upstream
from gateway.settings import GatewaySettings
from kit.context import outgoing_headers
from kit.errors import (
    BadRequest,
    GatewayTimeout,
    PayloadTooLarge,
    Problem,
    ServiceUnavailable,
)
from kit.identity import IDENTITY_HEADER

logger = logging.getLogger("fnet.gateway.proxy")

# RFC 9110 section 7.6.1: meaningful for one connection only, never forwarded.
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"transfer-encoding",
        b"te",
        b"trailer",
        b"upgrade",
        b"proxy-connection",
        b"proxy-authenticate",
        b"proxy-authorization",
    }
)

# Request headers the proxy does not copy: hop-by-hop ones, the client's credentials and
# any identity it claims, and those the gateway sets itself. Some are read on the way.
_NOT_COPIED = HOP_BY_HOP | {
    b"host",
    b"expect",
    b"content-length",
    IDENTITY_HEADER.encode(),
    b"x-api-key",
    b"authorization",
    b"x-request-id",
    b"traceparent",
    b"x-forwarded-for",
    b"x-forwarded-proto",
    b"x-forwarded-host",
}

# Response headers not relayed: hop-by-hop ones, and those the gateway's server writes
# itself (uvicorn adds its own Date and Server; a copy would duplicate them).
_NOT_RELAYED = HOP_BY_HOP | {b"date", b"server"}


class UpstreamBroken(Exception):
    """A service failed after its response had started; raised to abort the connection."""


class _RequestBodyTooLarge(Exception):
    pass


class _ClientGone(Exception):
    pass


class Upstreams:
    """The one client session to every service, opened and closed by the app's lifespan."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self._session: aiohttp.ClientSession | None = None
        # A file import's: the session's, with a longer wait for the answer.
        self.import_timeout = _timeout(settings, settings.import_timeout_seconds)

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("the gateway's upstream session is not open (lifespan not run)")
        return self._session

    async def open(self) -> None:
        settings = self.settings
        connector = aiohttp.TCPConnector(
            limit=settings.upstream_max_connections,
            limit_per_host=0,
            keepalive_timeout=settings.upstream_keepalive_seconds,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=_timeout(settings, settings.upstream_timeout_seconds),
            # Cookies belong to the clients, not to the gateway: never store or add any.
            cookie_jar=aiohttp.DummyCookieJar(),
            # Bodies pass through as the service encoded them.
            auto_decompress=False,
            skip_auto_headers=("Accept", "Accept-Encoding", "User-Agent", "Content-Type"),
            trust_env=False,
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _timeout(settings: GatewaySettings, read_seconds: float) -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(
        total=None,
        # Waiting for a free pooled connection and connecting, together.
        connect=settings.upstream_timeout_seconds,
        sock_connect=settings.upstream_connect_timeout_seconds,
        # To the response headers (counted once the request is sent), and then between
        # two reads of the body.
        sock_read=read_seconds,
    )


class _RequestBody:
    """The client's body as an async iterator over ASGI ``receive``, cut at ``limit``."""

    __slots__ = ("client_gone", "done", "first", "limit", "receive", "received", "too_large")

    def __init__(self, receive: Receive, limit: int) -> None:
        self.receive = receive
        self.limit = limit
        self.received = 0
        self.first = b""
        self.done = False
        self.too_large = False
        self.client_gone = False

    async def read_first(self) -> None:
        """Read the first message, which often holds the whole body."""
        self.first = await self._next()

    async def _next(self) -> bytes:
        message = await self.receive()
        if message["type"] == "http.disconnect":
            self.client_gone = True
            raise _ClientGone
        chunk: bytes = message.get("body", b"")
        self.received += len(chunk)
        if self.received > self.limit:
            self.too_large = True
            raise _RequestBodyTooLarge
        if not message.get("more_body", False):
            self.done = True
        return chunk

    async def rest(self) -> AsyncIterator[bytes]:
        if self.first:
            yield self.first
        while not self.done:
            chunk = await self._next()
            if chunk:
                yield chunk


@dataclass(slots=True)
class _ClientHeaders:
    """The client's headers, split into those copied upstream and those read here."""

    copied: list[tuple[str, str]] = field(default_factory=list)
    api_key: bytes | None = None
    authorization: bytes | None = None
    content_length: bytes | None = None
    chunked: bool = False
    connection: bytes | None = None
    host: bytes | None = None
    forwarded_for: bytes | None = None

    @classmethod
    def read(cls, raw: Iterable[tuple[bytes, bytes]]) -> _ClientHeaders:
        headers = cls()
        copied = headers.copied
        for name, value in raw:
            if name in _NOT_COPIED:
                if name == b"x-api-key":
                    headers.api_key = value
                elif name == b"authorization":
                    headers.authorization = value
                elif name == b"content-length":
                    headers.content_length = value
                elif name == b"transfer-encoding":
                    headers.chunked = True
                elif name == b"connection":
                    headers.connection = value
                elif name == b"host":
                    headers.host = value
                elif name == b"x-forwarded-for":
                    headers.forwarded_for = value
            elif not name.startswith(b"proxy-"):
                copied.append((name.decode("latin-1"), value.decode("latin-1")))
        return headers

    def forwarded(
        self, scope: Scope, token: str | None, length: int | None
    ) -> list[tuple[str, str]]:
        """The headers sent to the service; no identity header without a ``token``."""
        headers = self.copied
        if self.connection is not None:
            # Connection may name further headers that are for this hop only.
            named = {t.strip().lower() for t in self.connection.decode("latin-1").split(",")}
            named -= {"close", "keep-alive", ""}
            if named:
                headers = [h for h in headers if h[0] not in named]
        if length is not None:
            headers.append(("content-length", str(length)))
        headers.extend(outgoing_headers().items())
        if token is not None:
            headers.append((IDENTITY_HEADER, token))
        client = scope.get("client")
        if client:
            prior = self.forwarded_for.decode("latin-1") if self.forwarded_for else ""
            headers.append(("x-forwarded-for", f"{prior}, {client[0]}" if prior else client[0]))
        headers.append(("x-forwarded-proto", scope.get("scheme", "http")))
        if self.host is not None:
            headers.append(("x-forwarded-host", self.host.decode("latin-1")))
        return headers


def _target(upstream: Upstream, scope: Scope) -> URL:
    """The service's URL for the request: its base URL, the path unchanged, the query."""
    raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
    # Some ASGI servers put the query in raw_path too; the query comes from query_string.
    target = upstream.base_url + raw_path.partition(b"?")[0].decode("latin-1")
    query: bytes = scope["query_string"]
    if query:
        target += "?" + query.decode("latin-1")
    return URL(target, encoded=True)


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"the request body may be at most {limit} bytes")


def _is_dot_segment_path(path: str) -> bool:
    # "/api/v1/campaigns/../../metrics" must not reach another path of the service.
    return any(segment in (".", "..") for segment in path.split("/"))


def _upstream_problem(exc: Exception, upstream: Upstream, timeout: float) -> Problem:
    service = upstream.service
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return ServiceUnavailable(
            f"the {service} service did not accept a connection in time; retry shortly",
            headers={"Retry-After": "1"},
        )
    if isinstance(exc, (aiohttp.ServerTimeoutError, asyncio.TimeoutError)):
        return GatewayTimeout(f"the {service} service did not answer within {timeout:g} s")
    if isinstance(exc, aiohttp.ClientConnectionError):
        return ServiceUnavailable(
            f"the {service} service is unreachable; retry shortly",
            headers={"Retry-After": "1"},
        )
    return BadGateway(f"the {service} service sent an answer that is not valid HTTP")


class Proxy:
    """The ASGI app that forwards ``/api/...`` requests to the services."""

    def __init__(
        self,
        routes: RouteTable,
        authenticator: Authenticator,
        upstreams: Upstreams,
        settings: GatewaySettings,
    ) -> None:
        self.routes = routes
        self.authenticator = authenticator
        self.upstreams = upstreams
        self.max_request_bytes = settings.max_request_bytes
        self.upstream_timeout = settings.upstream_timeout_seconds
        self.max_import_bytes = settings.max_import_bytes
        self.import_timeout = settings.import_timeout_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        upstream = self.routes.match(path)
        if upstream is None or ("/." in path and _is_dot_segment_path(path)):
            scope["fnet_route"] = "unmatched"
            await send_problem(send, NoSuchApi(f"no API at {path}"), path)
            return
        scope["fnet_route"] = upstream.prefix
        try:
            opened = await self._open(scope, receive, send, upstream)
        except Exception as exc:
            logger.exception("proxy failure", exc_info=exc)
            await send_problem(
                send, Problem("An unexpected error occurred; it has been logged."), path
            )
            return
        if opened is not None:
            response, body = opened
            await self._relay(response, body, receive, send, upstream)

    async def _open(
        self, scope: Scope, receive: Receive, send: Send, upstream: Upstream
    ) -> tuple[aiohttp.ClientResponse, _RequestBody | None] | None:
        """Send the request to the service; its response, or None once answered here."""
        path: str = scope["path"]
        client = _ClientHeaders.read(scope["headers"])
        method: str = scope["method"]
        # A file import may be larger and take longer than any other request.
        is_import = self.routes.is_import(method, path)
        limit = self.max_import_bytes if is_import else self.max_request_bytes
        try:
            token = (
                None
                if self.routes.is_public(method, path)
                else await self.authenticator.identity_token(
                    presented_key(client.api_key, client.authorization)
                )
            )
            length = self._body_length(client, limit)
        except Problem as refusal:
            await send_problem(send, refusal, path)
            return None
        headers = client.forwarded(scope, token, length)

        body: _RequestBody | None = None
        data: bytes | AsyncIterator[bytes] | None = None
        if client.chunked or (length is not None and length > 0):
            body = _RequestBody(receive, limit)
            try:
                await body.read_first()
            except _RequestBodyTooLarge:
                await send_problem(send, _too_large(limit), path)
                return None
            except _ClientGone:
                return None
            # A body that came in one message goes as bytes: no writer task, no chunking.
            data = body.first if body.done else body.rest()

        try:
            session = self.upstreams.session
            response = await session.request(
                method,
                _target(upstream, scope),
                headers=headers,
                data=data,
                allow_redirects=False,
                timeout=self.upstreams.import_timeout if is_import else session.timeout,
            )
        except Exception as exc:
            if body is not None and body.too_large:
                await send_problem(send, _too_large(limit), path)
            elif body is None or not body.client_gone:  # else nobody is left to answer
                timeout = self.import_timeout if is_import else self.upstream_timeout
                failure = _upstream_problem(exc, upstream, timeout)
                logger.warning(
                    "upstream request failed",
                    extra={
                        "service": upstream.service,
                        "status": failure.status,
                        "error": repr(exc),
                    },
                )
                await send_problem(send, failure, path)
            return None
        return response, body

    def _body_length(self, client: _ClientHeaders, limit: int) -> int | None:
        """The declared body length, checked against ``limit``; None if not declared."""
        if client.content_length is None or client.chunked:
            return None
        try:
            length = int(client.content_length)
        except ValueError:
            length = -1
        if length < 0:
            raise BadRequest("Content-Length is not a number")
        if length > limit:
            raise _too_large(limit)
        return length

    async def _relay(
        self,
        response: aiohttp.ClientResponse,
        body: _RequestBody | None,
        receive: Receive,
        send: Send,
        upstream: Upstream,
    ) -> None:
        """Stream the service's response to the client."""
        headers = []
        for name, value in response.raw_headers:
            lowered = name.lower()
            if lowered not in _NOT_RELAYED and not lowered.startswith(b"proxy-"):
                headers.append((lowered, value))
        no_body = response.method == "HEAD" or response.status in (204, 304)
        remaining = 0 if no_body else response.content_length

        watcher: asyncio.Future[None] | None = None
        finished = False
        if remaining is None and (body is None or body.done):
            # A response of unknown length may be endless (a stream of events): stop
            # reading it when the client goes away. The request body is fully read, so
            # nothing else is receiving.
            watcher = asyncio.ensure_future(_wait_for_disconnect(receive))
            watcher.add_done_callback(_closer(response, lambda: finished))

        stream = response.content
        try:
            await send(
                {"type": "http.response.start", "status": response.status, "headers": headers}
            )
            if remaining == 0:
                finished = True
                await send({"type": "http.response.body", "body": b"", "more_body": False})
            while not finished:
                chunk = await stream.readany()
                if remaining is not None:
                    remaining -= len(chunk)
                # The last piece of a known length goes with more_body=False: one message
                # fewer than an empty closing one.
                finished = not chunk or (remaining is not None and remaining <= 0)
                await send({"type": "http.response.body", "body": chunk, "more_body": not finished})
        except (TimeoutError, aiohttp.ClientError) as exc:
            response.close()
            if watcher is not None and watcher.done() and not watcher.cancelled():
                return  # the client left; closing the upstream response ended the read
            logger.warning(
                "upstream failed mid-response",
                extra={"service": upstream.service, "error": repr(exc)},
            )
            raise UpstreamBroken(f"the {upstream.service} service failed mid-response") from exc
        except BaseException:
            # Cancelled, or the client's side failed: the connection cannot be reused.
            response.close()
            raise
        finally:
            if watcher is not None:
                watcher.cancel()
        response.release()


async def _wait_for_disconnect(receive: Receive) -> None:
    message: Message = await receive()
    while message["type"] != "http.disconnect":
        message = await receive()


def _closer(
    response: aiohttp.ClientResponse, finished: Callable[[], bool]
) -> Callable[[asyncio.Future[None]], None]:
    def close_if_client_left(watcher: asyncio.Future[None]) -> None:
        if not watcher.cancelled() and watcher.exception() is None and not finished():
            response.close()

    return close_if_client_left
