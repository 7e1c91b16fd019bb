"""Request context: request id and W3C trace context, carried in contextvars.

The :class:`RequestContextMiddleware` (pure ASGI, it sits on every hot path) accepts
``X-Request-ID`` and ``traceparent`` from the caller, or makes new ones, answers with the
request id, and exposes both to logs and to outgoing calls (:func:`outgoing_headers`).
"""

from __future__ import annotations

import contextvars
import os
import re
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


@dataclass(frozen=True, slots=True)
class TraceContext:
    trace_id: str
    span_id: str  # this hop's span; the parent of every call made from here
    flags: str = "01"

    @property
    def traceparent(self) -> str:
        return f"00-{self.trace_id}-{self.span_id}-{self.flags}"


request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)
trace_var: contextvars.ContextVar[TraceContext | None] = contextvars.ContextVar(
    "trace", default=None
)


# Ids are made on every request of every app, the gateway's proxy path included: straight
# from os.urandom, without secrets' or uuid's wrappers (a third of the middleware's time).
_UUID_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}


def new_span_id() -> str:
    return os.urandom(8).hex()


def new_request_id() -> str:
    """A random (version 4) UUID in its canonical form, as ``str(uuid.uuid4())``."""
    h = os.urandom(16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_UUID_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"


def continue_trace(traceparent: str | None) -> TraceContext:
    """This hop's trace context: the caller's trace with a new span, or a new trace."""
    if traceparent:
        match = _TRACEPARENT.match(traceparent.strip().lower())
        if match and match.group(1) != "0" * 32 and match.group(2) != "0" * 16:
            return TraceContext(match.group(1), new_span_id(), match.group(3))
    return TraceContext(os.urandom(16).hex(), new_span_id())


def clean_request_id(value: str | None) -> str:
    if value and _REQUEST_ID.match(value):
        return value
    return new_request_id()


def outgoing_headers() -> dict[str, str]:
    """Headers that carry the current request's id and trace to an upstream call or event."""
    headers: dict[str, str] = {}
    request_id = request_id_var.get()
    if request_id:
        headers["x-request-id"] = request_id
    trace = trace_var.get()
    if trace:
        headers["traceparent"] = trace.traceparent
    return headers


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id: str | None = None
        traceparent: str | None = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                request_id = value.decode("latin-1")
            elif name == b"traceparent":
                traceparent = value.decode("latin-1")
        request_id = clean_request_id(request_id)
        trace = continue_trace(traceparent)
        rid_token = request_id_var.set(request_id)
        trace_token = trace_var.set(trace)
        encoded_id = request_id.encode("latin-1")

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"x-request-id"]
                headers.append((b"x-request-id", encoded_id))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(rid_token)
            trace_var.reset(trace_token)
