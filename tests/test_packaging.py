"""The distribution's metadata as setuptools reads it, without deprecation warnings."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

PYPROJECT = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())


def test_the_license_is_an_spdx_expression() -> None:
    # A TOML table ({text = ...}) is deprecated since setuptools 77 and warns at every install.
    assert PYPROJECT["project"]["license"] == "Apache-2.0"


def test_the_build_needs_a_setuptools_that_reads_spdx_licenses() -> None:
    [requirement] = [r for r in PYPROJECT["build-system"]["requires"] if "setuptools" in r]
    match = re.fullmatch(r"setuptools>=(\d+)(?:\.\d+)*", requirement)
    assert match is not None, requirement
    assert int(match.group(1)) >= 77
