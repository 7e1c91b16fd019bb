from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from kit.settings import ServiceSettings


class NetworkSettings(ServiceSettings):
    """Read from ``FNET_NETWORK_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="FNET_NETWORK_", extra="ignore", frozen=True)
