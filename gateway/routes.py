"""The route table: which service answers which public path.

Services serve the same ``/api/v1/...`` paths as the gateway, so a path is forwarded
unchanged. A table entry matches its prefix exactly or followed by ``/``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Route:
    prefix: str
    service: str


ROUTES: tuple[Route, ...] = (
    Route("/api/v1/campaigns", "donations"),
    Route("/api/v1/expenses", "donations"),
    Route("/api/v1/grants", "donations"),
    Route("/api/v1/ledger", "donations"),
    Route("/api/v1/partners", "partners"),
    Route("/api/v1/foundations", "network"),
)

# The services, in the order the API document lists them.
SERVICES: tuple[str, ...] = tuple(dict.fromkeys(route.service for route in ROUTES))


@dataclass(frozen=True, slots=True)
class Upstream:
    """Where one route's requests go: ``base_url`` (no trailing slash) + the request path."""

    prefix: str
    service: str
    base_url: str


class RouteTable:
    def __init__(self, routes: Iterable[Route], base_urls: Mapping[str, str]) -> None:
        self.upstreams = tuple(
            Upstream(route.prefix, route.service, base_urls[route.service].rstrip("/"))
            for route in routes
        )
        # (prefix, prefix + "/", upstream): a few startswith calls beat anything cleverer
        # at this size.
        self._entries = tuple((u.prefix, u.prefix + "/", u) for u in self.upstreams)

    def match(self, path: str) -> Upstream | None:
        for prefix, with_slash, upstream in self._entries:
            if path.startswith(with_slash) or path == prefix:
                return upstream
        return None

    def serves(self, service: str, path: str) -> bool:
        """Whether ``path`` reaches ``service`` through the gateway."""
        upstream = self.match(path)
        return upstream is not None and upstream.service == service
