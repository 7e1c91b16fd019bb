"""Every path a service serves is reachable through the gateway, and reaches that service;
which requests are file imports."""

from __future__ import annotations

import re

import pytest

from fnet.apps import SERVICES, AppSpec
from gateway.routes import IMPORTS, ROUTES, RouteTable
from tests.support import TEST_SECRET

TABLE = RouteTable(ROUTES, {"donations": "http://d", "partners": "http://p", "network": "http://n"})
OPERATIONS = {"/healthz", "/readyz", "/metrics"}


@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
def test_every_service_path_is_routed_to_its_service(spec: AppSpec) -> None:
    settings = spec.settings_class(
        database_url="sqlite+aiosqlite:///:memory:", internal_token_secret=TEST_SECRET
    )
    paths = set(spec.factory(settings).openapi()["paths"]) - OPERATIONS
    assert paths
    assert sorted(p for p in paths if not TABLE.serves(spec.name, p)) == []


def _shape(template: str) -> str:
    return re.sub(r"\{[^/{}]+\}", "{}", template)


def test_every_import_is_a_post_the_donations_service_serves() -> None:
    [spec] = [s for s in SERVICES if s.name == "donations"]
    settings = spec.settings_class(
        database_url="sqlite+aiosqlite:///:memory:", internal_token_secret=TEST_SECRET
    )
    posts = {
        _shape(p) for p, ops in spec.factory(settings).openapi()["paths"].items() if "post" in ops
    }
    assert IMPORTS
    assert [t for t in IMPORTS if _shape(t) not in posts] == []


CAMPAIGN = "01a2257d-aaa3-7772-a158-06398df16ff7"


class TestIsImport:
    @pytest.mark.parametrize(
        "path",
        [
            f"/api/v1/campaigns/{CAMPAIGN}/donations/imports",
            f"/api/v1/campaigns/{CAMPAIGN.replace('-', '')}/donations/imports",
            f"/api/v1/campaigns/{CAMPAIGN.upper()}/donations/imports",
        ],
    )
    def test_a_post_of_an_import_path_is_an_import(self, path: str) -> None:
        assert TABLE.is_import("POST", path)

    @pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE", "HEAD"])
    def test_other_methods_are_not(self, method: str) -> None:
        assert not TABLE.is_import(method, f"/api/v1/campaigns/{CAMPAIGN}/donations/imports")

    @pytest.mark.parametrize(
        "path",
        [
            f"/api/v1/campaigns/{CAMPAIGN}/donations",
            f"/api/v1/campaigns/{CAMPAIGN}/donations/imports/",
            f"/api/v1/campaigns/{CAMPAIGN}/donations/imports/x",
            f"/api/v1/campaigns/{CAMPAIGN}/donations/x/imports",
            f"/api/v1/campaigns/{CAMPAIGN}/x/donations/imports",
            f"/api/v1/campaigns/{CAMPAIGN}/imports",
            "/api/v1/campaigns/not-a-campaign-id/donations/imports",
            "/api/v1/campaigns//donations/imports",
            f"/api/v1/campaigns/{CAMPAIGN};x/donations/imports",
            f"/api/v1/campaigns/{CAMPAIGN}/donations/imports;x",
            f"/api/v1/partners/{CAMPAIGN}/donations/imports",
            f"/x/api/v1/campaigns/{CAMPAIGN}/donations/imports",
        ],
    )
    def test_any_other_path_is_not(self, path: str) -> None:
        assert not TABLE.is_import("POST", path)

    def test_a_table_without_imports_has_none(self) -> None:
        table = RouteTable(ROUTES, {"donations": "d", "partners": "p", "network": "n"}, imports=())
        assert not table.is_import("POST", f"/api/v1/campaigns/{CAMPAIGN}/donations/imports")


FOUNDATION = "01a2257d-bbb3-7772-a158-06398df16ff7"


class TestTemplatedRoutes:
    @pytest.mark.parametrize(
        ("path", "service"),
        [
            (f"/api/v1/foundations/{FOUNDATION}/log", "donations"),
            (f"/api/v1/foundations/{FOUNDATION}/log/head", "donations"),
            (f"/api/v1/foundations/{FOUNDATION}/log/entries/7", "donations"),
            ("/api/v1/log/keys", "donations"),
            (f"/api/v1/foundations/{FOUNDATION}", "network"),
            (f"/api/v1/foundations/{FOUNDATION}/logs", "network"),
            ("/api/v1/foundations/not-an-id/log/head", "network"),
        ],
    )
    def test_the_more_specific_route_wins(self, path: str, service: str) -> None:
        upstream = TABLE.match(path)
        assert upstream is not None
        assert upstream.service == service

    @pytest.mark.parametrize(
        "path",
        [
            f"/api/v1/foundations/{FOUNDATION}/log/head",
            f"/api/v1/foundations/{FOUNDATION}/log/proofs/inclusion",
            "/api/v1/log/keys",
        ],
    )
    def test_the_log_is_a_public_read(self, path: str) -> None:
        assert TABLE.is_public("GET", path)
        assert TABLE.is_public("HEAD", path)
        assert not TABLE.is_public("POST", path)

    @pytest.mark.parametrize(
        "path",
        [
            f"/api/v1/foundations/{FOUNDATION}/log/../../campaigns",
            f"/api/v1/foundations/{FOUNDATION}/log/./x",
            f"/api/v1/foundations/{FOUNDATION}/logs",
            "/api/v1/networks",
        ],
    )
    def test_nothing_else_is(self, path: str) -> None:
        assert not TABLE.is_public("GET", path)


OTHER_FOUNDATION = "01a2257d-aaa3-7772-a158-06398df16ff8"
class TestFoundationCampaigns:
    """A foundation's campaigns live in the donations service, under the network
    service's ``/api/v1/foundations`` area."""

    @pytest.mark.parametrize(
        "path",
        [
            f"/api/v1/foundations/{OTHER_FOUNDATION}/campaigns",
            f"/api/v1/foundations/{OTHER_FOUNDATION.replace('-', '')}/campaigns",
            f"/api/v1/foundations/{OTHER_FOUNDATION}/campaigns/x",
            "/api/v1/foundations/{foundation_id}/campaigns",
        ],
    )
    def test_a_foundations_campaigns_go_to_the_donations_service(self, path: str) -> None:
        upstream = TABLE.match(path)
        assert upstream is not None
        assert upstream.service == "donations"

    @pytest.mark.parametrize(
        "path",
        [
            "/api/v1/foundations",
            f"/api/v1/foundations/{OTHER_FOUNDATION}",
            f"/api/v1/foundations/{OTHER_FOUNDATION}/campaignsx",
            "/api/v1/foundations/not-an-id/campaigns",
            f"/api/v1/foundations/{OTHER_FOUNDATION}/x/campaigns",
        ],
    )
    def test_the_rest_of_the_foundations_area_stays_with_the_network(self, path: str) -> None:
        upstream = TABLE.match(path)
        assert upstream is not None
        assert upstream.service == "network"

    def test_the_list_is_a_public_read_and_nothing_below_it_is(self) -> None:
        assert TABLE.is_public("GET", f"/api/v1/foundations/{OTHER_FOUNDATION}/campaigns")
        assert TABLE.is_public("HEAD", f"/api/v1/foundations/{OTHER_FOUNDATION}/campaigns")
        assert not TABLE.is_public("POST", f"/api/v1/foundations/{OTHER_FOUNDATION}/campaigns")
        assert not TABLE.is_public("GET", f"/api/v1/foundations/{OTHER_FOUNDATION}/campaigns/x")
        # The directory's profile above it is public too, by a route of its own (PUBLIC_READS).
        assert TABLE.is_public("GET", f"/api/v1/foundations/{OTHER_FOUNDATION}")
