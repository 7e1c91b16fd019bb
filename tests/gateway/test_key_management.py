"""An organisation's admins manage its API keys through the API; keys carry scopes the
gateway checks per route; what happens is in the audit log; admins invite people."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from gateway.people.roles import Role
from kit.db import Database
from kit.identity import IDENTITY_HEADER, Principal, PrincipalKind, Scope, TokenSigner
from tests.gateway.conftest import GatewayFactory
from tests.gateway.factories import new_key, new_person
from tests.gateway.test_auth import assert_unauthorized
from tests.gateway.test_people import bearer, signed_in
from tests.support import TEST_SECRET

KEYS = "/api/v1/api-keys"
CAMPAIGNS = "/api/v1/campaigns"

OPERATOR = Principal(
    subject="test-operator",
    organisation_id=uuid.UUID(int=0),
    scopes=frozenset({Scope.DIRECTORY_ADMIN}),
    kind=PrincipalKind.OPERATOR,
)


async def register_foundation(network_url: str) -> uuid.UUID:
    """A foundation in the real directory, registered as the operator would."""
    slug = f"f-{uuid.uuid4().hex[:12]}"
    async with httpx.AsyncClient(
        base_url=network_url, headers={IDENTITY_HEADER: TokenSigner(TEST_SECRET).sign(OPERATOR)}
    ) as network:
        response = await network.post("/api/v1/foundations", json={"slug": slug, "name": slug})
    assert response.status_code == 201, response.text
    return uuid.UUID(response.json()["id"])


@pytest.fixture
async def gateway(
    make_gateway: GatewayFactory, network_url: str, partners_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    async with make_gateway(network_url=network_url, partners_url=partners_url) as client:
        yield client


@pytest.fixture
async def foundation(network_url: str) -> uuid.UUID:
    return await register_foundation(network_url)


@pytest.fixture
async def admin(
    gateway: httpx.AsyncClient, gateway_database: Database, foundation: uuid.UUID
) -> dict[str, str]:
    """The signed-in admin of a registered foundation: their request headers."""
    member = await new_person(gateway_database, organisation_id=foundation, role=Role.ADMIN)
    return bearer((await signed_in(gateway, member))["access_token"])


async def make_key(
    gateway: httpx.AsyncClient, headers: dict[str, str], **fields: Any
) -> httpx.Response:
    return await gateway.post(KEYS, json={"name": "sync job", **fields}, headers=headers)


async def made(
    gateway: httpx.AsyncClient, headers: dict[str, str], **fields: Any
) -> dict[str, Any]:
    response = await make_key(gateway, headers, **fields)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def as_key(body: dict[str, Any]) -> dict[str, str]:
    return {"X-API-Key": body["key"]}


async def audit_log(
    gateway: httpx.AsyncClient, headers: dict[str, str], **params: str
) -> list[dict[str, Any]]:
    response = await gateway.get("/api/v1/audit-log", headers=headers, params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


class TestMakeAndList:
    async def test_a_key_is_shown_once_and_listed_without_its_secret(
        self, gateway: httpx.AsyncClient, admin: dict[str, str], foundation: uuid.UUID
    ) -> None:
        key = await made(gateway, admin, scopes=[Scope.CAMPAIGNS_READ])
        assert key["key"].startswith(f"fnet_{key['prefix']}_")
        assert key["organisation_id"] == str(foundation)
        assert key["scopes"] == [Scope.CAMPAIGNS_READ]
        assert key["state"] == "active"
        assert key["last_used_at"] is None

        assert (await gateway.get(CAMPAIGNS, headers=as_key(key))).status_code == 200
        await audit_log(gateway, admin)  # writes what the proxy path noted
        listed = (await gateway.get(KEYS, headers=admin)).json()
        assert [k["id"] for k in listed] == [key["id"]]
        assert "key" not in listed[0]
        assert key["key"].split("_")[-1] not in str(listed)
        assert listed[0]["last_used_at"] is not None

    async def test_only_for_a_foundation_in_the_directory(
        self, gateway: httpx.AsyncClient, gateway_database: Database
    ) -> None:
        stranger = await new_person(gateway_database, role=Role.ADMIN)  # a made-up organisation
        headers = bearer((await signed_in(gateway, stranger))["access_token"])
        response = await make_key(gateway, headers)
        assert response.status_code == 422
        assert response.json()["type"] == "urn:fnet:problem:unknown-organisation"

    async def test_the_operator_makes_keys_for_a_foundation_it_names(
        self, gateway: httpx.AsyncClient, gateway_database: Database, foundation: uuid.UUID
    ) -> None:
        operator = await new_person(gateway_database, is_operator=True)
        headers = bearer((await signed_in(gateway, operator))["access_token"])
        assert (await make_key(gateway, headers)).status_code == 422  # which one?
        response = await gateway.post(
            KEYS,
            params={"organisation_id": str(foundation)},
            json={"name": "first key"},
            headers=headers,
        )
        assert response.status_code == 201, response.text
        assert response.json()["organisation_id"] == str(foundation)
        unknown = await gateway.post(
            KEYS,
            params={"organisation_id": str(uuid.uuid4())},
            json={"name": "x"},
            headers=headers,
        )
        assert unknown.status_code == 422

    async def test_unknown_scopes_are_422(
        self, gateway: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        response = await make_key(gateway, admin, scopes=["campaigns:everything"])
        assert response.status_code == 422

    async def test_partner_keys_name_the_foundation_s_own_partner(
        self, gateway: httpx.AsyncClient, admin: dict[str, str], network_url: str
    ) -> None:
        staff_key = await made(gateway, admin, scopes=[Scope.PARTNERS_WRITE, Scope.PARTNERS_READ])
        created = await gateway.post(
            "/api/v1/partners",
            json={"name": "妈妈幸福学习园", "kind": "social_organisation"},
            headers=as_key(staff_key),
        )
        assert created.status_code == 201, created.text
        partner = await made(gateway, admin, partner_id=created.json()["id"])
        assert partner["kind"] == "partner"
        assert sorted(partner["scopes"]) == [Scope.PARTNERS_READ, Scope.PARTNERS_WRITE]
        # Another foundation's partner, or none at all: 404.
        assert (await make_key(gateway, admin, partner_id=str(uuid.uuid4()))).status_code == 404


class TestWhoMayManage:
    async def test_only_admins_signed_in(
        self,
        gateway: httpx.AsyncClient,
        gateway_database: Database,
        foundation: uuid.UUID,
        admin: dict[str, str],
    ) -> None:
        staff = await new_person(gateway_database, organisation_id=foundation, role=Role.STAFF)
        staff_headers = bearer((await signed_in(gateway, staff))["access_token"])
        key = await new_key(gateway_database, organisation_id=foundation)
        assert (await gateway.get(KEYS, headers=staff_headers)).status_code == 403
        assert (await make_key(gateway, staff_headers)).status_code == 403
        # A key makes no keys: a leaked one must not make more.
        assert (await gateway.get(KEYS, headers=key.headers)).status_code == 403
        assert_unauthorized(await gateway.get(KEYS))

    async def test_another_organisation_s_keys_are_404(
        self,
        gateway: httpx.AsyncClient,
        gateway_database: Database,
        admin: dict[str, str],
        network_url: str,
    ) -> None:
        key = await made(gateway, admin)
        other = await register_foundation(network_url)
        theirs = await _admin_of(gateway, gateway_database, other)
        for method, path in (
            ("GET", f"{KEYS}/{key['id']}"),
            ("DELETE", f"{KEYS}/{key['id']}"),
            ("POST", f"{KEYS}/{key['id']}/rotate"),
        ):
            response = await gateway.request(method, path, headers=theirs)
            assert response.status_code == 404, (method, response.text)
        assert (await gateway.get(KEYS, headers=theirs)).json() == []
        assert (await gateway.get(CAMPAIGNS, headers=as_key(key))).status_code == 200


async def _admin_of(
    gateway: httpx.AsyncClient, database: Database, organisation_id: uuid.UUID
) -> dict[str, str]:
    """The headers of a signed-in admin of another organisation."""
    member = await new_person(database, organisation_id=organisation_id, role=Role.ADMIN)
    return bearer((await signed_in(gateway, member))["access_token"])


class TestLifecycle:
    async def test_rotation_keeps_both_keys_working_for_the_grace_period(
        self, gateway: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        old = await made(gateway, admin)
        rotated = await gateway.post(f"{KEYS}/{old['id']}/rotate", headers=admin)
        assert rotated.status_code == 201, rotated.text
        new = rotated.json()
        assert new["id"] != old["id"]
        assert new["scopes"] == old["scopes"]
        for key in (old, new):
            assert (await gateway.get(CAMPAIGNS, headers=as_key(key))).status_code == 200
        shown = (await gateway.get(f"{KEYS}/{old['id']}", headers=admin)).json()
        assert shown["replaced_by_id"] == new["id"]
        assert shown["expires_at"] is not None

    async def test_rotation_without_grace_ends_the_old_key_at_once(
        self, gateway: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        old = await made(gateway, admin)
        assert (await gateway.get(CAMPAIGNS, headers=as_key(old))).status_code == 200  # cached
        rotated = await gateway.post(
            f"{KEYS}/{old['id']}/rotate", json={"grace_seconds": 0}, headers=admin
        )
        assert rotated.status_code == 201
        body = assert_unauthorized(await gateway.get(CAMPAIGNS, headers=as_key(old)))
        assert "expired" in body["detail"]
        assert (await gateway.get(CAMPAIGNS, headers=as_key(rotated.json()))).status_code == 200
        # A key already replaced and ended cannot be rotated again.
        again = await gateway.post(f"{KEYS}/{old['id']}/rotate", headers=admin)
        assert again.status_code == 422

    async def test_a_key_made_to_expire_is_refused_after(
        self, gateway: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        soon = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
        key = await made(gateway, admin, expires_at=soon.isoformat())
        assert (await gateway.get(CAMPAIGNS, headers=as_key(key))).status_code == 200
        past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        patched = await gateway.patch(
            f"{KEYS}/{key['id']}", json={"expires_at": past.isoformat()}, headers=admin
        )
        assert patched.status_code == 200, patched.text
        assert patched.json()["state"] == "expired"
        assert_unauthorized(await gateway.get(CAMPAIGNS, headers=as_key(key)))

    async def test_revocation_is_at_once(
        self, gateway: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        key = await made(gateway, admin)
        assert (await gateway.get(CAMPAIGNS, headers=as_key(key))).status_code == 200  # cached
        revoked = await gateway.delete(f"{KEYS}/{key['id']}", headers=admin)
        assert revoked.status_code == 200
        assert revoked.json()["state"] == "revoked"
        assert_unauthorized(await gateway.get(CAMPAIGNS, headers=as_key(key)))
        again = await gateway.delete(f"{KEYS}/{key['id']}", headers=admin)
        assert again.json()["revoked_at"] == revoked.json()["revoked_at"]


class TestScopes:
    async def test_a_missing_scope_is_403_and_reaches_no_service(
        self, gateway: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        reader = await made(gateway, admin, scopes=[Scope.CAMPAIGNS_READ])
        assert (await gateway.get(CAMPAIGNS, headers=as_key(reader))).status_code == 200
        response = await gateway.post(
            CAMPAIGNS,
            json={"title": "x", "goal": {"amount": "1.00", "currency": "CNY"}},
            headers=as_key(reader),
        )
        assert response.status_code == 403
        body = response.json()
        assert body["type"] == "urn:fnet:problem:missing-scope"
        assert "campaigns:write" in body["detail"]
        assert (await gateway.get(CAMPAIGNS, headers=as_key(reader))).json()["items"] == []

    async def test_a_viewer_reads_and_writes_nothing(
        self, gateway: httpx.AsyncClient, gateway_database: Database, foundation: uuid.UUID
    ) -> None:
        viewer = await new_person(gateway_database, organisation_id=foundation, role=Role.VIEWER)
        headers = bearer((await signed_in(gateway, viewer))["access_token"])
        assert (await gateway.get(CAMPAIGNS, headers=headers)).status_code == 200
        for method, path in (
            ("POST", CAMPAIGNS),
            ("POST", f"{CAMPAIGNS}/{uuid.uuid4()}/donations"),
            ("GET", "/api/v1/partners/" + str(uuid.uuid4()) + "/contacts"),
            ("POST", "/api/v1/networks"),
        ):
            response = await gateway.request(method, path, json={}, headers=headers)
            assert response.status_code == 403, (method, path, response.text)

    async def test_another_tenant_s_records_are_404(
        self,
        gateway: httpx.AsyncClient,
        gateway_database: Database,
        admin: dict[str, str],
        network_url: str,
    ) -> None:
        ours = await made(gateway, admin)
        campaign = await gateway.post(
            CAMPAIGNS,
            json={"title": "Ours", "goal": {"amount": "10.00", "currency": "CNY"}},
            headers=as_key(ours),
        )
        assert campaign.status_code == 201
        theirs = await _admin_of(gateway, gateway_database, await register_foundation(network_url))
        response = await gateway.get(f"{CAMPAIGNS}/{campaign.json()['id']}", headers=theirs)
        assert response.status_code == 404


class TestAuditLog:
    async def test_sign_ins_keys_and_refusals_are_recorded_for_the_organisation(
        self,
        gateway: httpx.AsyncClient,
        gateway_database: Database,
        foundation: uuid.UUID,
        network_url: str,
    ) -> None:
        admin = await new_person(gateway_database, organisation_id=foundation)
        bad = await gateway.post(
            "/api/v1/auth/login", json={"email": admin.email, "password": "wrong wrong wrong"}
        )
        assert bad.status_code == 401
        headers = bearer((await signed_in(gateway, admin))["access_token"])
        key = await made(gateway, headers, scopes=[Scope.CAMPAIGNS_READ])
        await gateway.get(CAMPAIGNS, headers=as_key(key))
        for _ in range(3):  # refused three times, recorded once
            await gateway.post(CAMPAIGNS, json={}, headers=as_key(key))
        await gateway.delete(f"{KEYS}/{key['id']}", headers=headers)

        entries = await audit_log(gateway, headers)
        actions = [e["action"] for e in entries]
        assert actions == [
            "key.revoked",
            "permission.denied",
            "key.used",
            "key.created",
            "login.succeeded",
        ], actions
        denied = entries[1]
        assert denied["actor"] == f"key:{key['prefix']}"
        assert denied["target"] == "POST /api/v1/campaigns"
        assert denied["details"] == {"missing_scopes": ["campaigns:write"]}
        assert all(e["organisation_id"] == str(foundation) for e in entries)

        # The failed sign-in is the operator's to see (it names no organisation).
        operator = await new_person(gateway_database, is_operator=True)
        operator_headers = bearer((await signed_in(gateway, operator))["access_token"])
        failed = await audit_log(gateway, operator_headers, action="login.failed")
        assert admin.email in [e["actor"] for e in failed]
        # Another organisation's admin sees none of it; staff may not read the log.
        theirs = await _admin_of(gateway, gateway_database, await register_foundation(network_url))
        assert [e["action"] for e in await audit_log(gateway, theirs)] == ["login.succeeded"]
        staff = await new_person(gateway_database, organisation_id=foundation, role=Role.STAFF)
        staff_headers = bearer((await signed_in(gateway, staff))["access_token"])
        assert (await gateway.get("/api/v1/audit-log", headers=staff_headers)).status_code == 403


class TestInvitations:
    async def test_an_invited_person_sets_a_password_and_signs_in_with_the_role(
        self, gateway: httpx.AsyncClient, admin: dict[str, str], foundation: uuid.UUID
    ) -> None:
        invited = await gateway.post(
            "/api/v1/invitations",
            json={"email": "Volunteer@Example.org", "role": "volunteer"},
            headers=admin,
        )
        assert invited.status_code == 201, invited.text
        token = invited.json()["token"]
        assert token.startswith("fneti_")
        listed = (await gateway.get("/api/v1/invitations", headers=admin)).json()
        assert [i["email"] for i in listed] == ["volunteer@example.org"]
        assert "token" not in listed[0]

        weak = await gateway.post(
            "/api/v1/invitations/accept", json={"token": token, "password": "short"}
        )
        assert weak.status_code == 422
        accepted = await gateway.post(
            "/api/v1/invitations/accept",
            json={"token": token, "password": "a long enough password", "display_name": "Li"},
        )
        assert accepted.status_code == 201, accepted.text
        assert accepted.json()["role"] == "volunteer"
        again = await gateway.post(
            "/api/v1/invitations/accept",
            json={"token": token, "password": "a long enough password"},
        )
        assert again.status_code == 422

        login = await gateway.post(
            "/api/v1/auth/login",
            json={"email": "volunteer@example.org", "password": "a long enough password"},
        )
        assert login.status_code == 200, login.text
        assert login.json()["organisation_id"] == str(foundation)
        assert Scope.DONATIONS_WRITE in login.json()["scopes"]
        assert Scope.CAMPAIGNS_WRITE not in login.json()["scopes"]
        members = (await gateway.get("/api/v1/members", headers=admin)).json()
        assert "volunteer@example.org" in [m["email"] for m in members]

    async def test_a_partner_person_s_invitation_names_the_foundation_s_own_partner(
        self, gateway: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        no_partner = await gateway.post(
            "/api/v1/invitations", json={"email": "p@example.org", "role": "partner"}, headers=admin
        )
        assert no_partner.status_code == 422
        unknown = await gateway.post(
            "/api/v1/invitations",
            json={"email": "p@example.org", "role": "partner", "partner_id": str(uuid.uuid4())},
            headers=admin,
        )
        assert unknown.status_code == 404

    async def test_only_admins_invite(
        self, gateway: httpx.AsyncClient, gateway_database: Database, foundation: uuid.UUID
    ) -> None:
        staff = await new_person(gateway_database, organisation_id=foundation, role=Role.STAFF)
        headers = bearer((await signed_in(gateway, staff))["access_token"])
        response = await gateway.post(
            "/api/v1/invitations", json={"email": "x@example.org", "role": "admin"}, headers=headers
        )
        assert response.status_code == 403
