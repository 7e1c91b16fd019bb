"""The sync feed's long poll gets the long timeout through the gateway."""

from __future__ import annotations

from gateway.routes import ROUTES, RouteTable
from gateway.settings import GatewaySettings

URLS = {"donations": "http://d", "partners": "http://p", "network": "http://n"}


def test_a_sync_feed_get_is_given_the_long_timeout() -> None:
    table = RouteTable(ROUTES, URLS)
    assert table.is_import("GET", "/api/v1/sync/changes")
    assert table.is_import("HEAD", "/api/v1/sync/changes")
    assert not table.is_import("GET", "/api/v1/shared-resources")
    assert not table.is_import("POST", "/api/v1/sync/changes")
    assert table.match("/api/v1/sync/changes") is not None


def test_the_default_long_timeout_outlasts_a_30_second_poll() -> None:
    field = GatewaySettings.model_fields["import_timeout_seconds"]
    assert field.default > 30
