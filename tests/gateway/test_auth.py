"""Who may pass the gateway, and what identity the services then see."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event, update
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.app import create_app
from gateway.keys.models import ApiKey
from kit.db import Database, utcnow
from kit.identity import IDENTITY_HEADER, PrincipalKind, Scope, TokenSigner, TokenVerifier
from tests.gateway.conftest import GatewayFactory, gateway_settings
from tests.gateway.factories import Key, new_key, revoke
from tests.gateway.upstreams import Recorder
from tests.support import TEST_SECRET, principal, running

ECHO = "/api/v1/foundations/echo"


def received(recorder: Recorder, name: str) -> list[str]:
    """The values of header ``name`` the stand-in service received in the last request."""
    return [v for k, v in recorder.requests[-1]["headers"] if k == name]


def assert_unauthorized(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")
    body: dict[str, Any] = response.json()
    return body


class TestMissingKey:
    async def test_is_401_with_a_bearer_challenge_and_reaches_no_service(
        self, gateway: httpx.AsyncClient, recorder: Recorder
    ) -> None:
        body = assert_unauthorized(await gateway.get(ECHO))
        assert body["type"] == "urn:fnet:problem:api-key-required"
        assert "X-API-Key" in body["detail"]
        assert recorder.requests == []

    async def test_another_authorization_scheme_is_401(
        self, gateway: httpx.AsyncClient, key: Key
    ) -> None:
        response = await gateway.get(ECHO, headers={"Authorization": f"Basic {key.plaintext}"})
        assert_unauthorized(response)


class TestPresentedKey:
    async def test_x_api_key_passes(self, gateway: httpx.AsyncClient, key: Key) -> None:
        assert (await gateway.get(ECHO, headers=key.headers)).status_code == 200

    async def test_authorization_bearer_passes(self, gateway: httpx.AsyncClient, key: Key) -> None:
        response = await gateway.get(ECHO, headers={"Authorization": f"Bearer {key.plaintext}"})
        assert response.status_code == 200

    async def test_wrong_secret_with_a_real_prefix_is_401(
        self, gateway: httpx.AsyncClient, key: Key
    ) -> None:
        assert (await gateway.get(ECHO, headers=key.headers)).status_code == 200  # now cached
        forged = key.plaintext[:-4] + ("aaaa" if not key.plaintext.endswith("aaaa") else "bbbb")
        body = assert_unauthorized(await gateway.get(ECHO, headers={"X-API-Key": forged}))
        assert body["type"] == "urn:fnet:problem:invalid-api-key"
        assert (
            'error="invalid_token"'
            in (await gateway.get(ECHO, headers={"X-API-Key": forged})).headers["www-authenticate"]
        )

    @pytest.mark.parametrize(
        "presented",
        [
            "nonsense",
            "fnet_",
            "fnet_abc_def",
            "fnet_ABCDEFGHIJKL_secret",
            "fnet_abcdefghijkl",
            "fnet_abcdefghijkl_",
            "fnet_abcdefghijkl_" + "x" * 300,
        ],
    )
    async def test_malformed_key_is_401(self, gateway: httpx.AsyncClient, presented: str) -> None:
        assert_unauthorized(await gateway.get(ECHO, headers={"X-API-Key": presented}))

    async def test_unknown_key_is_401(self, gateway: httpx.AsyncClient) -> None:
        unknown = "fnet_abcdefghijkl_" + "s" * 43
        assert_unauthorized(await gateway.get(ECHO, headers={"X-API-Key": unknown}))


class TestRevokedKey:
    async def test_revoked_through_the_service_is_refused_at_once(
        self, gateway: httpx.AsyncClient, gateway_database: Database, key: Key
    ) -> None:
        assert (await gateway.get(ECHO, headers=key.headers)).status_code == 200  # now cached
        await revoke(gateway_database, key)
        assert_unauthorized(await gateway.get(ECHO, headers=key.headers))

    async def test_revoked_elsewhere_is_refused_once_the_cache_expires(
        self, make_gateway: GatewayFactory, gateway_database: Database, key: Key
    ) -> None:
        async with make_gateway(key_cache_seconds=0.3) as gateway:
            assert (await gateway.get(ECHO, headers=key.headers)).status_code == 200
            # As another gateway process would: the row changes, this process's cache does not.
            async with gateway_database.session(write=True) as session:
                await session.execute(
                    update(ApiKey).where(ApiKey.id == key.record.id).values(revoked_at=utcnow())
                )
                await session.commit()
            assert (await gateway.get(ECHO, headers=key.headers)).status_code == 200
            await asyncio.sleep(0.35)
            assert_unauthorized(await gateway.get(ECHO, headers=key.headers))

    async def test_other_keys_of_the_organisation_still_pass(
        self, gateway: httpx.AsyncClient, gateway_database: Database, key: Key
    ) -> None:
        other = await new_key(gateway_database, organisation_id=key.organisation_id)
        await revoke(gateway_database, key)
        assert (await gateway.get(ECHO, headers=other.headers)).status_code == 200


class TestForwardedIdentity:
    async def test_service_sees_the_keys_organisation_and_scopes(
        self, gateway: httpx.AsyncClient, gateway_database: Database, recorder: Recorder
    ) -> None:
        key = await new_key(gateway_database, scopes=frozenset({Scope.CAMPAIGNS_READ}))
        assert (await gateway.get(ECHO, headers=key.headers)).status_code == 200

        [token] = received(recorder, IDENTITY_HEADER)
        who = TokenVerifier(TEST_SECRET).verify(token)
        assert who.organisation_id == key.organisation_id
        assert who.subject == f"key:{key.record.prefix}"
        assert who.scopes == frozenset({Scope.CAMPAIGNS_READ})

    async def test_a_partner_key_signs_its_kind_and_partner(
        self, gateway: httpx.AsyncClient, gateway_database: Database, recorder: Recorder
    ) -> None:
        partner_id = uuid.uuid4()
        key = await new_key(gateway_database, partner_id=partner_id)
        assert (await gateway.get(ECHO, headers=key.headers)).status_code == 200

        [token] = received(recorder, IDENTITY_HEADER)
        who = TokenVerifier(TEST_SECRET).verify(token)
        assert who.kind is PrincipalKind.PARTNER
        assert who.partner_id == partner_id
        assert who.organisation_id == key.organisation_id
        assert who.scopes == frozenset({Scope.PARTNERS_READ, Scope.PARTNERS_WRITE})

    async def test_client_credentials_are_not_forwarded(
        self, gateway: httpx.AsyncClient, key: Key, recorder: Recorder
    ) -> None:
        headers = {**key.headers, "Authorization": f"Bearer {key.plaintext}"}
        assert (await gateway.get(ECHO, headers=headers)).status_code == 200
        assert received(recorder, "x-api-key") == []
        assert received(recorder, "authorization") == []

    async def test_a_client_sent_identity_is_replaced(
        self, gateway: httpx.AsyncClient, key: Key, recorder: Recorder
    ) -> None:
        # Even a token signed with the real secret (leaked, say) is dropped.
        someone_else = principal(uuid.uuid4())
        forged = TokenSigner(TEST_SECRET).sign(someone_else)
        response = await gateway.get(ECHO, headers={**key.headers, IDENTITY_HEADER: forged})
        assert response.status_code == 200

        [token] = received(recorder, IDENTITY_HEADER)
        assert token != forged
        assert TokenVerifier(TEST_SECRET).verify(token).organisation_id == key.organisation_id

    async def test_the_signed_token_is_reused_across_requests(
        self, gateway: httpx.AsyncClient, key: Key, recorder: Recorder
    ) -> None:
        await gateway.get(ECHO, headers=key.headers)
        await gateway.get(ECHO, headers=key.headers)
        first, second = (
            [v for k, v in r["headers"] if k == IDENTITY_HEADER] for r in recorder.requests
        )
        assert first == second


class TestTenancyThroughTheGateway:
    async def test_another_foundations_campaign_is_not_found(
        self, gateway: httpx.AsyncClient, gateway_database: Database
    ) -> None:
        a = await new_key(gateway_database)
        b = await new_key(gateway_database)
        created = await gateway.post(
            "/api/v1/campaigns",
            headers=b.headers,
            json={"title": "B's drive", "goal": {"amount": "100", "currency": "CNY"}},
        )
        assert created.status_code == 201, created.text
        campaign_id = created.json()["id"]

        as_a = await gateway.get(f"/api/v1/campaigns/{campaign_id}", headers=a.headers)
        as_b = await gateway.get(f"/api/v1/campaigns/{campaign_id}", headers=b.headers)
        assert as_a.status_code == 404
        assert as_a.headers["content-type"] == "application/problem+json"
        assert as_b.status_code == 200

    async def test_a_forged_identity_for_another_foundation_does_not_help(
        self, gateway: httpx.AsyncClient, gateway_database: Database
    ) -> None:
        a = await new_key(gateway_database)
        b = await new_key(gateway_database)
        created = await gateway.post(
            "/api/v1/campaigns",
            headers=b.headers,
            json={"title": "B's drive", "goal": {"amount": "100", "currency": "CNY"}},
        )
        campaign_id = created.json()["id"]
        as_b = principal(b.organisation_id)
        forged = {**a.headers, IDENTITY_HEADER: TokenSigner(TEST_SECRET).sign(as_b)}

        read = await gateway.get(f"/api/v1/campaigns/{campaign_id}", headers=forged)
        listing = await gateway.get("/api/v1/campaigns", headers=forged)
        assert read.status_code == 404
        assert listing.json()["items"] == []

    async def test_scopes_of_the_key_are_enforced_by_the_service(
        self, gateway: httpx.AsyncClient, gateway_database: Database
    ) -> None:
        reader = await new_key(gateway_database, scopes=frozenset({Scope.CAMPAIGNS_READ}))
        response = await gateway.post(
            "/api/v1/campaigns",
            headers=reader.headers,
            json={"title": "t", "goal": {"amount": "1", "currency": "CNY"}},
        )
        assert response.status_code == 403


class TestKeyStoreDown:
    async def test_keys_cannot_be_checked_is_503_and_not_ready(
        self, tmp_path: Path, donations_url: str
    ) -> None:
        unreachable = f"sqlite+aiosqlite:///{tmp_path / 'no-such-dir' / 'gateway.db'}"
        app = create_app(gateway_settings(unreachable, donations_url=donations_url))
        async with (
            running(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app), base_url="http://gateway.test"
            ) as gateway,
        ):
            response = await gateway.get(
                "/api/v1/campaigns", headers={"X-API-Key": "fnet_abcdefghijkl_" + "s" * 43}
            )
            ready = await gateway.get("/readyz")
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["retry-after"] == "1"
        assert ready.status_code == 503


class TestKeyCache:
    async def test_concurrent_requests_with_a_new_key_read_the_database_once(
        self, gateway: httpx.AsyncClient, gateway_database: Database, key: Key
    ) -> None:
        statements: list[str] = []

        def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if "api_keys" in statement:
                statements.append(statement)

        bind = gateway_database.bind
        assert isinstance(bind, AsyncConnection)
        event.listen(bind.sync_connection, "before_cursor_execute", record)
        try:
            burst = await asyncio.gather(
                *(gateway.get(ECHO, headers=key.headers) for _ in range(20))
            )
            later = await gateway.get(ECHO, headers=key.headers)
        finally:
            event.remove(bind.sync_connection, "before_cursor_execute", record)
        assert {r.status_code for r in burst} == {200}
        assert later.status_code == 200
        assert len(statements) == 1
