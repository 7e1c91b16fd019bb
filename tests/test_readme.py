"""The README's settings table names every setting the apps read, and nothing else; the
project's documents stand on their own and their links lead somewhere."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest

from fnet.apps import APPS
from fnet.cli import _parser

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


DOCS = [README, *sorted((README.parent / "docs").glob("*.md"))]


@pytest.mark.parametrize("document", DOCS, ids=lambda p: p.name)
def test_links_stay_inside_the_project_and_lead_somewhere(document: Path) -> None:
    text = document.read_text(encoding="utf-8")
    # Documents outside the repository (a workspace's design notes) are not the project's.
    assert re.search(r"(\.\./)+shared\b|`shared/", text) is None
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
        if re.match(r"[a-z]+:", target):
            continue
        assert (document.parent / target).exists(), f"{document.name} links to {target}"


def test_the_readme_points_at_the_architecture() -> None:
    assert "(docs/architecture.md)" in README.read_text(encoding="utf-8")


def test_the_replay_command_is_written_as_the_cli_takes_it() -> None:
    development = (README.parent / "docs" / "development.md").read_text(encoding="utf-8")
    assert "`fnet events replay DEAD_LETTER_ID [--app APP]`" in development
    args = _parser().parse_args(["events", "replay", str(uuid.uuid4()), "--app", "donations"])
    assert (args.events_command, args.app) == ("replay", "donations")
