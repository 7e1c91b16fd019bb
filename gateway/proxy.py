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

This module decides (route, key, limits); :mod:`gateway.headers` says which headers cross
and adds the request id, ``traceparent`` and identity; :mod:`gateway.upstream` is the
client (the aiohttp session, timeouts, streaming both ways).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import aiohttp
from starlette.types import Receive, Scope, Send

from gateway.auth import Authenticator, presented_key
from gateway.headers import ClientHeaders
from gateway.problems import NoSuchApi, send_problem
from gateway.routes import RouteTable, Upstream
from gateway.settings import GatewaySettings
from gateway.upstream import (
    ClientGone,
    RequestBody,
    RequestBodyTooLarge,
    Upstreams,
    relay,
    target,
    upstream_problem,
)
from kit.errors import BadRequest, PayloadTooLarge, Problem

logger = logging.getLogger("fnet.gateway.proxy")


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
            await relay(response, body, receive, send, upstream)

    async def _open(
        self, scope: Scope, receive: Receive, send: Send, upstream: Upstream
    ) -> tuple[aiohttp.ClientResponse, RequestBody | None] | None:
        """Send the request to the service; its response, or None once answered here."""
        path: str = scope["path"]
        client = ClientHeaders.read(scope["headers"])
        method: str = scope["method"]
        # A file import may be larger and take longer than any other request.
        is_import = self.routes.is_import(method, path)
        limit = self.max_import_bytes if is_import else self.max_request_bytes
        try:
            token = (
                None
                if self.routes.is_public(method, path)
                else await self.authenticator.identity_token(
                    presented_key(client.api_key, client.authorization),
                    method=method,
                    path=path,
                    client_ip=scope["client"][0] if scope.get("client") else None,
                )
            )
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
                await body.read_first()
            except RequestBodyTooLarge:
                await send_problem(send, _too_large(limit), path)
                return None
            except ClientGone:
                return None
            # A body that came in one message goes as bytes: no writer task, no chunking.
            data = body.first if body.done else body.rest()

        try:
            session = self.upstreams.session
            response = await session.request(
                method,
                target(upstream, scope),
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
                failure = upstream_problem(exc, upstream, timeout)
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
