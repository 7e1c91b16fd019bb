"""The merged API document at /openapi.json and the reference at /docs."""

from __future__ import annotations

import copy
import re
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

from fnet.apps import SERVICES
from gateway.openapi import merge_documents
from gateway.routes import ROUTES, RouteTable
from kit.idempotency import KEY_PATTERN, MAX_KEY_LENGTH
from kit.money import AMOUNT_IN_PATTERN, AMOUNT_PATTERN, CURRENCY_PATTERN
from services.donations.ledger.conversions.schemas import RATE_PATTERN
from tests.gateway.conftest import GatewayFactory
from tests.gateway.servers import free_port, serving
from tests.gateway.upstreams import fake_network_app
from tests.support import TEST_SECRET

TABLE = RouteTable(ROUTES, {"donations": "http://d", "partners": "http://p", "network": "http://n"})


def refs_in(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for value in node.values() for r in refs_in(value)]
    if isinstance(node, list):
        return [r for item in node for r in refs_in(item)]
    return []


def resolves(document: dict[str, Any], ref: str) -> bool:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def assert_every_ref_resolves(document: dict[str, Any]) -> None:
    dangling = [r for r in refs_in(document) if not resolves(document, r)]
    assert dangling == []


class TestMergedDocument:
    async def test_has_the_services_paths_security_and_the_gateways_own(
        self, gateway: httpx.AsyncClient
    ) -> None:
        response = await gateway.get("/openapi.json")
        assert response.status_code == 200
        document = response.json()
        paths = document["paths"]

        assert "/api/v1/campaigns" in paths
        assert "/api/v1/campaigns/{campaign_id}/donations" in paths
        assert {"/healthz", "/readyz", "/metrics"} <= set(paths)
        assert not {"/openapi.json", "/docs"} & set(paths)
        schemes = document["components"]["securitySchemes"]
        assert set(schemes) == {"ApiKey", "BearerKey", "PersonToken"}
        assert schemes["ApiKey"]["name"] == "X-API-Key"
        assert schemes["PersonToken"]["bearerFormat"] == "JWT"
        assert document["security"] == [{"ApiKey": []}, {"BearerKey": []}, {"PersonToken": []}]
        assert paths["/healthz"]["get"]["security"] == []
        assert "401" in paths["/api/v1/campaigns"]["post"]["responses"]
        # Each operation names the scopes it needs, under every scheme.
        assert paths["/api/v1/campaigns"]["post"]["security"] == [
            {"ApiKey": ["campaigns:write"]},
            {"BearerKey": ["campaigns:write"]},
            {"PersonToken": ["campaigns:write"]},
        ]
        assert "403" in paths["/api/v1/campaigns"]["post"]["responses"]
        assert paths["/api/v1/auth/login"]["post"]["security"] == []
        assert paths["/api/v1/api-keys"]["get"]["security"] == [{"PersonToken": []}]
        assert {"campaigns", "donations", "operations"} <= {t["name"] for t in document["tags"]}
        assert_every_ref_resolves(document)

    async def test_a_service_that_is_down_is_left_out_and_asked_again(
        self, make_gateway: GatewayFactory
    ) -> None:
        port = free_port()
        async with make_gateway(network_url=f"http://127.0.0.1:{port}") as gateway:
            partial = (await gateway.get("/openapi.json")).json()
            async with serving(fake_network_app(), port=port):
                fuller = (await gateway.get("/openapi.json")).json()

        assert "network" in partial["info"]["description"]
        assert "/api/v1/foundations" not in partial["paths"]
        assert "/api/v1/campaigns" in partial["paths"]
        assert "/api/v1/foundations" in fuller["paths"]
        # partners is still down, and still named; network no longer is.
        missing = fuller["info"]["description"].split("**Incomplete copy:**")[1]
        assert "partners" in missing
        assert "network" not in missing

    async def test_a_complete_document_is_reused(self, make_gateway: GatewayFactory) -> None:
        network, partners = free_port(), free_port()
        async with make_gateway(
            network_url=f"http://127.0.0.1:{network}", partners_url=f"http://127.0.0.1:{partners}"
        ) as gateway:
            async with (
                serving(fake_network_app(), port=network),
                serving(fake_network_app(), port=partners),
            ):
                first = (await gateway.get("/openapi.json")).json()
            again = (await gateway.get("/openapi.json")).json()  # every service is gone now
        assert "Incomplete copy" not in first["info"]["description"]
        assert again == first

    async def test_clashing_schema_names_are_kept_apart(self, make_gateway: GatewayFactory) -> None:
        async with (
            serving(fake_network_app()) as network_url,
            make_gateway(network_url=network_url) as gateway,
        ):
            document = (await gateway.get("/openapi.json")).json()

        schemas = document["components"]["schemas"]
        assert "foundation_id" in schemas["CampaignRead"]["properties"]
        assert schemas["network_CampaignRead"] == {
            "type": "object",
            "properties": {"name": {"type": "string"}},
        }
        items = schemas["FoundationPage"]["properties"]["items"]["items"]
        assert items == {"$ref": "#/components/schemas/network_CampaignRead"}
        assert "/api/v1/elsewhere" not in document["paths"]
        assert_every_ref_resolves(document)

    async def test_docs_page_loads_the_merged_document(self, gateway: httpx.AsyncClient) -> None:
        response = await gateway.get("/docs")
        assert response.status_code == 200
        assert "text/html" in response.headers["content-type"]
        assert "/openapi.json" in response.text


OWN: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "gw", "version": "1"},
    "paths": {"/healthz": {"get": {"responses": {"200": {"description": "ok"}}}}},
}


def service_document(schemas: dict[str, Any], path: str = "/api/v1/campaigns") -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "s", "version": "1"},
        "paths": {
            path: {
                "get": {
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Outer"}
                                }
                            },
                        }
                    }
                }
            }
        },
        "components": {"schemas": copy.deepcopy(schemas)},
    }


class TestMergeDocuments:
    def test_identical_schemas_are_shared(self) -> None:
        schemas = {"Outer": {"type": "object"}, "Money": {"type": "string"}}
        merged = merge_documents(
            OWN,
            {
                "donations": service_document(schemas),
                "network": service_document(schemas, "/api/v1/foundations"),
            },
            TABLE,
        )
        assert set(merged["components"]["schemas"]) >= {"Outer", "Money"}
        assert not any(name.startswith("network_") for name in merged["components"]["schemas"])

    def test_a_clash_renames_the_schema_and_those_that_refer_to_it(self) -> None:
        first = {"Outer": {"$ref": "#/components/schemas/Inner"}, "Inner": {"type": "string"}}
        second = {"Outer": {"$ref": "#/components/schemas/Inner"}, "Inner": {"type": "integer"}}
        merged = merge_documents(
            OWN,
            {
                "donations": service_document(first),
                "network": service_document(second, "/api/v1/foundations"),
            },
            TABLE,
        )
        schemas = merged["components"]["schemas"]
        assert schemas["network_Inner"] == {"type": "integer"}
        # Outer only differs through Inner, and is renamed all the same.
        assert schemas["network_Outer"] == {"$ref": "#/components/schemas/network_Inner"}
        operation = merged["paths"]["/api/v1/foundations"]["get"]
        schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/network_Outer"}
        assert_every_ref_resolves(merged)

    def test_paths_the_route_table_does_not_send_to_the_service_are_left_out(self) -> None:
        document = service_document({"Outer": {}}, "/api/v1/partners")
        merged = merge_documents(OWN, {"donations": document}, TABLE)
        assert "/api/v1/partners" not in merged["paths"]

    def test_the_inputs_are_not_changed(self) -> None:
        document = service_document({"Outer": {"type": "object"}})
        before = copy.deepcopy(document)
        merge_documents(OWN, {"donations": document}, TABLE)
        assert document == before


def _merged_from_the_real_services() -> dict[str, Any]:
    documents = {}
    for spec in SERVICES:
        settings = spec.settings_class(
            database_url="sqlite+aiosqlite:///:memory:", internal_token_secret=TEST_SECRET
        )
        documents[spec.name] = spec.factory(settings).openapi()
    return merge_documents({"openapi": "3.1.0", "info": {"title": "t"}}, documents, TABLE)


class TestForGeneratedClients:
    document = _merged_from_the_real_services()

    def operations(self) -> list[tuple[str, str, dict[str, Any]]]:
        return [
            (path, method, operation)
            for path, item in self.document["paths"].items()
            for method, operation in item.items()
            if isinstance(operation, dict) and "responses" in operation
        ]

    def test_operation_ids_are_unique_function_names(self) -> None:
        ids = [operation["operationId"] for _, _, operation in self.operations()]
        assert len(ids) > 100
        assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
        assert [i for i in ids if not re.fullmatch(r"[a-z][a-z0-9_]*", i) or "api_v1" in i] == []
        assert "record_donation" in ids

    def test_every_operation_documents_what_the_gateway_may_answer(self) -> None:
        for path, method, operation in self.operations():
            statuses = {"429", "502", "503", "504"} | (
                {"413"} if "requestBody" in operation else set()
            )
            for status in statuses:
                answer = operation["responses"].get(status)
                assert answer is not None, (method, path, status)
                assert "application/problem+json" in answer["content"], (method, path, status)

    def test_every_schema_has_a_unique_readable_title(self) -> None:
        schemas = self.document["components"]["schemas"]
        titles = [schema.get("title", name) for name, schema in schemas.items()]
        assert [name for name in schemas if "__" in name] == []
        assert len(titles) == len(set(titles)), sorted(t for t in titles if titles.count(t) > 1)

    def test_answers_mark_every_field_they_send_as_required(self) -> None:
        # Every answer model is serialised whole (a problem document too: instance is null
        # rather than left out), so each member an answer's schema names is always there.
        assert optional_answer_fields(self.document) == []

    def test_no_route_leaves_members_out_of_its_answers(self) -> None:
        for spec in SERVICES:
            settings = spec.settings_class(
                database_url="sqlite+aiosqlite:///:memory:", internal_token_secret=TEST_SECRET
            )
            for route in spec.factory(settings).routes:
                if isinstance(route, APIRoute):
                    assert not route.response_model_exclude_none, route.path
                    assert not route.response_model_exclude_unset, route.path
                    assert not route.response_model_exclude_defaults, route.path

    def test_money_currencies_and_rates_carry_the_patterns_the_api_accepts(self) -> None:
        schemas = self.document["components"]["schemas"]
        assert schemas["MoneyOut"]["properties"]["amount"]["pattern"] == AMOUNT_PATTERN
        assert schemas["MoneyIn"]["properties"]["amount"]["pattern"] == AMOUNT_IN_PATTERN
        currencies = [
            (name, field, prop)
            for name, schema in schemas.items()
            for field, prop in schema.get("properties", {}).items()
            if (field == "currency" or field.endswith("_currency")) and prop.get("type") == "string"
        ]
        assert len(currencies) > 5
        assert [c for c in currencies if c[2].get("pattern") != CURRENCY_PATTERN] == []
        rates = [schemas[n]["properties"]["rate"] for n in ("ConversionCreate", "ConversionRead")]
        assert [rate["pattern"] for rate in rates] == [RATE_PATTERN, RATE_PATTERN]

    @pytest.mark.parametrize(
        ("pattern", "accepted", "refused"),
        [
            (AMOUNT_IN_PATTERN, ["0", "12.50", "20670.18"], ["-1", "007", "1e3", "12.", " 1"]),
            (AMOUNT_PATTERN, ["-12.50", "0.00", "3"], ["+1", "1.2.3", "1,000.00"]),
            (CURRENCY_PATTERN, ["CNY", "HKD", "JPY"], ["cny", "XXX", "CNYX"]),
            (RATE_PATTERN, ["0.9123", "7", "123456789012.5"], ["-1", ".5", "1234567890123"]),
            (KEY_PATTERN, ["first-donation-1", "a b"], ["", "é", "x" * 256]),
        ],
    )
    def test_the_patterns_match_what_the_api_accepts(
        self, pattern: str, accepted: list[str], refused: list[str]
    ) -> None:
        assert [a for a in accepted if not re.search(pattern, a)] == []
        assert [r for r in refused if re.search(pattern, r)] == []

    def test_idempotency_keys_carry_the_pattern_the_server_accepts(self) -> None:
        keys = [
            parameter["schema"]
            for _, _, operation in self.operations()
            for parameter in operation.get("parameters", [])
            if parameter["name"] == "Idempotency-Key"
        ]
        assert len(keys) > 10
        for schema in keys:
            assert schema["type"] == "string"
            assert (schema["minLength"], schema["maxLength"]) == (1, MAX_KEY_LENGTH)
            assert schema["pattern"] == KEY_PATTERN

    def test_a_disclosure_holds_a_typed_report(self) -> None:
        report = self.document["components"]["schemas"]["DisclosureRead"]["properties"]["report"]
        assert report["$ref"] == "#/components/schemas/ReportRead"

    def test_the_csv_import_is_documented_as_a_form_with_the_file(self) -> None:
        operation = self.document["paths"]["/api/v1/campaigns/{campaign_id}/donations/imports"]
        content = operation["post"]["requestBody"]["content"]
        assert list(content) == ["multipart/form-data"]
        schema = content["multipart/form-data"]["schema"]
        assert schema["required"] == ["file"]
        assert schema["properties"]["file"] == {**schema["properties"]["file"], "format": "binary"}


def answer_schemas(document: dict[str, Any]) -> set[str]:
    """The names of the schemas some answer holds, directly or inside another."""
    schemas = document["components"]["schemas"]
    prefix = "#/components/schemas/"
    pending = [
        ref.removeprefix(prefix)
        for item in document["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict)
        for ref in refs_in(operation.get("responses", {}))
    ]
    found: set[str] = set()
    while pending:
        name = pending.pop()
        if name not in found:
            found.add(name)
            pending += [ref.removeprefix(prefix) for ref in refs_in(schemas[name])]
    return found


def optional_answer_fields(document: dict[str, Any]) -> list[str]:
    """``Schema.field`` for each member of an answer's schema that is not required."""
    schemas = document["components"]["schemas"]
    return sorted(
        f"{name}.{field}"
        for name in answer_schemas(document)
        for field in schemas[name].get("properties", {})
        if field not in schemas[name].get("required", [])
    )
