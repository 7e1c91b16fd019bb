"""What every answer of the gateway carries, and the browser's CORS preflights.

:class:`EdgeMiddleware` (pure ASGI: it wraps the proxy path too) adds

- security headers, unless the answer has its own: ``X-Content-Type-Options: nosniff``,
  ``Referrer-Policy: no-referrer``, ``X-Frame-Options: DENY``, a ``Content-Security-Policy``
  that lets an API answer load nothing and be framed nowhere (``/docs`` gets one that allows
  its own scripts and styles, from the gateway only), and ``Strict-Transport-Security``
  when ``hsts_seconds`` is set;
- CORS for the origins of ``cors_allowed_origins``: ``Access-Control-Allow-Origin`` (and
  ``-Expose-Headers``, so a page can read ``ETag``, ``Location``, ``Retry-After``, the
  rate-limit headers and the request id) on answers to an allowed origin, nothing for any
  other; ``Vary: Origin`` whenever the answer depends on it.

A preflight (``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method``) never
reaches a service and needs no key: a browser sends none with it. An allowed origin gets
``204`` with the methods and request headers the API takes; another gets ``204`` with no
CORS header at all, which the browser reads as a refusal.

If anything below it fails before answering, the client gets a generic 500 problem (the
exception is logged with the request id), never a trace or a server's error page.
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.problems import send_problem
from gateway.settings import GatewaySettings
from kit.errors import Problem

logger = logging.getLogger("fnet.gateway.edge")

Headers = list[tuple[bytes, bytes]]

API_CSP = b"default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# Swagger UI: its bundle, its stylesheet and init script from /docs/assets, the document
# from /openapi.json, inline styles (it sets style attributes), images as data: URIs.
DOCS_CSP = (
    b"default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    b"img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    b"form-action 'none'"
)

ALLOWED_METHODS = b"GET, HEAD, POST, PUT, PATCH, DELETE"
# What a browser page sends to the API besides the CORS-safelisted headers.
ALLOWED_HEADERS = (
    b"Authorization, X-API-Key, Content-Type, Idempotency-Key, If-Match, If-None-Match, "
    b"X-Request-ID, traceparent, Accept-Language"
)
EXPOSED_HEADERS = (
    b"ETag, Location, Retry-After, RateLimit, RateLimit-Policy, X-Request-ID, "
    b"Idempotent-Replayed, Content-Disposition"
)


class EdgeMiddleware:
    def __init__(self, app: ASGIApp, settings: GatewaySettings) -> None:
        self.app = app
        common: Headers = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"x-frame-options", b"DENY"),
        ]
        if settings.hsts_seconds:
            common.append(
                (b"strict-transport-security", f"max-age={settings.hsts_seconds}".encode())
            )
        self.api_headers = [*common, (b"content-security-policy", API_CSP)]
        self.docs_headers = [*common, (b"content-security-policy", DOCS_CSP)]
        origins = settings.cors_allowed_origins
        self.any_origin = "*" in origins
        self.origins = frozenset(origin.encode("latin-1") for origin in origins if origin != "*")
        self.cors = bool(origins)
        self.credentials = settings.cors_allow_credentials
        self.max_age = str(settings.cors_max_age_seconds).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        added = self.docs_headers if path.startswith("/docs") else self.api_headers
        if self.cors:
            origin = preflight = None
            for name, value in scope["headers"]:
                if name == b"origin":
                    origin = value
                elif name == b"access-control-request-method":
                    preflight = value
            if preflight is not None and origin is not None and scope["method"] == "OPTIONS":
                scope["fnet_route"] = "preflight"
                await self._preflight(send, origin, added)
                return
            added = added + self._cors(origin)
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", ()))
                present = {name for name, _ in headers}
                headers += [
                    header for header in added if header[0] not in present or header[0] == b"vary"
                ]
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            if started:
                raise
            logger.exception("unhandled error at the edge")
            await send_problem(
                send_with_headers,
                Problem("An unexpected error occurred; it has been logged."),
                path,
            )

    def _cors(self, origin: bytes | None) -> Headers:
        """The CORS headers of an answer to a request from ``origin``."""
        if self.any_origin and not self.credentials:
            return [
                (b"access-control-allow-origin", b"*"),
                (b"access-control-expose-headers", EXPOSED_HEADERS),
            ]
        # The answer depends on the Origin: caches must keep one per origin.
        headers: Headers = [(b"vary", b"Origin")]
        if origin is not None and (self.any_origin or origin in self.origins):
            headers += [
                (b"access-control-allow-origin", origin),
                (b"access-control-expose-headers", EXPOSED_HEADERS),
            ]
            if self.credentials:
                headers.append((b"access-control-allow-credentials", b"true"))
        return headers

    async def _preflight(self, send: Send, origin: bytes, added: Headers) -> None:
        headers = [
            *added,
            (
                b"vary",
                b"Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
            ),
        ]
        if self.any_origin or origin in self.origins:
            headers += [
                (b"access-control-allow-origin", b"*" if self._star() else origin),
                (b"access-control-allow-methods", ALLOWED_METHODS),
                (b"access-control-allow-headers", ALLOWED_HEADERS),
                (b"access-control-max-age", self.max_age),
            ]
            if self.credentials:
                headers.append((b"access-control-allow-credentials", b"true"))
        headers.append((b"content-length", b"0"))
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    def _star(self) -> bool:
        return self.any_origin and not self.credentials
