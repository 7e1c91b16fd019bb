"""``HEAD`` answered wherever ``GET`` is (RFC 9110 section 9.3.2).

FastAPI's routes answer only the methods they declare, so without this a ``HEAD`` is 405
everywhere. :class:`HeadAsGet` serves a ``HEAD`` as the ``GET`` of the same path and drops
the body, keeping every header (``Content-Length``, ``ETag``, ``Cache-Control``...). A path
without a ``GET`` stays 405 (``kit.errors`` lists ``HEAD`` in ``Allow`` next to ``GET``),
an unknown path 404, and a conditional ``HEAD`` gets the same 304 as the ``GET`` would.

A streamed body (a CSV export) is produced and dropped piece by piece, never held: the
answer is complete once the headers are out, but the server's "client gone" that follows
is kept from the app until it ends, because Starlette would cancel the stream mid-query
(which leaves the stream's database connection unusable). Other requests pay one string
comparison.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    """Pure ASGI middleware: a ``HEAD`` request runs as ``GET``, its body never sent."""

    __slots__ = ("app",)

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("method") != "HEAD":
            await self.app(scope, receive, send)
            return
        complete = False

        async def send_headers_only(message: Message) -> None:
            nonlocal complete
            if complete:
                return
            if message["type"] == "http.response.start":
                await send(message)
                return
            # The first piece of the body (or a file to send) ends the answer: nothing of it
            # goes out, and whatever the app sends after is dropped.
            complete = True
            await send({"type": "http.response.body", "body": b"", "more_body": False})

        async def receive_until_done() -> Message:
            message = await receive()
            if complete and message["type"] == "http.disconnect":
                # Our own early end, not the client's: let the app finish its body.
                await asyncio.Event().wait()
            return message

        # The scope is changed in place (and restored) rather than copied, so that what the
        # routing records in it (the route, for metrics) is seen by the middleware outside.
        scope["method"] = "GET"
        try:
            await self.app(scope, receive_until_done, send_headers_only)
        finally:
            scope["method"] = "HEAD"
