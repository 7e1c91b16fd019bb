"""The gateway's scope table (gateway/scopes.py) and the services' own access rules agree,
route by route: the gateway refuses with 403 exactly what a service would, before the
request travels."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from gateway.routes import ROUTES, RouteTable
from gateway.scopes import ROUTE_SCOPES, ScopeTable
from kit.identity import Authorize
from services.donations.app import create_app as create_donations
from services.donations.settings import DonationsSettings
from services.network.app import create_app as create_network
from services.network.settings import NetworkSettings
from services.partners.app import create_app as create_partners
from services.partners.settings import PartnersSettings
from tests.support import TEST_SECRET

URL = "sqlite+aiosqlite:///unused.db"
TABLE = RouteTable(ROUTES, {r.service: "http://unused" for r in ROUTES})


def _routes(app: FastAPI) -> Iterator[Any]:
    for route in app.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is not None:  # an included router (FastAPI resolves it lazily)
            yield from contexts()
        elif isinstance(route, APIRoute):
            yield route


def _rules(dependant: Dependant) -> Iterator[Authorize]:
    if isinstance(dependant.call, Authorize):
        yield dependant.call
    for sub in dependant.dependencies:
        yield from _rules(sub)


def services_rules() -> dict[tuple[str, str], frozenset[str]]:
    """(method, path) -> the scopes the service's route requires, for every guarded
    route of every service (public ones need no identity and have no rule)."""
    apps = [
        create_donations(DonationsSettings(database_url=URL, internal_token_secret=TEST_SECRET)),
        create_partners(PartnersSettings(database_url=URL, internal_token_secret=TEST_SECRET)),
        create_network(NetworkSettings(database_url=URL, internal_token_secret=TEST_SECRET)),
    ]
    found: dict[tuple[str, str], frozenset[str]] = {}
    for app in apps:
        for route in _routes(app):
            rules = list(_rules(route.dependant))
            if not route.path.startswith("/api/") or not rules:
                continue
            scopes = frozenset(r.scope for r in rules if r.scope is not None)
            for method in route.methods:
                found[(method, route.path)] = scopes
    return found


def gateway_rules() -> dict[tuple[str, str], frozenset[str]]:
    return {
        (method, path): frozenset(scopes)
        for path, methods in ROUTE_SCOPES.items()
        for method, scopes in methods.items()
    }


@pytest.fixture(scope="module")
def services() -> dict[tuple[str, str], frozenset[str]]:
    return services_rules()


class TestTheTableAgreesWithTheServices:
    def test_every_guarded_route_of_every_service_is_in_the_table_with_its_scopes(
        self, services: dict[tuple[str, str], frozenset[str]]
    ) -> None:
        assert len(services) > 100
        gateway = gateway_rules()
        missing = sorted(set(services) - set(gateway))
        assert missing == [], "routes the gateway does not declare"
        stale = sorted(set(gateway) - set(services))
        assert stale == [], "routes no service serves"
        differ = {k: (gateway[k], services[k]) for k in services if gateway[k] != services[k]}
        assert differ == {}

    def test_every_route_is_reachable_through_the_gateway(
        self, services: dict[tuple[str, str], frozenset[str]]
    ) -> None:
        assert [path for _, path in services if TABLE.match(path) is None] == []


class TestLookUp:
    @pytest.mark.parametrize(
        ("method", "path", "template", "scopes"),
        [
            ("GET", "/api/v1/campaigns", "/api/v1/campaigns", {"campaigns:read"}),
            (
                "HEAD",
                "/api/v1/campaigns/abc",
                "/api/v1/campaigns/{campaign_id}",
                {"campaigns:read"},
            ),
            (
                "POST",
                "/api/v1/campaigns/c/donations/imports",
                "/api/v1/campaigns/{campaign_id}/donations/imports",
                {"donations:write"},
            ),
            (
                "GET",
                "/api/v1/campaigns/c/donations/d",
                "/api/v1/campaigns/{campaign_id}/donations/{donation_id}",
                {"campaigns:read"},
            ),
            (
                "GET",
                "/api/v1/partners/p/contacts",
                "/api/v1/partners/{partner_id}/contacts",
                {"partners:read", "partners:contacts"},
            ),
            ("PATCH", "/api/v1/foundations/f", "/api/v1/foundations/{foundation_id}", set()),
        ],
    )
    def test_a_request_finds_its_route(
        self, method: str, path: str, template: str, scopes: set[str]
    ) -> None:
        assert ScopeTable().route(method, path) == (template, frozenset(scopes))

    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("GET", "/api/v1/campaigns/c/report"),  # public: not in the table
            ("DELETE", "/api/v1/campaigns"),  # no such operation
            ("GET", "/api/v1/campaigns/c/d/e/f/g"),
            ("GET", "/api/v1/campaigns/"),
        ],
    )
    def test_what_is_no_route_needs_no_scope(self, method: str, path: str) -> None:
        assert ScopeTable().route(method, path) is None
