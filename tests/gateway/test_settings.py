from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from gateway.settings import GatewaySettings
from tests.support import TEST_SECRET

REQUIRED: dict[str, Any] = {
    "database_url": "sqlite+aiosqlite:///gw.db",
    "internal_token_secret": TEST_SECRET,
    "donations_url": "http://127.0.0.1:8001/",
    "partners_url": "http://127.0.0.1:8002",
    "network_url": "https://network.internal",
}


class TestGatewaySettings:
    def test_read_from_fnet_gateway_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        for name, value in REQUIRED.items():
            monkeypatch.setenv(f"FNET_GATEWAY_{name.upper()}", value)
        monkeypatch.setenv("FNET_GATEWAY_MAX_REQUEST_BYTES", "2048")
        settings = GatewaySettings()
        assert settings.donations_url == "http://127.0.0.1:8001"  # trailing slash dropped
        assert settings.max_request_bytes == 2048
        assert settings.upstream_timeout_seconds == 15.0
        assert settings.key_cache_seconds == 2.0
        assert settings.max_import_bytes == 5 * 1024 * 1024
        assert settings.import_timeout_seconds == 120.0

    def test_the_import_limits_are_read_from_the_environment(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("FNET_GATEWAY_MAX_IMPORT_BYTES", "10485760")
        monkeypatch.setenv("FNET_GATEWAY_IMPORT_TIMEOUT_SECONDS", "300")
        settings = GatewaySettings(**REQUIRED)
        assert (settings.max_import_bytes, settings.import_timeout_seconds) == (10485760, 300.0)

    @pytest.mark.parametrize(
        ("name", "value"), [("max_import_bytes", -1), ("import_timeout_seconds", 0)]
    )
    def test_import_limits_must_make_sense(self, name: str, value: float) -> None:
        with pytest.raises(ValidationError, match=name):
            GatewaySettings(**{**REQUIRED, name: value})

    @pytest.mark.parametrize("secret", ["changeme", "change-me-" + "x" * 40, "short"])
    def test_placeholder_or_short_secret_is_refused(self, secret: str) -> None:
        with pytest.raises(ValidationError, match="internal_token_secret"):
            GatewaySettings(**{**REQUIRED, "internal_token_secret": secret})

    @pytest.mark.parametrize("url", ["127.0.0.1:8001", "ftp://x", "http://x/?a=1"])
    def test_service_url_must_be_an_http_base_url(self, url: str) -> None:
        with pytest.raises(ValidationError, match="donations_url"):
            GatewaySettings(**{**REQUIRED, "donations_url": url})

    def test_service_urls_are_required(self) -> None:
        values: dict[str, Any] = {k: v for k, v in REQUIRED.items() if k != "partners_url"}
        with pytest.raises(ValidationError, match="partners_url"):
            GatewaySettings(**values)
