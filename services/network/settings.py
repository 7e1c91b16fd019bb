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
