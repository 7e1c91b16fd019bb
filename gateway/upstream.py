"""The gateway's client to the services: one long-lived ``aiohttp`` session, its timeouts,
retries and circuit breakers, and the streaming of bodies both ways.

:class:`Upstreams` holds the session (opened and closed by the app's lifespan) and sends a
request (:meth:`Upstreams.request`): through the service's circuit breaker
(:mod:`gateway.breaker`), with the service's timeouts, again after a failure before the
service answered or after its 503 when that is safe (:func:`replayable`);
:class:`RequestBody` streams the client's body upstream from ASGI ``receive``, cut at a
limit; :func:`relay` streams the service's response back, except a failure's body, which
is never shown (:func:`hidden_failure`); :func:`upstream_problem` names a failure before
the service answered as the problem the client gets.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator, Callable, Iterable

import aiohttp
from starlette.types import Message, Receive, Scope, Send
from yarl import URL

from gateway.breaker import CircuitBreaker
from gateway.headers import relayed
from gateway.observability import GatewayMetrics
from gateway.problems import BadGateway, send_problem
from gateway.routes import SERVICES, Upstream
from gateway.settings import GatewaySettings
from kit.errors import PROBLEM_CONTENT_TYPE, GatewayTimeout, Problem, ServiceUnavailable
from kit.idempotency import IN_PROGRESS_WAIT_SECONDS

logger = logging.getLogger("fnet.gateway.proxy")


class UpstreamBroken(Exception):
    """A service failed after its response had started; raised to abort the connection."""


class RequestBodyTooLarge(Exception):
    """The client's body grew past its limit while it was read."""


class ClientGone(Exception):
    """The client disconnected while its body was read."""


class CircuitOpen(ServiceUnavailable):
    """The service's breaker is open: answered at once, without calling it."""

    def __init__(self, service: str, retry_after: int) -> None:
        super().__init__(
            f"the {service} service is failing; the gateway does not call it for "
            f"{retry_after} s: retry then",
            headers={"Retry-After": str(retry_after)},
        )


# Requests that are safe to send again (RFC 9110 section 9.2.2), besides those with an
# Idempotency-Key.
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
_IDEMPOTENCY_KEY = "idempotency-key"


def replayable(method: str, headers: Iterable[tuple[str, str]], data: object) -> bool:
    """Whether a request may be sent again: its body is still held (not a stream already
    consumed), and it is a read, or a write the service deduplicates by its
    ``Idempotency-Key`` (a replay answers what the first attempt did)."""
    if data is not None and not isinstance(data, bytes):
        return False
    return method in _SAFE or any(name == _IDEMPOTENCY_KEY for name, _ in headers)


def failure_kind(exc: BaseException) -> str:
    """How a request failed before the service answered, as metrics and retries name it:
    ``connect`` (refused: nothing was sent), ``timeout``, ``reset`` (the connection broke
    before an answer), ``invalid`` (the answer is not HTTP)."""
    if isinstance(exc, (aiohttp.ServerTimeoutError, asyncio.TimeoutError)):
        return "timeout"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return "connect"
    if isinstance(exc, (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError)):
        return "reset"
    return "invalid"


# Failures after which the request never reached the service, or reached it without an
# answer on a connection that broke: a replayable request may go again.
_RETRIED_FAILURES = frozenset({"connect", "reset"})


class Upstreams:
    """The one client session to every service, opened and closed by the app's lifespan,
    with each service's timeouts and circuit breaker."""

    def __init__(self, settings: GatewaySettings, metrics: GatewayMetrics) -> None:
        self.settings = settings
        self.metrics = metrics
        self._session: aiohttp.ClientSession | None = None
        # A file import's and a long poll's: the session's, with a longer wait for the answer.
        self.import_timeout = _timeout(settings, settings.import_timeout_seconds)
        self.timeout_seconds = {
            service: settings.service_timeout_seconds.get(
                service, settings.upstream_timeout_seconds
            )
            for service in SERVICES
        }
        self.timeouts = {
            service: _timeout(settings, seconds)
            for service, seconds in self.timeout_seconds.items()
        }
        self.retries = settings.upstream_retries
        self.backoff = settings.upstream_retry_backoff_seconds
        self.breakers = {
            service: CircuitBreaker(
                service,
                failures=settings.breaker_failures,
                open_seconds=settings.breaker_open_seconds,
                # A probe reports within its timeouts, or it was lost (its client left).
                probe_seconds=self.timeout_seconds[service]
                + settings.upstream_connect_timeout_seconds,
                on_change=metrics.services[service].circuit,
            )
            for service in SERVICES
        }
        for service, seconds in self.timeout_seconds.items():
            if seconds <= IN_PROGRESS_WAIT_SECONDS + settings.db_pool_timeout_seconds:
                logger.warning(
                    "the %s service's timeout (%g s) is not above its longest documented "
                    "wait (%g s for an Idempotency-Key in progress, after %g s for a database "
                    "connection): such answers will be cut off by a 504",
                    service,
                    seconds,
                    IN_PROGRESS_WAIT_SECONDS,
                    settings.db_pool_timeout_seconds,
                )

    def wait_seconds(self, upstream: Upstream, long: bool) -> float:
        """The longest wait for the service's answer: what a 504 says it waited."""
        if long:
            return self.settings.import_timeout_seconds
        return self.timeout_seconds[upstream.service]

    async def request(
        self,
        upstream: Upstream,
        method: str,
        url: URL,
        headers: list[tuple[str, str]],
        data: bytes | AsyncIterator[bytes] | None,
        *,
        long: bool = False,
    ) -> aiohttp.ClientResponse:
        """Send the request to the service and return its response (headers read, body
        not). Raises :class:`CircuitOpen` when its breaker refuses, else what aiohttp
        raised on the last attempt (see :func:`upstream_problem`). ``long``: a file
        import or long poll, with ``import_timeout_seconds``."""
        service = upstream.service
        breaker = self.breakers[service]
        series = self.metrics.services[service]
        timeout = self.import_timeout if long else self.timeouts[service]
        retry = self.retries > 0 and replayable(method, headers, data)
        attempt = 0
        while True:
            if not breaker.allow():
                series.outcomes["open"].inc()
                raise CircuitOpen(service, breaker.retry_after())
            started = time.perf_counter()
            try:
                response = await self.session.request(
                    method, url, headers=headers, data=data, allow_redirects=False, timeout=timeout
                )
            except (TimeoutError, aiohttp.ClientError) as exc:
                kind = failure_kind(exc)
                series.outcomes[kind].inc()
                breaker.failed()
                if not (retry and kind in _RETRIED_FAILURES and attempt < self.retries):
                    raise
            else:
                series.duration.observe(time.perf_counter() - started)
                status = response.status
                series.status(status)
                if status != 503:
                    breaker.succeeded()
                    return response
                # The service says it cannot serve now (overloaded, a dependency down).
                breaker.failed()
                if not (retry and attempt < self.retries):
                    return response
                await _discard(response)
            attempt += 1
            series.retries.inc()
            await asyncio.sleep(self.backoff * 2 ** (attempt - 1) * random.uniform(0.5, 1.0))

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


# A body of a declared length up to this is held whole before it is sent: it costs no
# more memory than the limit allows, and a retry can send it again.
HELD_BODY_BYTES = 65_536


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

    async def read_first(self, declared: int | None = None) -> None:
        """Read the first message, which often holds the whole body; a declared length up
        to :data:`HELD_BODY_BYTES` is read whole, so that the request can be sent again
        (:func:`replayable`)."""
        self.first = await self._next()
        if not self.done and declared is not None and declared <= HELD_BODY_BYTES:
            chunks = [self.first]
            while not self.done:
                chunks.append(await self._next())
            self.first = b"".join(chunks)

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


async def _discard(response: aiohttp.ClientResponse) -> None:
    """Drop an answer that will not be relayed (a 503 about to be retried)."""
    try:
        await response.read()
    except (TimeoutError, aiohttp.ClientError):
        response.close()
    else:
        response.release()


def upstream_problem(exc: Exception, upstream: Upstream, timeout: float) -> Problem:
    if isinstance(exc, Problem):  # the breaker's refusal
        return exc
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


# What of a hidden failure's body is read (and logged, never shown).
_FAILURE_BODY_LOGGED = 2048


class UpstreamFailed(Problem):
    """A service's 500, shown without its details."""


def hidden_failure(response: aiohttp.ClientResponse) -> bool:
    """Whether the client must not see the service's answer as it is: a 500 (a bug: its
    body may name internals, whatever the service meant to send), or another 5xx that is
    not a problem document (a proxy's or server's error page)."""
    status = response.status
    if status < 500:
        return False
    media_type = response.headers.get("Content-Type", "").partition(";")[0].strip().lower()
    return status == 500 or media_type != PROBLEM_CONTENT_TYPE


async def answer_failure(
    response: aiohttp.ClientResponse,
    send: Send,
    upstream: Upstream,
    path: str,
    extra: list[tuple[bytes, bytes]],
) -> None:
    """Answer a :func:`hidden_failure` with a problem of the gateway's own that names the
    service, and log what the service said (the request id ties the two together)."""
    status = response.status
    try:
        said = (await response.content.read(_FAILURE_BODY_LOGGED)).decode("utf-8", "replace")
    except (TimeoutError, aiohttp.ClientError) as exc:
        said = f"(unreadable: {exc!r})"
    response.close()
    logger.error(
        "upstream failed",
        extra={"service": upstream.service, "status": status, "upstream_body": said},
    )
    problem: Problem
    detail = (
        f"the {upstream.service} service failed; the error has been logged under the "
        "X-Request-ID of this answer"
    )
    if status == 503:
        problem = ServiceUnavailable(detail, headers={"Retry-After": "1"})
    elif status == 504:
        problem = GatewayTimeout(detail)
    elif status == 500:
        problem = UpstreamFailed(detail)
    else:
        problem = BadGateway(detail)
    for name, value in extra:
        problem.headers[name.decode("latin-1")] = value.decode("latin-1")
    await send_problem(send, problem, path)


async def relay(
    response: aiohttp.ClientResponse,
    body: RequestBody | None,
    receive: Receive,
    send: Send,
    upstream: Upstream,
    *,
    extra: list[tuple[bytes, bytes]] | None = None,
    defaults: Iterable[tuple[bytes, bytes]] = (),
) -> None:
    """Stream the service's response to the client; raises :class:`UpstreamBroken` if the
    service fails once the response has started. ``extra`` headers are added (rate-limit
    state); ``defaults`` are added unless the service sent a header of that name."""
    headers = relayed(response.raw_headers)
    if defaults:
        names = {name for name, _ in headers}
        headers += [header for header in defaults if header[0] not in names]
    if extra:
        headers += extra
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
