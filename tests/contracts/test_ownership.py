"""Each event contract lives in its producer's module: ``<service>.<entity>.<verb>`` is
defined in ``contracts.<service>``, and ``<service>`` is a service that exists. The import
rules around the package (it imports only kit; its modules import none of each other) are
import-linter contracts, checked by tests/test_boundaries.py."""

from __future__ import annotations

import pkgutil
from pathlib import Path

from jsonschema import Draft202012Validator

import contracts
from kit.events import export_schemas
from kit.events.contracts import all_contracts

ROOT = Path(__file__).resolve().parents[2]
SERVICES = {p.name for p in (ROOT / "services").iterdir() if (p / "app.py").is_file()}


def test_every_contract_is_defined_in_its_producers_module() -> None:
    misplaced = [
        f"{found.type} v{found.version} is defined in {found.model.__module__}"
        for found in all_contracts()
        if found.model.__module__ != f"contracts.{found.type.split('.')[0]}"
    ]

    assert all_contracts()
    assert misplaced == []


def test_there_is_one_contracts_module_per_service_and_the_package_imports_each() -> None:
    modules = {m.name for m in pkgutil.iter_modules(contracts.__path__)}

    assert modules == SERVICES
    assert set(contracts.__all__) == SERVICES


def test_every_contract_is_published_as_a_valid_json_schema() -> None:
    schemas = export_schemas()

    assert set(schemas) == {found.key for found in all_contracts()}
    for schema in schemas.values():
        Draft202012Validator.check_schema(schema)
