"""The gateway app. Run: ``uvicorn gateway.app:create_app --factory`` with ``FNET_GATEWAY_*``
set (see :class:`gateway.settings.GatewaySettings`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.docs import assets_router
from gateway.edge import EdgeMiddleware
from gateway.identity import Identity, is_own_path
from gateway.limits import RateLimits
from gateway.mobile.router import router as mobile_router
from gateway.observability import GatewayMetrics
from gateway.openapi import ApiDocument, docs_router
from gateway.proxy import Proxy
from gateway.routes import ROUTES, SERVICES, RouteTable
from gateway.settings import GatewaySettings
from gateway.upstream import Upstreams
from kit.app import operation_id
from kit.context import RequestContextMiddleware
from kit.db import Database
from kit.errors import document_problems, install_problem_handlers
from kit.events import Bus
from kit.head import HeadAsGet
from kit.heap import frozen_heap
from kit.identity import TokenSigner
from kit.logs import configure_logging
from kit.migrations import MigrationSet, upgrade
from kit.observability import Metrics, MetricsMiddleware, health_router

MIGRATIONS = MigrationSet("gateway", Path(__file__).parent / "migrations")

TITLE = "Foundation Network API"
API_PREFIX = "/api/"


class GatewayApp(FastAPI):
    """A FastAPI app for the gateway's own routes (health, metrics, API docs) with the
    proxy in front: ``/api/...`` requests go straight to ``proxy_stack`` (request context,
    metrics, proxy; all pure ASGI) and never through FastAPI's routing and middleware,
    which would cost every request of the public API."""

    proxy_stack: ASGIApp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and path.startswith(API_PREFIX) and not is_own_path(path):
            await self.proxy_stack(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


def create_app(
    settings: GatewaySettings | None = None,
    *,
    database: Database | None = None,
    bus: Bus | None = None,
) -> FastAPI:
    """The gateway. ``database`` is given by tests (a rolled-back connection); otherwise
    the lifespan opens one from ``settings.database_url``. ``bus`` is the one an
    embedding process shares (``fnet up``), over which revocations reach every gateway;
    without it, ``settings.bus_url`` says where they go."""
    settings = settings or GatewaySettings()  # read from the environment
    signer = TokenSigner(settings.internal_token_secret.get_secret_value())
    routes = RouteTable(
        ROUTES,
        {
            "donations": settings.donations_url,
            "partners": settings.partners_url,
            "network": settings.network_url,
        },
    )
    identity = Identity(settings, signer)
    authenticator = identity.authenticator
    metrics = Metrics("gateway")
    edge_metrics = GatewayMetrics(metrics, SERVICES)
    upstreams = Upstreams(settings, edge_metrics)
    limits = RateLimits(settings, edge_metrics.rate_limited, edge_metrics.rate_limit_storage_errors)
    proxy = Proxy(routes, authenticator, upstreams, settings, limits)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging("gateway", level=settings.log_level, json=settings.json_logs)
        if settings.migrate_on_start:
            await asyncio.to_thread(upgrade, MIGRATIONS, settings.database_url)
        db = database or Database.from_url(
            settings.database_url,
            pool_size=settings.db_pool_size,
            pool_timeout=settings.db_pool_timeout_seconds,
        )
        app.state.database = db
        await identity.start(db, bus=bus, background=database is None)
        await upstreams.open()
        await limits.open()
        try:
            with frozen_heap():
                yield
        finally:
            await limits.close()
            await upstreams.close()
            await identity.stop()
            await db.dispose()

    app = GatewayApp(
        title=TITLE,
        description="The only public entry of Foundation Network.",
        version="1.0.0",
        lifespan=lifespan,
        generate_unique_id_function=operation_id,  # as the services' operations
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.authenticator = authenticator
    app.state.identity = identity
    app.state.upstreams = upstreams
    app.state.limits = limits
    install_problem_handlers(app)

    # Checks the process running the gateway adds (the embedded runner: "the demo data is
    # loaded"), each an awaitable that raises while not ready.
    app.state.readiness_checks = []

    def readiness(request: Request) -> list[tuple[str, Any]]:
        return [("database", request.app.state.database.ping), *app.state.readiness_checks]

    def own_document() -> dict[str, Any]:
        # Its errors are problem+json as the services' are (not FastAPI's HTTPValidationError).
        return document_problems(get_openapi(title=TITLE, version=app.version, routes=app.routes))

    app.include_router(health_router(readiness))
    for router in identity.routers:
        app.include_router(router)
    app.include_router(
        docs_router(
            ApiDocument(
                routes,
                upstreams,
                authenticator.tokens,
                own_document,
                cache_seconds=settings.openapi_cache_seconds,
            ),
            TITLE,
        )
    )
    app.include_router(assets_router())
    app.include_router(mobile_router)
    app.add_middleware(HeadAsGet)  # HEAD of the gateway's own GET routes
    app.add_middleware(EdgeMiddleware, settings=settings)  # security headers, CORS
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_middleware(RequestContextMiddleware)
    app.proxy_stack = RequestContextMiddleware(
        MetricsMiddleware(EdgeMiddleware(proxy, settings), metrics=metrics)
    )
    return app
