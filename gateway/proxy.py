"""The proxy path: every public ``/api/...`` request goes through here.

It is pure ASGI on one long-lived ``aiohttp`` client session (see "Speed of the gateway" in
the architecture notes): no Starlette request objects, no buffering. A request is

1. matched to a service by the route table (unknown path: 404);
2. authenticated by its API key or a person's access token (none or a bad one: 401) and
   authorised by the scopes its route needs (:mod:`gateway.scopes`; lacking one: 403),
   which yields the identity token forwarded in ``X-Fnet-Identity``, in place of anything
   the client sent there;
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

Each request counts against a rate limit (:mod:`gateway.limits`): its principal's, or for a
public read its client address's (429 past it). A service whose circuit breaker is open is
answered 503 at once; a request the service did not answer, or answered 503, is sent again
when that is safe (:mod:`gateway.upstream`). A service's 500, and a 5xx that is not a
problem document, reach the client as the gateway's own problem, without the service's
details. Public reads get ``Cache-Control`` and, if the service sent none, a strong
``ETag`` with ``304`` answers (:mod:`gateway.caching`); every other answer gets
``Cache-Control: no-store`` unless the service chose otherwise.

This module decides (route, key, limits); :mod:`gateway.headers` says which headers cross
and adds the request id, ``traceparent`` and identity; :mod:`gateway.upstream` is the
client (the aiohttp session, timeouts, retries, breakers, streaming both ways).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import aiohttp
from starlette.types import Receive, Scope, Send

from gateway.auth import Authenticator, presented_key
from gateway.caching import PublicCache, upstream_method
from gateway.headers import ClientHeaders
from gateway.limits import RateLimits
from gateway.problems import NoSuchApi, send_problem
from gateway.routes import RouteTable, Upstream
from gateway.settings import GatewaySettings
from gateway.upstream import (
    ClientGone,
    RequestBody,
    RequestBodyTooLarge,
    Upstreams,
    answer_failure,
    hidden_failure,
    relay,
    target,
    upstream_problem,
)
from kit.errors import BadRequest, PayloadTooLarge, Problem

logger = logging.getLogger("fnet.gateway.proxy")

# An authenticated answer is one caller's data: no cache may keep it unless the service
# says otherwise.
_PRIVATE = ((b"cache-control", b"no-store"),)


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"the request body may be at most {limit} bytes")


def _is_dot_segment_path(path: str) -> bool:
    # "/api/v1/campaigns/../../metrics" must not reach another path of the service.
    return any(segment in (".", "..") for segment in path.split("/"))


class Proxy:
    """The ASGI app that forwards ``/api/...`` requests to the services."""

    def __init__(
        self,
        routes: RouteTable,
        authenticator: Authenticator,
        upstreams: Upstreams,
        settings: GatewaySettings,
        limits: RateLimits,
    ) -> None:
        self.routes = routes
        self.authenticator = authenticator
        self.upstreams = upstreams
        self.limits = limits
        self.cache = PublicCache()
        self.max_request_bytes = settings.max_request_bytes
        self.max_import_bytes = settings.max_import_bytes

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
        if opened is None:
            return
        response, body, public, extra = opened
        if hidden_failure(response):
            await answer_failure(response, send, upstream, path, extra)
        elif public:
            await self.cache.relay(response, scope, receive, send, upstream, extra=extra)
        else:
            await relay(response, body, receive, send, upstream, extra=extra, defaults=_PRIVATE)

    async def _open(
        self, scope: Scope, receive: Receive, send: Send, upstream: Upstream
    ) -> tuple[aiohttp.ClientResponse, RequestBody | None, bool, list[tuple[bytes, bytes]]] | None:
        """Send the request to the service; its response, whether it is a public read, and
        the rate-limit headers for the answer; or None once answered here."""
        path: str = scope["path"]
        client = ClientHeaders.read(scope["headers"])
        method: str = scope["method"]
        # A file import may be larger and take longer than any other request.
        is_import = self.routes.is_import(method, path)
        limit = self.max_import_bytes if is_import else self.max_request_bytes
        public = self.routes.is_public(method, path)
        try:
            if public:
                token = None
                extra = await self.limits.check_address(scope)
            else:
                client_ip = scope["client"][0] if scope.get("client") else None
                caller = await self.authenticator.authenticate(
                    presented_key(client.api_key, client.authorization), client_ip=client_ip
                )
                # The route's scopes first: a refused request does not count against the
                # caller's limit.
                self.authenticator.authorize(caller, method, path, client_ip=client_ip)
                extra = await self.limits.check_principal(caller.principal)
                token = self.authenticator.tokens.token_for(caller.principal)
            length = self._body_length(client, limit)
        except Problem as refusal:
            await send_problem(send, refusal, path)
            return None
        headers = client.forwarded(scope, token, length)

        body: RequestBody | None = None
        data: bytes | AsyncIterator[bytes] | None = None
        if client.chunked or (length is not None and length > 0):
            body = RequestBody(receive, limit)
            try:
                await body.read_first(length)
            except RequestBodyTooLarge:
                await send_problem(send, _too_large(limit), path)
                return None
            except ClientGone:
                return None
            # A body that came in one message goes as bytes: no writer task, no chunking.
            data = body.first if body.done else body.rest()

        try:
            response = await self.upstreams.request(
                upstream,
                upstream_method(method) if public else method,
                target(upstream, scope),
                headers,
                data,
                long=is_import,
            )
        except Exception as exc:
            if body is not None and body.too_large:
                await send_problem(send, _too_large(limit), path)
            elif body is None or not body.client_gone:  # else nobody is left to answer
                timeout = self.upstreams.wait_seconds(upstream, is_import)
                failure = upstream_problem(exc, upstream, timeout)
                for name, value in extra:
                    failure.headers[name.decode("latin-1")] = value.decode("latin-1")
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
        return response, body, public, extra

    def _body_length(self, client: ClientHeaders, limit: int) -> int | None:
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
