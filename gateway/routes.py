"""The route table: which service answers which public path, and which paths anyone may
read without a key.

Services serve the same ``/api/v1/...`` paths as the gateway, so a path is forwarded
unchanged. A table entry matches its prefix exactly or followed by ``/``; a prefix may
name an id segment (``{foundation_id}``), and such entries are tried first, since they are
more specific than the plain prefix they extend (a foundation's transparency log is the
donations service's, the rest of ``/api/v1/foundations`` the network's).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Route:
    prefix: str
    service: str


ROUTES: tuple[Route, ...] = (
    # A foundation's campaigns are the donations service's, under the foundation's path.
    Route("/api/v1/foundations/{foundation_id}/campaigns", "donations"),
    Route("/api/v1/campaigns", "donations"),
    Route("/api/v1/foundations/{foundation_id}/log", "donations"),
    Route("/api/v1/log", "donations"),
    Route("/api/v1/ledger", "donations"),
    Route("/api/v1/stock", "donations"),
    Route("/api/v1/expenses", "donations"),
    Route("/api/v1/grants", "donations"),
    Route("/api/v1/disclosures", "donations"),
    Route("/api/v1/partners", "partners"),
    Route("/api/v1/collaborations", "partners"),
    Route("/api/v1/topic-groups", "partners"),
    Route("/api/v1/crowdfundings", "partners"),
    Route("/api/v1/foundations", "network"),
    Route("/api/v1/networks", "network"),
    Route("/api/v1/pairings", "network"),
    Route("/api/v1/shared-resources", "network"),
    Route("/api/v1/sync", "network"),
    Route("/api/v1/offers", "network"),
    Route("/api/v1/webhook-endpoints", "network"),
)

# GET (and HEAD) requests of these paths pass without an API key, and reach the service with no
# identity: what is published for everyone (a foundation's list of campaigns, a campaign's
# transparency report, its disclosures). A ``{name}`` segment stands for one id (a UUID in
# hex, with or without hyphens); nothing else matches it, so ``/report/`` or
# ``/report/../x`` stays closed.
# The service must serve each of them from a public router (``kit.app``), or it will
# refuse the request for want of an identity.
PUBLIC_READS: tuple[str, ...] = (
    "/api/v1/foundations/{foundation_id}/campaigns",
    "/api/v1/campaigns/{campaign_id}/report",
    "/api/v1/campaigns/{campaign_id}/report/donations",
    "/api/v1/campaigns/{campaign_id}/disclosures",
    "/api/v1/disclosures/{disclosure_id}",
    "/api/v1/foundations",
    "/api/v1/foundations/{foundation_id}",
)

# GET (and HEAD) requests of these paths and of every path below them pass without a key:
# a foundation's transparency log (heads, entries, proofs) and the keys that sign it.
PUBLIC_TREES: tuple[str, ...] = (
    "/api/v1/foundations/{foundation_id}/log",
    "/api/v1/log",
)

# POSTs of these paths carry a file and take long to answer: a host platform's CSV export
# of thousands of donations, recorded in one transaction. They may send bodies up to
# ``max_import_bytes`` (the donations service's own limit is 5 MB) and wait
# ``import_timeout_seconds`` for the answer; every other request keeps the tighter
# ``max_request_bytes`` and ``upstream_timeout_seconds``.
IMPORTS: tuple[str, ...] = ("/api/v1/campaigns/{campaign_id}/donations/imports",)

# GETs of these paths are long polls: the service holds them up to 30 s when nothing is
# new (the sync feed's ``wait``). They get the imports' longer timeout
# (``import_timeout_seconds``, which must stay above 30 s), never the usual one.
LONG_POLLS: tuple[str, ...] = ("/api/v1/sync/changes",)

_READS = frozenset({"GET", "HEAD"})
_ID_SEGMENT = "[0-9A-Fa-f-]{32,36}"
_TEMPLATE_SEGMENT = r"\{[^/{}]+\}"


def _paths_pattern(templates: Iterable[str], parameter: str) -> re.Pattern[str]:
    """One regular expression matching any of ``templates`` (use ``fullmatch``), with
    each ``{name}`` segment replaced by ``parameter``."""
    alternatives = [
        "/".join(
            parameter if segment.startswith("{") and segment.endswith("}") else re.escape(segment)
            for segment in template.split("/")
        )
        for template in templates
    ]
    return re.compile("(?:" + "|".join(alternatives) + ")")


def _prefix_pattern(prefix: str) -> re.Pattern[str]:
    """A templated route prefix, matching as a prefix does: the path itself, or followed
    by ``/`` and anything."""
    either = f"(?:{_ID_SEGMENT}|{_TEMPLATE_SEGMENT})"
    return re.compile(_paths_pattern([prefix], either).pattern + "(?:/.*)?", re.DOTALL)


# The services, in the order the API document lists them.
SERVICES: tuple[str, ...] = tuple(dict.fromkeys(route.service for route in ROUTES))


@dataclass(frozen=True, slots=True)
class Upstream:
    """Where one route's requests go: ``base_url`` (no trailing slash) + the request path."""

    prefix: str
    service: str
    base_url: str


class RouteTable:
    def __init__(
        self,
        routes: Iterable[Route],
        base_urls: Mapping[str, str],
        *,
        public_reads: Iterable[str] = PUBLIC_READS,
        imports: Iterable[str] = IMPORTS,
        public_trees: Iterable[str] = PUBLIC_TREES,
        long_polls: Iterable[str] = LONG_POLLS,
    ) -> None:
        self.upstreams = tuple(
            Upstream(route.prefix, route.service, base_urls[route.service].rstrip("/"))
            for route in routes
        )
        # (prefix, prefix + "/", upstream): a few startswith calls beat anything cleverer
        # at this size.
        self._entries = tuple(
            (u.prefix, u.prefix + "/", u) for u in self.upstreams if "{" not in u.prefix
        )
        self._templated = tuple(
            (_prefix_pattern(u.prefix), u) for u in self.upstreams if "{" in u.prefix
        )
        trees = tuple(public_trees)
        below = r"(?:/(?!\.\.?(?:/|$))[^/]+)*"
        self._public_trees = re.compile(_paths_pattern(trees, _ID_SEGMENT).pattern + below)
        self._public_tree_templates = re.compile(
            _paths_pattern(trees, _TEMPLATE_SEGMENT).pattern + r"(?:/.*)?"
        )
        public = tuple(public_reads)
        # Compiled once: the check on the proxy path is one fullmatch, only for GETs and HEADs.
        self._public_paths = _paths_pattern(public, _ID_SEGMENT)
        self._public_templates = _paths_pattern(public, _TEMPLATE_SEGMENT)
        uploads = tuple(imports)
        self._import_paths = _paths_pattern(uploads, _ID_SEGMENT)
        # What every import path ends with: a cheap test that spares other POSTs the
        # regular expression.
        self._import_endings = tuple({"/" + path.rsplit("/", 1)[1] for path in uploads})
        self._long_polls = frozenset(long_polls)

    def match(self, path: str) -> Upstream | None:
        for pattern, upstream in self._templated:
            if pattern.fullmatch(path):
                return upstream
        for prefix, with_slash, upstream in self._entries:
            if path.startswith(with_slash) or path == prefix:
                return upstream
        return None

    def serves(self, service: str, path: str) -> bool:
        """Whether ``path`` reaches ``service`` through the gateway."""
        upstream = self.match(path)
        return upstream is not None and upstream.service == service

    def is_public(self, method: str, path: str) -> bool:
        """Whether a request needs no key: a GET (or HEAD, RFC 9110 section 9.3.2) of one
        of the public reads. ``path`` is the decoded path, the one the service routes on
        too, so an encoded slash cannot make the gateway and the service see different
        paths."""
        return method in _READS and (
            self._public_paths.fullmatch(path) is not None
            or self._public_trees.fullmatch(path) is not None
        )

    def is_import(self, method: str, path: str) -> bool:
        """Whether a request is a file import (``IMPORTS``), with its larger body limit
        and longer timeout: a POST of one of those paths (decoded, as for
        :meth:`is_public`); or a long poll (``LONG_POLLS``, a GET), which needs the
        longer timeout too (a GET has no body for the larger limit to matter)."""
        if method in _READS:
            return path in self._long_polls
        return (
            method == "POST"
            and path.endswith(self._import_endings)
            and self._import_paths.fullmatch(path) is not None
        )

    def documents_public(self, method: str, path_template: str) -> bool:
        """Whether an API document's operation (``/api/v1/x/{id}``) is a public read."""
        return method == "get" and (
            self._public_templates.fullmatch(path_template) is not None
            or self._public_tree_templates.fullmatch(path_template) is not None
        )
