"""Health, readiness, Prometheus metrics and the access log.

Each app owns a :class:`Metrics` (its own registry, so several apps share one process
without mixing their numbers). :class:`MetricsMiddleware` is pure ASGI because it wraps
every request, the gateway's proxy path included.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from pydantic import BaseModel, Field
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

access_log = logging.getLogger("fnet.access")

ReadinessCheck = Callable[[], Awaitable[None]]


class Metrics:
    def __init__(self, app: str) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "fnet_http_requests_total",
            "HTTP requests answered",
            ["app", "method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "fnet_http_request_duration_seconds",
            "Time to answer an HTTP request",
            ["app", "method", "route"],
            registry=self.registry,
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
        )
        self.app = app
        # Called before each scrape, for numbers read from elsewhere (a database).
        self.refreshers: list[Callable[[], Awaitable[None]]] = []


def _route_label(scope: Scope) -> str:
    # The route template, not the raw path, keeps the label set small (ids are not labels).
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    return str(scope.get("fnet_route", "unmatched"))


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics
        # The labelled series of each (method, route, status): prometheus_client's
        # ``labels()`` takes a lock and builds a key on every call. Routes are templates
        # and statuses few, so this stays small.
        self._series: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            elapsed = time.perf_counter() - start
            route = _route_label(scope)
            method = scope["method"]
            series = self._series.get((method, route, status))
            if series is None:
                metrics = self.metrics
                series = (
                    metrics.requests.labels(metrics.app, method, route, str(status)),
                    metrics.latency.labels(metrics.app, method, route),
                )
                self._series[(method, route, status)] = series
            series[0].inc()
            series[1].observe(elapsed)
            if access_log.isEnabledFor(logging.INFO) and route not in ("/healthz", "/metrics"):
                access_log.info(
                    "%s %s %s",
                    method,
                    scope["path"],
                    status,
                    extra={
                        "app": self.metrics.app,
                        "method": method,
                        "path": scope["path"],
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 3),
                    },
                )


class Readiness(BaseModel):
    """What ``/readyz`` answers, 200 or 503 alike."""

    status: Literal["ok", "unavailable"] = Field(description="ok only if every check is")
    checks: dict[str, str] = Field(
        description="each dependency by name (database, bus, ...): `ok`, or `unavailable: "
        "<kind of error>`",
        examples=[{"database": "ok", "bus": "ok"}],
    )


def health_router(checks: Callable[[Request], Sequence[tuple[str, ReadinessCheck]]]) -> APIRouter:
    """``/healthz``, ``/readyz`` and ``/metrics``; ``checks`` names what readiness needs."""
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/readyz",
        summary="Every dependency (database, bus) is reachable",
        response_model=Readiness,
        responses={503: {"model": Readiness, "description": "a dependency is unreachable"}},
    )
    async def readyz(request: Request) -> Response:
        results: dict[str, str] = {}
        ready = True
        for name, check in checks(request):
            try:
                await check()
            except Exception as exc:  # readiness reports any failure, whatever its kind
                ready = False
                results[name] = f"unavailable: {type(exc).__name__}"
            else:
                results[name] = "ok"
        readiness = Readiness(status="ok" if ready else "unavailable", checks=results)
        return JSONResponse(readiness.model_dump(), status_code=200 if ready else 503)

    @router.get("/metrics", summary="Prometheus metrics", response_class=Response)
    async def metrics(request: Request) -> Response:
        metrics: Metrics = request.app.state.metrics
        for refresh in metrics.refreshers:
            try:
                await refresh()
            except Exception:  # a scrape still answers, with the last known values
                access_log.warning("metrics refresh failed", exc_info=True)
        registry = metrics.registry
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router
