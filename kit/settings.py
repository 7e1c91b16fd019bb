"""Settings shared by every app.

Each app subclasses :class:`AppSettings` with its own environment prefix
(``FNET_DONATIONS_``, ``FNET_GATEWAY_``...). Secrets have no defaults: an app started
without them, or with a placeholder, refuses to start.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Values people paste from examples. A secret equal to one of these (or too short to
# resist guessing) means the operator forgot to set a real one.
PLACEHOLDER_SECRETS = frozenset(
    {"changeme", "change-me", "change_me", "secret", "password", "example", "placeholder", "xxx"}
)
MIN_SECRET_LENGTH = 32


def check_secret(value: SecretStr) -> SecretStr:
    raw = value.get_secret_value()
    lowered = raw.strip().lower()
    if lowered in PLACEHOLDER_SECRETS or any(word in lowered for word in ("changeme", "change-me")):
        raise ValueError("is a placeholder; set a real random secret (e.g. `openssl rand -hex 32`)")
    if len(raw) < MIN_SECRET_LENGTH:
        raise ValueError(f"must be at least {MIN_SECRET_LENGTH} characters long")
    return value


class AppSettings(BaseSettings):
    """What every app reads: where its database is, how to sign or verify identity, logging."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    database_url: str = Field(
        description="SQLAlchemy async URL: postgresql+asyncpg://... or sqlite+aiosqlite:///path"
    )
    internal_token_secret: SecretStr = Field(
        description="HMAC key shared by the gateway and the services to sign identity tokens"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    json_logs: bool = True
    migrate_on_start: bool = Field(
        default=False, description="apply this app's migrations when it starts"
    )
    db_pool_size: int = Field(
        default=20,
        ge=1,
        le=200,
        description="PostgreSQL connections this process keeps open (no overflow beyond it); "
        "all replicas together must stay under the server's max_connections. 20 is the "
        "ceiling the pool had before (10 kept and 10 opened per request); a burst of 50 "
        "requests behind one idempotency key needs that many to finish within a few seconds",
    )
    db_pool_timeout_seconds: float = Field(
        default=3.0,
        gt=0,
        le=60,
        description="how long a request waits for a free pooled connection before it is "
        "answered 503 with Retry-After",
    )

    @field_validator("internal_token_secret")
    @classmethod
    def _secret_is_real(cls, value: SecretStr) -> SecretStr:
        return check_secret(value)

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        if not value.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
            raise ValueError(
                "must use an async driver: postgresql+asyncpg:// or sqlite+aiosqlite://"
            )
        return value


class ServiceSettings(AppSettings):
    """What every service (not the gateway) reads besides :class:`AppSettings`: its bus."""

    bus_url: str = Field(
        default="memory://",
        description="the event bus: nats://host:port (NATS JetStream), or memory:// for the "
        "in-memory bus, which only works when one process embeds every app (fnet up)",
    )
    bus_stream: str = Field(
        default="FNET",
        pattern=r"^[A-Za-z0-9_-]+$",
        description="the JetStream stream; another name keeps deployments sharing a NATS apart",
    )
    bus_subject_prefix: str = Field(
        default="fnet",
        pattern=r"^[A-Za-z0-9_-]+$",
        description="subjects are <prefix>.<event type>",
    )

    @field_validator("bus_url")
    @classmethod
    def _known_bus(cls, value: str) -> str:
        if value != "memory://" and not value.startswith(("nats://", "tls://")):
            raise ValueError("must be memory:// or nats://host:port")
        return value
