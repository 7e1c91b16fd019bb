from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from kit.settings import ServiceSettings


class NetworkSettings(ServiceSettings):
    """Read from ``FNET_NETWORK_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="FNET_NETWORK_", extra="ignore", frozen=True)

    sync_poll_interval_seconds: float = Field(
        default=1.0,
        gt=0,
        le=30,
        description="how often a waiting long poll of the sync feed reads again, for changes "
        "committed by another replica (changes made in its own process wake it at once)",
    )
    webhook_retry_schedule_seconds: tuple[float, ...] = Field(
        default=(5, 300, 1800, 7200, 18000, 36000, 36000),
        min_length=1,
        description="delays before each retry of a failed webhook delivery (then it fails); "
        "Standard Webhooks' schedule, over about a day",
    )
    webhook_retry_jitter: float = Field(
        default=0.2, ge=0, le=1, description="spread of each retry delay: 0.2 is ±20 %"
    )
    webhook_timeout_seconds: float = Field(
        default=10.0, gt=0, description="time a receiver has to answer a delivery"
    )
    webhook_poll_interval_seconds: float = Field(
        default=1.0, gt=0, description="how often the sender looks for due deliveries"
    )
    webhook_allow_private_targets: bool = Field(
        default=False,
        description="let webhooks go to private, loopback and link-local addresses (only for "
        "development and tests: it lets members reach the service's own network)",
    )
