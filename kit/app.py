"""The shape every service app shares, so a service's ``create_app`` is a few lines.

:func:`create_service_app` wires the lifespan (database, optional migrations), problem+json
errors, request context, metrics, health routes, and the gateway-token requirement on
every domain route except those of ``public_routers``. Dependencies for the request's
session live here too.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.responses import Response

from kit.context import RequestContextMiddleware
from kit.db import Database
from kit.errors import (
    Conflict,
    ServiceUnavailable,
    document_problems,
    install_problem_handlers,
    problem_response,
)
from kit.etags import document_if_match
from kit.events.bus import Bus
from kit.events.inbox import Consumer
from kit.events.runtime import EventsRuntime, connect_bus
from kit.head import HeadAsGet
from kit.heap import frozen_heap
from kit.idempotency import document_idempotency
from kit.identity import TokenVerifier, current_principal
from kit.logs import configure_logging
from kit.migrations import MigrationSet, upgrade
from kit.observability import Metrics, MetricsMiddleware, health_router
from kit.routing import validated_first
from kit.settings import ServiceSettings
from kit.workers import Worker, WorkerThread

logger = logging.getLogger("fnet.app")


def operation_id(route: APIRoute) -> str:
    """A route's OpenAPI operationId: its function's name (``record_donation``), which is
    what a generated client names the call. Every app of the public API uses it."""
    return route.name


# Dependencies are ``async def`` throughout, even where they await nothing: FastAPI runs a
# plain ``def`` dependency in a worker thread, and those hops cost more than the query.


async def _on_integrity_error(request: Request, exc: Exception) -> Response:
    # A unique constraint lost to a concurrent writer; the rules checked it beforehand, so
    # this is a race the client can resolve by retrying or reading.
    logger.info("integrity error", extra={"error": str(exc)[:500]})
    return problem_response(
        Conflict("the request conflicts with a concurrent change; read and retry"),
        request.url.path,
    )


async def _on_database_error(request: Request, exc: Exception) -> Response:
    logger.warning("database error", exc_info=exc)
    return problem_response(
        ServiceUnavailable(
            "the database is busy or unreachable; retry shortly", headers={"Retry-After": "1"}
        ),
        request.url.path,
    )


async def _on_pool_timeout(request: Request, exc: Exception) -> Response:
    # Every pooled connection stayed taken for the pool's timeout: more load than the
    # database connections can serve. Shed it; the client retries after a pause.
    logger.warning("no database connection free in time")
    return problem_response(
        ServiceUnavailable(
            "the service is at capacity; retry shortly", headers={"Retry-After": "1"}
        ),
        request.url.path,
    )


def create_service_app(
    *,
    name: str,
    title: str,
    description: str,
    settings: ServiceSettings,
    migrations: MigrationSet,
    routers: Sequence[APIRouter],
    public_routers: Sequence[APIRouter] = (),
    consumers: Callable[[Database], Sequence[Consumer]] | None = None,
    workers: Callable[[Database], Sequence[Worker]] | None = None,
    database: Database | None = None,
    bus: Bus | None = None,
) -> FastAPI:
    """A service app.

    Events: the lifespan runs the service's outbox relay and its ``consumers`` (built on
    the app's database) on ``bus``, the one the embedding process shares (``fnet up``), or
    else on the bus ``settings.bus_url`` names, which it connects and later closes; a
    service configured for ``memory://`` and given no bus refuses to start.

    ``workers`` are the service's own background tasks on its database (the transparency
    log's sequencer), started after the events runtime and stopped before it, in a thread
    with its own event loop and connections (:class:`kit.workers.WorkerThread`).

    ``database`` is given by tests (a rolled-back connection); otherwise the lifespan opens
    one from ``settings.database_url``. An app on a test's connection and without a ``bus``
    runs no relay and no consumers (they would share the test's one connection): what it
    emits stays in its outbox, where the test can read it. Workers run only on a database
    the app opened.

    Every route of ``routers`` requires the gateway's identity token (401 without it).
    ``public_routers`` are for what anyone may read (a campaign's transparency report):
    their routes neither need nor read an identity, so they must not depend on
    :data:`kit.identity.CurrentPrincipal` (that would require the token again) and must
    answer only what is public. The gateway lets such paths through without a key only
    if its own allow-list (``gateway/routes.py``) names them too.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(name, level=settings.log_level, json=settings.json_logs)
        app.state.events = None
        async with AsyncExitStack() as stack:
            the_bus = bus
            if bus is None and database is None:
                # First: a misconfigured bus is refused before anything else happens.
                the_bus = await connect_bus(settings, name=name)
                stack.push_async_callback(the_bus.close)
            if settings.migrate_on_start:
                await asyncio.to_thread(upgrade, migrations, settings.database_url)
            db = database or Database.from_url(
                settings.database_url,
                pool_size=settings.db_pool_size,
                pool_timeout=settings.db_pool_timeout_seconds,
                application_name=f"fnet-{name}",
            )
            stack.push_async_callback(db.dispose)
            app.state.database = db
            if the_bus is not None:
                events = EventsRuntime(name, db, the_bus, consumers(db) if consumers else [])
                await events.start()
                stack.push_async_callback(events.stop)
                events.instrument(app.state.metrics)
                app.state.events = events
            if workers is not None and database is None:
                # On a loop and connections of their own (see kit.workers).
                await stack.enter_async_context(
                    WorkerThread.on(
                        settings.database_url,
                        workers,
                        name=f"fnet-{name}-workers",
                        pool_timeout=settings.db_pool_timeout_seconds,
                    )
                )
            with frozen_heap():
                yield

    app = FastAPI(
        title=title,
        description=description,
        version="1.0.0",
        lifespan=lifespan,
        # A redirect to the slash-less path would name the service's own address, which
        # clients behind the gateway cannot reach: a path with a trailing slash is a 404.
        redirect_slashes=False,
        # An operation's id is its route function's name (``record_donation``): what a
        # generated client names the call. Unique across the services (a test checks).
        generate_unique_id_function=operation_id,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        # FastAPI's own OpenTelemetry hooks look up the global providers on every request;
        # we carry traceparent and measure with Prometheus ourselves (kit.context,
        # kit.observability), so they are off.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.metrics = Metrics(name)
    app.state.token_verifier = TokenVerifier(settings.internal_token_secret.get_secret_value())
    install_problem_handlers(app)
    app.add_exception_handler(IntegrityError, _on_integrity_error)
    app.add_exception_handler(DBAPIError, _on_database_error)
    app.add_exception_handler(PoolTimeout, _on_pool_timeout)

    def readiness(request: Request) -> list[tuple[str, Any]]:
        checks: list[tuple[str, Any]] = [("database", request.app.state.database.ping)]
        events: EventsRuntime | None = request.app.state.events
        if events is not None:
            checks.append(("bus", events.ping))
        return checks

    app.include_router(health_router(readiness))
    # Authentication first, then the whole request's validation, then the route's own
    # dependencies (which may open a transaction or take a lock).
    guarded = [Depends(current_principal), Depends(validated_first)]
    for router in routers:
        app.include_router(router, dependencies=guarded)
    for router in public_routers:
        app.include_router(router, dependencies=[Depends(validated_first)])

    def openapi() -> dict[str, Any]:
        # The document with our errors and idempotency documented; ``app.openapi()`` (what
        # FastAPI and tests call) is this one too.
        if app.openapi_schema is None:
            app.openapi_schema = document_if_match(
                document_idempotency(
                    document_problems(
                        get_openapi(
                            title=app.title,
                            version=app.version,
                            description=app.description,
                            routes=app.routes,
                        )
                    ),
                    [route for router in (*routers, *public_routers) for route in router.routes],
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.get("/openapi.json", include_in_schema=False, dependencies=guarded)
    async def openapi_document() -> dict[str, Any]:
        # Only the gateway reads this, to merge every service's API into one document.
        return app.openapi()

    # Innermost, so that metrics and the access log record the request as a HEAD.
    app.add_middleware(HeadAsGet)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    app.add_middleware(RequestContextMiddleware)
    return app
