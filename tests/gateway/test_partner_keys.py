"""``POST /api/v1/partners/{partner_id}/api-keys``: the gateway makes a partner's key once
the partners service, asked as the caller, confirms the partner is the caller's
foundation's; the key then reaches only the partner's own part."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from kit.db import Database
from kit.identity import PrincipalKind, Scope
from tests.gateway.conftest import GatewayFactory
from tests.gateway.factories import Key, new_key


@pytest.fixture
async def gateway(
    make_gateway: GatewayFactory, partners_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    async with make_gateway(partners_url=partners_url) as client:
        yield client


async def partner(gateway: httpx.AsyncClient, key: Key, name: str = "妈妈幸福学习园") -> str:
    response = await gateway.post(
        "/api/v1/partners",
        json={"name": name, "kind": "social_organisation"},
        headers=key.headers,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def make_key(
    gateway: httpx.AsyncClient, key: Key | dict[str, str], partner_id: str
) -> httpx.Response:
    headers = key.headers if isinstance(key, Key) else key
    return await gateway.post(
        f"/api/v1/partners/{partner_id}/api-keys", json={"name": "radio"}, headers=headers
    )


class TestMakePartnerKey:
    async def test_the_key_is_shown_once_and_reaches_only_the_partner_s_part(
        self, gateway: httpx.AsyncClient, key: Key
    ) -> None:
        radio = await partner(gateway, key)
        made = await make_key(gateway, key, radio)
        assert made.status_code == 201, made.text
        body: dict[str, Any] = made.json()
        assert body["kind"] == PrincipalKind.PARTNER.value
        assert body["partner_id"] == radio
        assert body["organisation_id"] == str(key.organisation_id)
        assert sorted(body["scopes"]) == sorted([Scope.PARTNERS_READ, Scope.PARTNERS_WRITE])

        own = {"X-API-Key": body["key"]}
        assert (await gateway.get(f"/api/v1/partners/{radio}", headers=own)).status_code == 200
        assert (await gateway.get("/api/v1/collaborations", headers=own)).status_code == 200
        assert (await gateway.get("/api/v1/partners", headers=own)).status_code == 403
        # A partner's key makes no keys, not even its own.
        assert (await make_key(gateway, own, radio)).status_code == 403

    async def test_another_foundation_s_or_an_unknown_partner_is_404_and_makes_nothing(
        self, gateway: httpx.AsyncClient, gateway_database: Database, key: Key
    ) -> None:
        other = await new_key(gateway_database, organisation_id=uuid.uuid4())
        theirs = await partner(gateway, other, name="踏实玩乐")
        for partner_id in (theirs, str(uuid.uuid4())):
            response = await make_key(gateway, key, partner_id)
            assert response.status_code == 404, response.text
            assert response.headers["content-type"] == "application/problem+json"

    async def test_an_archived_partner_gets_no_key(
        self, gateway: httpx.AsyncClient, key: Key
    ) -> None:
        radio = await partner(gateway, key)
        archived = await gateway.post(f"/api/v1/partners/{radio}/archive", headers=key.headers)
        assert archived.status_code == 200
        assert (await make_key(gateway, key, radio)).status_code == 409

    async def test_needs_a_key_with_partners_write(
        self, gateway: httpx.AsyncClient, gateway_database: Database, key: Key
    ) -> None:
        radio = await partner(gateway, key)
        reader = await new_key(
            gateway_database,
            organisation_id=key.organisation_id,
            scopes=frozenset({Scope.PARTNERS_READ}),
        )
        assert (await make_key(gateway, reader, radio)).status_code == 403
        assert (await make_key(gateway, {}, radio)).status_code == 401

    async def test_the_route_is_in_the_api_document(self, gateway: httpx.AsyncClient) -> None:
        document = (await gateway.get("/openapi.json")).json()
        assert "post" in document["paths"]["/api/v1/partners/{partner_id}/api-keys"]
