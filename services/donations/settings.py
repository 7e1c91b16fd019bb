from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from kit.settings import ServiceSettings


class DonationsSettings(ServiceSettings):
    """Read from ``FNET_DONATIONS_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="FNET_DONATIONS_", extra="ignore", frozen=True)
