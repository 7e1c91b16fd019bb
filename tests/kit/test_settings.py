from __future__ import annotations

import pytest
from pydantic import ValidationError

from kit.settings import AppSettings

URL = "sqlite+aiosqlite:///x.db"


@pytest.mark.parametrize("secret", ["changeme", "secret", "short", "changeme" * 5])
def test_refuses_placeholder_or_short_secrets(secret: str) -> None:
    with pytest.raises(ValidationError, match="internal_token_secret"):
        AppSettings(database_url=URL, internal_token_secret=secret)


def test_requires_a_secret_and_a_database() -> None:
    with pytest.raises(ValidationError) as info:
        AppSettings()
    missing = {e["loc"][0] for e in info.value.errors()}
    assert missing == {"database_url", "internal_token_secret"}


def test_refuses_sync_drivers() -> None:
    with pytest.raises(ValidationError, match="async driver"):
        AppSettings(database_url="postgresql://x/y", internal_token_secret="k" * 40)


def test_secret_never_printed() -> None:
    settings = AppSettings(database_url=URL, internal_token_secret="k" * 40)
    assert "k" * 40 not in repr(settings)
