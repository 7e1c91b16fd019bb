"""Every path a service serves is reachable through the gateway, and reaches that service."""

from __future__ import annotations

import pytest

from fnet.apps import SERVICES, AppSpec
from gateway.routes import ROUTES, RouteTable
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
