"""Serve an ASGI app on a real loopback port, in the test's event loop.

The gateway talks to services with aiohttp, which cannot use an in-process transport, so
its upstreams in tests are real servers on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Iterator

import uvicorn
from starlette.types import ASGIApp


def free_port() -> int:
    """A port nothing listens on (the OS just handed it out and it was released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class _Server(uvicorn.Server):
    # The test process owns its signals; a server in a task must not take them over.
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.asynccontextmanager
async def serving(app: ASGIApp, *, port: int | None = None) -> AsyncIterator[str]:
    """Run ``app`` (lifespan included) on ``port``, or on a free one; yield its base URL.

    The socket is bound here and handed to uvicorn, so no other process can take the port
    between choosing and listening."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port or 0))
    bound: int = sock.getsockname()[1]
    server = _Server(
        uvicorn.Config(
            app, log_config=None, access_log=False, lifespan="auto", timeout_graceful_shutdown=1
        )
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                await task
                raise RuntimeError("the test server did not start")
            await asyncio.sleep(0.005)
        yield f"http://127.0.0.1:{bound}"
    finally:
        server.should_exit = True
        await task
        sock.close()
