"""The import boundaries of docs/architecture.md: kit imports no app, no service imports
another, the gateway imports no service; event contracts live in `contracts` (kit imports
none, they import only kit); the layers inside services/donations. The contracts live in
pyproject.toml ([tool.importlinter])."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from importlinter.cli import lint_imports_command; lint_imports_command()",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    count = len(declared["tool"]["importlinter"]["contracts"])
    assert f"{count} kept, 0 broken" in result.stdout


def test_a_broken_contract_is_detected(tmp_path: Path) -> None:
    """The checker can fail: a service importing another breaks the independence contract."""
    config = tmp_path / "contracts.toml"
    config.write_text(
        (ROOT / "pyproject.toml")
        .read_text(encoding="utf-8")
        .replace('source_modules = ["kit"]', 'source_modules = ["fnet"]'),
        encoding="utf-8",
    )
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from importlinter.cli import lint_imports_command; "
            f"lint_imports_command(['--config', '{config}'])",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "broken" in result.stdout
