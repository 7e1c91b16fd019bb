from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from kit.settings import AppSettings


class GatewaySettings(AppSettings):
    """Read from ``FNET_GATEWAY_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="FNET_GATEWAY_", extra="ignore", frozen=True)

    donations_url: str = Field(description="base URL of the donations service")
    partners_url: str = Field(description="base URL of the partners service")
    network_url: str = Field(description="base URL of the network service")
    upstream_connect_timeout_seconds: float = Field(
        default=2.0, gt=0, description="time to open a TCP connection to a service"
    )
    upstream_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="time to a service's response headers, and between two reads of its body",
    )
    upstream_keepalive_seconds: float = Field(
        default=4.0,
        gt=0,
        description="how long an idle upstream connection is kept; keep it below the "
        "services' own idle timeout (uvicorn's --timeout-keep-alive, 5 s by "
        "default) so the gateway never reuses a connection the service closed",
    )
    upstream_max_connections: int = Field(
        default=512, ge=1, description="open connections to all services together"
    )
    max_request_bytes: int = Field(
        default=1_048_576, ge=0, description="largest request body forwarded; larger is 413"
    )
    max_import_bytes: int = Field(
        default=5 * 1_048_576,
        ge=0,
        description="largest body of a CSV import (routes.IMPORTS: POST "
        "/api/v1/campaigns/{id}/donations/imports), in place of max_request_bytes; "
        "larger is 413",
    )
    import_timeout_seconds: float = Field(
        default=120.0,
        gt=0,
        description="time to a CSV import's response headers (a large file is recorded "
        "in one transaction), in place of upstream_timeout_seconds; also the time a long "
        "poll of the sync feed (routes.LONG_POLLS, held up to 30 s) may take: keep it above 30",
    )
    key_cache_seconds: float = Field(
        default=2.0,
        ge=0,
        description="how long a verified API key is trusted before the database is read "
        "again; a key revoked by another process stops working within this time",
    )
    openapi_cache_seconds: float = Field(
        default=300.0, ge=0, description="how long the merged OpenAPI document is reused"
    )
    # People and revocations (gateway.identity).
    access_token_seconds: int = Field(
        default=600, ge=30, le=3600, description="lifetime of a person's access token"
    )
    refresh_token_seconds: int = Field(
        default=30 * 24 * 3600,
        ge=300,
        description="longest life of a sign-in's session (its refresh tokens)",
    )
    login_lock_after: int = Field(
        default=10, ge=2, description="failed sign-ins in a row that lock an account"
    )
    login_lock_seconds: int = Field(
        default=900, ge=1, description="how long a locked account stays locked"
    )
    bus_url: str = Field(
        default="memory://",
        description="where revocations reach the other gateway replicas: nats://host:port "
        "(the services' NATS); memory:// for one gateway alone or under fnet up",
    )
    bus_subject_prefix: str = Field(
        default="fnet", pattern=r"^[A-Za-z0-9_-]+$", description="as the services' setting"
    )

    @field_validator("bus_url")
    @classmethod
    def _known_bus(cls, value: str) -> str:
        if value != "memory://" and not value.startswith(("nats://", "tls://")):
            raise ValueError("must be memory:// or nats://host:port")
        return value

    @field_validator("donations_url", "partners_url", "network_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// base URL, e.g. http://127.0.0.1:8001")
        if "?" in value or "#" in value:
            raise ValueError("must be a base URL without query or fragment")
        return value
