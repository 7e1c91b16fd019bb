"""Each service's API document says what its answers really are; the gateway merges them
into the public one."""

from __future__ import annotations

from typing import Any

import pytest

from kit.settings import AppSettings
from services.donations.app import create_app as donations_app
from services.donations.settings import DonationsSettings
from services.network.app import create_app as network_app
from services.network.settings import NetworkSettings
from services.partners.app import create_app as partners_app
from services.partners.settings import PartnersSettings
from tests.support import TEST_SECRET, AppFactory, client_for, principal

SERVICES: list[tuple[AppFactory, type[AppSettings]]] = [
    (donations_app, DonationsSettings),
    (partners_app, PartnersSettings),
    (network_app, NetworkSettings),
]
PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemDocument"}}}
READINESS = {"application/json": {"schema": {"$ref": "#/components/schemas/Readiness"}}}


async def document(create_app: AppFactory, settings_class: type[AppSettings]) -> dict[str, Any]:
    settings = settings_class(
        database_url="sqlite+aiosqlite:///:memory:", internal_token_secret=TEST_SECRET
    )
    async with client_for(create_app(settings), principal()) as client:
        response = await client.get("/openapi.json")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def operations(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{method.upper()} {path}", op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
    ]


@pytest.mark.parametrize(("create_app", "settings_class"), SERVICES)
async def test_every_error_answer_is_documented_as_problem_json(
    create_app: AppFactory, settings_class: type[AppSettings]
) -> None:
    doc = await document(create_app, settings_class)
    for name, op in operations(doc):
        errors = {s: r for s, r in op["responses"].items() if s.startswith(("4", "5"))}
        for status, response in errors.items():
            if (name, status) == ("GET /readyz", "503"):  # the readiness report, not a problem
                assert response["content"] == READINESS
                continue
            assert response.get("content") in (None, PROBLEM), f"{name} {status}"
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    assert "ProblemDocument" in doc["components"]["schemas"]


@pytest.mark.parametrize(("create_app", "settings_class"), SERVICES)
async def test_operations_that_validate_input_list_422_and_bodies_400(
    create_app: AppFactory, settings_class: type[AppSettings]
) -> None:
    doc = await document(create_app, settings_class)
    for name, op in operations(doc):
        if op.get("parameters") or "requestBody" in op:
            assert op["responses"]["422"]["content"] == PROBLEM, name
        if "requestBody" in op:
            assert op["responses"]["400"]["content"] == PROBLEM, name


@pytest.mark.parametrize(("create_app", "settings_class"), SERVICES)
async def test_the_idempotency_key_documents_what_is_accepted(
    create_app: AppFactory, settings_class: type[AppSettings]
) -> None:
    doc = await document(create_app, settings_class)
    for name, op in operations(doc):
        for parameter in op.get("parameters", []):
            if parameter["name"] == "Idempotency-Key":
                schema = parameter["schema"]
                assert (schema["minLength"], schema["maxLength"]) == (1, 255), name
                assert schema["pattern"] == "^[ -~]{1,255}$", name


@pytest.mark.parametrize(("create_app", "settings_class"), SERVICES)
async def test_routes_with_their_own_422s_still_list_the_validation_problem(
    create_app: AppFactory, settings_class: type[AppSettings]
) -> None:
    # A route declaring a 422 of its own (dated-in-future, say) also answers the
    # validation-error 422 for a malformed body; its document must say so too.
    doc = await document(create_app, settings_class)
    for name, op in operations(doc):
        if op.get("parameters") or "requestBody" in op:
            assert "The request is not valid" in op["responses"]["422"]["description"], name


@pytest.mark.parametrize(("create_app", "settings_class"), SERVICES)
async def test_operations_that_read_if_match_list_its_400(
    create_app: AppFactory, settings_class: type[AppSettings]
) -> None:
    # kit.etags refuses an If-Match that is no list of quoted tags with 400
    # malformed-if-match, on every route that reads it (found by Schemathesis).
    doc = await document(create_app, settings_class)
    reading = [
        (name, op)
        for name, op in operations(doc)
        if any(p["name"] == "If-Match" for p in op.get("parameters", []))
    ]
    assert reading
    for name, op in reading:
        bad = op["responses"]["400"]
        assert bad["content"] == PROBLEM, name
        assert "If-Match is not a list of quoted entity tags" in bad["description"], name
