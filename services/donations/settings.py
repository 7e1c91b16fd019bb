from __future__ import annotations

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from kit.settings import ServiceSettings
from services.donations.log.signing import load_signer


class DonationsSettings(ServiceSettings):
    """Read from ``FNET_DONATIONS_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="FNET_DONATIONS_", extra="ignore", frozen=True)

    log_signing_key: SecretStr | None = Field(
        default=None,
        description="the Ed25519 key that signs the transparency log's tree heads: the base64 "
        "of a 32-byte seed (`fnet log keygen`); without it, a new key each start",
    )
    log_interval_seconds: float = Field(
        default=0.1,
        gt=0,
        le=10,
        description="how often the log's sequencer looks for new entries when it is idle",
    )

    @field_validator("log_signing_key")
    @classmethod
    def _signing_key_is_usable(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            load_signer(value)
        return value
