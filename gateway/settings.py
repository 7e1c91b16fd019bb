from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from gateway.routes import SERVICES
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
        default=15.0,
        gt=0,
        description="time to a service's response headers, and between two reads of its "
        "body. Keep it above the longest wait a service documents, or its answer is cut "
        "off by a 504: a duplicate of an Idempotency-Key in progress waits up to 10 s "
        "(kit.idempotency.IN_PROGRESS_WAIT_SECONDS) for the first request, after up to "
        "3 s for a database connection (db_pool_timeout_seconds), before its 409",
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
    mobile_part_timeout_seconds: float = Field(
        default=3.0,
        gt=0,
        description="GET /api/v1/mobile/home asks the services at once; each part (a "
        "service's share of the answer) is given up after this long and named in the "
        "answer's degraded list, so the screen comes back within about this time",
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

    # The edge: rate limits, resilience, CORS and security headers (docs/gateway.md).
    service_timeout_seconds: dict[str, float] = Field(
        default_factory=dict,
        description="upstream_timeout_seconds for one service, in its place, as JSON: "
        '{"donations": 20}; each must stay above the services\' own waits, as '
        "upstream_timeout_seconds must (the gateway warns at start-up if one does not)",
    )
    upstream_retries: int = Field(
        default=2,
        ge=0,
        le=5,
        description="further attempts of a request the service did not answer (connection "
        "refused or reset) or answered 503, only if it is safe to repeat: a GET or HEAD, or "
        "a request with an Idempotency-Key and a body the gateway still holds",
    )
    upstream_retry_backoff_seconds: float = Field(
        default=0.05,
        ge=0,
        description="wait before the first retry, doubled for each next one, with jitter "
        "(a random 50-100 % of it)",
    )
    breaker_failures: int = Field(
        default=5,
        ge=1,
        description="consecutive failures of a service (no connection, no answer in time, "
        "503) that open its circuit breaker: for breaker_open_seconds the gateway answers "
        "503 at once without calling it",
    )
    breaker_open_seconds: float = Field(
        default=5.0,
        gt=0,
        description="how long an open breaker refuses before it lets one probe request "
        "through (half-open); the probe's success closes it, its failure opens it again",
    )
    rate_limit_storage_url: str = Field(
        default="memory://",
        description="where rate-limit counters live: memory:// (this process only; the "
        "embedded default) or redis://host:port/db (rediss:// for TLS), shared by every "
        "gateway replica so that they hold one limit together",
    )
    rate_limit_key_prefix: str = Field(
        default="fnet-ratelimit",
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="prefix of the gateway's keys in Redis; another one keeps deployments "
        "sharing a Redis apart",
    )
    rate_limit_per_principal: str = Field(
        default="600/minute",
        description="requests each principal (an API key, a signed-in person) may make, "
        "in the limits library's notation: 600/minute, 10/second;600/minute; empty for "
        "no limit",
    )
    rate_limit_per_address: str = Field(
        default="1200/minute",
        description="requests of public reads (no key) each client address may make, in "
        "the same notation; empty for no limit. Generous, since a monitor verifying a "
        "transparency log reads it one entry at a time (fnet verify waits out a 429). Behind "
        "a load balancer, run uvicorn with --forwarded-allow-ips naming it, or every client "
        "shares its address",
    )
    rate_limit_storage_timeout_seconds: float = Field(
        default=0.5,
        gt=0,
        description="longest wait for Redis on a request; a failure lets requests pass "
        "unlimited for a second (logged and counted) rather than refusing them",
    )
    cors_allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="origins whose browser pages may call the API, comma-separated: "
        "https://app.example.org,https://admin.example.org; * for any; empty for none",
    )
    cors_allow_credentials: bool = Field(
        default=False,
        description="answer Access-Control-Allow-Credentials: true to the allowed origins "
        "(only for cookies; API keys and tokens travel in headers and need none of it)",
    )
    cors_max_age_seconds: int = Field(
        default=600, ge=0, description="how long a browser may reuse a preflight's answer"
    )
    hsts_seconds: int = Field(
        default=0,
        ge=0,
        description="Strict-Transport-Security max-age sent on every answer; 0 sends none. "
        "Set it (e.g. 31536000) when clients reach the gateway over HTTPS only",
    )

    @field_validator("cors_allowed_origins", mode="before")
    @classmethod
    def _origins(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part for part in (p.strip() for p in value.split(",")) if part]
        if isinstance(value, list):
            for origin in value:
                if origin != "*" and (
                    not isinstance(origin, str)
                    or not origin.startswith(("http://", "https://"))
                    or origin.rstrip("/").count("/") > 2
                ):
                    raise ValueError(
                        f"{origin!r} is not an origin: scheme, host and port only, e.g. "
                        "https://app.example.org"
                    )
            return [origin.rstrip("/") for origin in value]
        return value

    @field_validator("rate_limit_storage_url")
    @classmethod
    def _storage(cls, value: str) -> str:
        if value != "memory://" and not value.startswith(
            ("redis://", "rediss://", "redis+unix://")
        ):
            raise ValueError("must be memory:// or redis://host:port/db")
        return value

    @field_validator("rate_limit_per_principal", "rate_limit_per_address")
    @classmethod
    def _limits(cls, value: str) -> str:
        from limits import parse_many  # noqa: PLC0415 (read once, at start-up)

        if value.strip():
            try:
                parse_many(value)
            except ValueError as exc:
                raise ValueError(
                    "must be like 600/minute or 10/second;600/minute (or empty)"
                ) from exc
        return value

    @field_validator("service_timeout_seconds")
    @classmethod
    def _services(cls, value: dict[str, float]) -> dict[str, float]:
        for service, seconds in value.items():
            if service not in SERVICES:
                raise ValueError(f"{service!r} is not a service: {', '.join(SERVICES)}")
            if seconds <= 0:
                raise ValueError(f"the timeout of {service} must be positive")
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
