"""The README's settings table names every setting the apps read, and nothing else."""

from __future__ import annotations

import re
from pathlib import Path

from fnet.apps import APPS

README = Path(__file__).resolve().parents[1] / "README.md"


def documented() -> set[str]:
    table = README.read_text(encoding="utf-8").split("## Settings", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for row in re.findall(r"^\| (`[A-Z_]+`(?:, `[A-Z_]+`)*) \|", table, re.MULTILINE):
        names |= set(re.findall(r"`([A-Z_]+)`", row))
    return names


def test_every_setting_is_documented_and_every_documented_one_exists() -> None:
    read = {field.upper() for app in APPS for field in app.settings_class.model_fields}
    assert documented() == read


def test_the_two_commands_exist() -> None:
    text = README.read_text(encoding="utf-8")
    for command in ("./scripts/up", "./scripts/test"):
        assert command in text
        assert (README.parent / command).stat().st_mode & 0o111, f"{command} is not executable"
