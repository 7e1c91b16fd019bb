from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from kit.settings import ServiceSettings


class PartnersSettings(ServiceSettings):
    """Read from ``FNET_PARTNERS_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="FNET_PARTNERS_", extra="ignore", frozen=True)
