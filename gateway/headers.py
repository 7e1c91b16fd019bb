"""Which headers cross the gateway, both ways.

A request's headers are read once (:meth:`ClientHeaders.read`): those the service may see
are copied as they come, those the gateway acts on (the client's credentials, the body's
framing, ``Host``, ``X-Forwarded-For``) are kept aside, and those for one hop only
(RFC 9110 section 7.6.1, and any ``Connection`` names) are dropped. What goes upstream
(:meth:`ClientHeaders.forwarded`) adds the request id and ``traceparent`` of this hop
(:func:`kit.context.outgoing_headers`), the identity token, and the ``X-Forwarded-*`` trio.
A response's headers are relayed without hop-by-hop ones and without those the gateway's
own server writes (:func:`relayed`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from starlette.types import Scope

from kit.context import outgoing_headers
from kit.identity import IDENTITY_HEADER

# RFC 9110 section 7.6.1: meaningful for one connection only, never forwarded.
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"transfer-encoding",
        b"te",
        b"trailer",
        b"upgrade",
        b"proxy-connection",
        b"proxy-authenticate",
        b"proxy-authorization",
    }
)

# Request headers the proxy does not copy: hop-by-hop ones, the client's credentials and
# any identity it claims, and those the gateway sets itself. Some are read on the way.
_NOT_COPIED = HOP_BY_HOP | {
    b"host",
    b"expect",
    b"content-length",
    IDENTITY_HEADER.encode(),
    b"x-api-key",
    b"authorization",
    b"x-request-id",
    b"traceparent",
    b"x-forwarded-for",
    b"x-forwarded-proto",
    b"x-forwarded-host",
}

# Response headers not relayed: hop-by-hop ones, and those the gateway's server writes
# itself (uvicorn adds its own Date and Server; a copy would duplicate them).
_NOT_RELAYED = HOP_BY_HOP | {b"date", b"server"}


@dataclass(slots=True)
class ClientHeaders:
    """The client's headers, split into those copied upstream and those read here."""

    copied: list[tuple[str, str]] = field(default_factory=list)
    api_key: bytes | None = None
    authorization: bytes | None = None
    content_length: bytes | None = None
    chunked: bool = False
    connection: bytes | None = None
    host: bytes | None = None
    forwarded_for: bytes | None = None

    @classmethod
    def read(cls, raw: Iterable[tuple[bytes, bytes]]) -> ClientHeaders:
        headers = cls()
        copied = headers.copied
        for name, value in raw:
            if name in _NOT_COPIED:
                if name == b"x-api-key":
                    headers.api_key = value
                elif name == b"authorization":
                    headers.authorization = value
                elif name == b"content-length":
                    headers.content_length = value
                elif name == b"transfer-encoding":
                    headers.chunked = True
                elif name == b"connection":
                    headers.connection = value
                elif name == b"host":
                    headers.host = value
                elif name == b"x-forwarded-for":
                    headers.forwarded_for = value
            elif not name.startswith(b"proxy-"):
                copied.append((name.decode("latin-1"), value.decode("latin-1")))
        return headers

    def forwarded(
        self, scope: Scope, token: str | None, length: int | None
    ) -> list[tuple[str, str]]:
        """The headers sent to the service; no identity header without a ``token``."""
        headers = self.copied
        if self.connection is not None:
            # Connection may name further headers that are for this hop only.
            named = {t.strip().lower() for t in self.connection.decode("latin-1").split(",")}
            named -= {"close", "keep-alive", ""}
            if named:
                headers = [h for h in headers if h[0] not in named]
        if length is not None:
            headers.append(("content-length", str(length)))
        headers.extend(outgoing_headers().items())
        if token is not None:
            headers.append((IDENTITY_HEADER, token))
        client = scope.get("client")
        if client:
            prior = self.forwarded_for.decode("latin-1") if self.forwarded_for else ""
            headers.append(("x-forwarded-for", f"{prior}, {client[0]}" if prior else client[0]))
        headers.append(("x-forwarded-proto", scope.get("scheme", "http")))
        if self.host is not None:
            headers.append(("x-forwarded-host", self.host.decode("latin-1")))
        return headers


def relayed(raw: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """A service's response headers as the client gets them (names lower-cased)."""
    headers = []
    for name, value in raw:
        lowered = name.lower()
        if lowered not in _NOT_RELAYED and not lowered.startswith(b"proxy-"):
            headers.append((lowered, value))
    return headers
