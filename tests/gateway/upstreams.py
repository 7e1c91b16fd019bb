"""Small stand-in services for what the real ones cannot be made to do on demand:
echo what they received, answer slowly, stream, break mid-response."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from kit.identity import IDENTITY_HEADER, TokenVerifier
from tests.support import TEST_SECRET

PREFIX = "/api/v1/foundations"  # the route table sends these paths to "network"


@dataclass
class Recorder:
    """What the stand-in saw, for the test to inspect."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    endless_stopped: asyncio.Event = field(default_factory=asyncio.Event)


def echo_app(recorder: Recorder | None = None, *, slow_seconds: float = 2.0) -> Starlette:
    seen = recorder or Recorder()

    async def echo(request: Request) -> Response:
        body = await request.body()
        # ?delay=seconds: answer that late, as a service busy with a large request would.
        await asyncio.sleep(float(request.query_params.get("delay", "0")))
        record = {
            "method": request.method,
            "path": request.scope["path"],
            "raw_path": request.scope["raw_path"].decode("latin-1"),
            "query": request.scope["query_string"].decode("latin-1"),
            "headers": [
                [k.decode("latin-1"), v.decode("latin-1")] for k, v in request.scope["headers"]
            ],
            "body": body.decode("latin-1"),
        }
        seen.requests.append(record)
        return JSONResponse(record, headers={"x-upstream": "echo", "keep-alive": "timeout=5"})

    async def slow(request: Request) -> Response:
        await asyncio.sleep(slow_seconds)
        return JSONResponse({"slow": True})

    async def stream(request: Request) -> Response:
        async def parts() -> AsyncIterator[bytes]:
            for i in range(3):
                yield f"part {i}\n".encode()
                await asyncio.sleep(0.01)

        return StreamingResponse(parts(), media_type="text/plain")

    async def broken(request: Request) -> Response:
        async def parts() -> AsyncIterator[bytes]:
            yield b"the beginning"
            await asyncio.sleep(0.01)
            raise RuntimeError("the stand-in service breaks mid-response")

        return StreamingResponse(parts(), media_type="text/plain")

    async def large(request: Request) -> Response:
        size = int(request.query_params.get("size", "0"))

        async def blocks() -> AsyncIterator[bytes]:
            sent = 0
            while sent < size:
                block = bytes([sent // 65536 % 251]) * min(65536, size - sent)
                sent += len(block)
                yield block

        return StreamingResponse(blocks(), media_type="application/octet-stream")

    async def endless(request: Request) -> Response:
        async def events() -> AsyncIterator[bytes]:
            try:
                while True:
                    yield b"data: tick\n\n"
                    await asyncio.sleep(0.02)
            finally:
                seen.endless_stopped.set()

        return StreamingResponse(events(), media_type="text/event-stream")

    return Starlette(
        routes=[
            Route(f"{PREFIX}/slow", slow),
            Route(f"{PREFIX}/stream", stream),
            Route(f"{PREFIX}/broken", broken),
            Route(f"{PREFIX}/endless", endless),
            Route(f"{PREFIX}/large", large),
            Route(PREFIX + "/{rest:path}", echo, methods=["GET", "POST", "PUT", "DELETE", "HEAD"]),
            Route(PREFIX, echo, methods=["GET", "POST"]),
            # Any other API path, for tests that send another service's paths here.
            Route("/api/{rest:path}", echo, methods=["GET", "POST"]),
        ]
    )


# A schema named like one of the donations service's, with other content: the merged
# document must keep both.
FAKE_NETWORK_DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "fake network", "version": "1"},
    "tags": [{"name": "foundations", "description": "The foundation directory."}],
    "paths": {
        PREFIX: {
            "get": {
                "tags": ["foundations"],
                "summary": "List foundations",
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/FoundationPage"}
                            }
                        },
                    }
                },
            }
        },
        "/api/v1/elsewhere": {"get": {"responses": {"200": {"description": "not routed"}}}},
        "/metrics": {"get": {"responses": {"200": {"description": "not public"}}}},
    },
    "components": {
        "schemas": {
            "FoundationPage": {
                "type": "object",
                "properties": {
                    "items": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/CampaignRead"},
                    }
                },
            },
            "CampaignRead": {"type": "object", "properties": {"name": {"type": "string"}}},
        }
    },
}


def fake_network_app() -> Starlette:
    """Serves an API document, to the gateway only (like the real services)."""
    verifier = TokenVerifier(TEST_SECRET)

    async def openapi(request: Request) -> Response:
        token = request.headers.get(IDENTITY_HEADER)
        if token is None:
            return JSONResponse({"detail": "gateway token required"}, status_code=401)
        verifier.verify(token)
        return JSONResponse(FAKE_NETWORK_DOCUMENT)

    return Starlette(routes=[Route("/openapi.json", openapi)])


@dataclass
class Flaky:
    """A stand-in service whose health the test sets: ``failing`` answers 503 to every
    request, ``fail_next`` to that many more; ``calls`` counts what reached it."""

    failing: bool = False
    fail_next: int = 0
    calls: int = 0
    methods: list[str] = field(default_factory=list)


def flaky_app(state: Flaky) -> Starlette:
    async def answer(request: Request) -> Response:
        await request.body()
        state.calls += 1
        state.methods.append(request.method)
        if state.failing or state.fail_next > 0:
            state.fail_next = max(state.fail_next - 1, 0)
            return JSONResponse(
                {"type": "urn:fnet:problem:service-unavailable", "status": 503},
                status_code=503,
                media_type="application/problem+json",
                headers={"Retry-After": "1"},
            )
        return JSONResponse({"ok": True, "call": state.calls})

    async def crash(request: Request) -> Response:
        state.calls += 1
        # What a service's bug might say: it must never reach a client.
        return Response(
            "Traceback (most recent call last): password=hunter2 at db.internal:5432",
            status_code=int(request.query_params.get("status", "500")),
            media_type="text/plain",
        )

    return Starlette(
        routes=[
            Route("/api/v1/networks/crash", crash),
            Route("/api/{rest:path}", answer, methods=["GET", "HEAD", "POST", "PUT", "DELETE"]),
        ]
    )
