"""The gateway's client to the services: one long-lived ``aiohttp`` session, its timeouts,
and the streaming of bodies both ways.

:class:`Upstreams` holds the session (opened and closed by the app's lifespan);
:class:`RequestBody` streams the client's body upstream from ASGI ``receive``, cut at a
limit; :func:`relay` streams the service's response back; :func:`upstream_problem` names
a failure before the service answered as the problem the client gets.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable

import aiohttp
from starlette.types import Message, Receive, Scope, Send
from yarl import URL

from gateway.headers import relayed
from gateway.problems import BadGateway
from gateway.routes import Upstream
from gateway.settings import GatewaySettings
from kit.errors import GatewayTimeout, Problem, ServiceUnavailable

logger = logging.getLogger("fnet.gateway.proxy")


class UpstreamBroken(Exception):
    """A service failed after its response had started; raised to abort the connection."""


class RequestBodyTooLarge(Exception):
    """The client's body grew past its limit while it was read."""


class ClientGone(Exception):
    """The client disconnected while its body was read."""


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


class RequestBody:
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
            raise ClientGone
        chunk: bytes = message.get("body", b"")
        self.received += len(chunk)
        if self.received > self.limit:
            self.too_large = True
            raise RequestBodyTooLarge
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


def target(upstream: Upstream, scope: Scope) -> URL:
    """The service's URL for the request: its base URL, the path unchanged, the query."""
    raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
    # Some ASGI servers put the query in raw_path too; the query comes from query_string.
    target = upstream.base_url + raw_path.partition(b"?")[0].decode("latin-1")
    query: bytes = scope["query_string"]
    if query:
        target += "?" + query.decode("latin-1")
    return URL(target, encoded=True)


def upstream_problem(exc: Exception, upstream: Upstream, timeout: float) -> Problem:
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


async def relay(
    response: aiohttp.ClientResponse,
    body: RequestBody | None,
    receive: Receive,
    send: Send,
    upstream: Upstream,
) -> None:
    """Stream the service's response to the client; raises :class:`UpstreamBroken` if the
    service fails once the response has started."""
    headers = relayed(response.raw_headers)
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
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
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
