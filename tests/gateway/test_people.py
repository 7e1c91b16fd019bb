"""People sign in at the gateway: access tokens pass the proxy as keys do; refresh tokens
rotate and a reused one ends its session; logout; failed sign-ins slow down and lock."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import update

from gateway.people import service as people
from gateway.people.models import Person
from gateway.people.roles import OPERATOR_ORGANISATION, Role
from gateway.people.tokens import AUDIENCE, ISSUER, AccessTokens, derive_key
from kit.db import Database, transaction, utcnow
from kit.identity import IDENTITY_HEADER, PrincipalKind, Scope, TokenSigner, TokenVerifier
from tests.gateway.conftest import GatewayFactory
from tests.gateway.factories import Member, new_key, new_person
from tests.gateway.test_auth import ECHO, assert_unauthorized, received
from tests.gateway.upstreams import Recorder
from tests.support import TEST_SECRET, principal


async def login(
    gateway: httpx.AsyncClient, member: Member, *, password: str | None = None, **extra: Any
) -> httpx.Response:
    return await gateway.post(
        "/api/v1/auth/login",
        json={"email": member.email, "password": password or member.password, **extra},
    )


async def signed_in(gateway: httpx.AsyncClient, member: Member) -> dict[str, Any]:
    response = await login(gateway, member)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "typ": "access",
        "sub": str(uuid.uuid4()),
        "sid": str(uuid.uuid4()),
        "iat": now,
        "exp": now + 300,
        **overrides,
    }


class TestSignIn:
    async def test_the_access_token_passes_the_proxy_as_the_person(
        self, gateway: httpx.AsyncClient, gateway_database: Database, recorder: Recorder
    ) -> None:
        staff = await new_person(gateway_database, role=Role.STAFF)
        tokens = await signed_in(gateway, staff)
        assert tokens["token_type"] == "Bearer"
        assert tokens["organisation_id"] == str(staff.organisation_id)
        assert tokens["role"] == "staff"
        assert 0 < tokens["expires_in"] <= 3600
        assert tokens["refresh_token"].startswith("fnetr_")

        response = await gateway.get(ECHO, headers=bearer(tokens["access_token"]))
        assert response.status_code == 200, response.text
        [token] = received(recorder, IDENTITY_HEADER)
        who = TokenVerifier(TEST_SECRET).verify(token)
        assert who.kind is PrincipalKind.PERSON
        assert who.organisation_id == staff.organisation_id
        assert who.subject == f"person:{staff.person.id}"
        assert who.has(Scope.CAMPAIGNS_WRITE)
        assert not who.has(Scope.DONORS_READ)  # staff are not admins

    async def test_the_real_service_answers_the_person(
        self, gateway: httpx.AsyncClient, gateway_database: Database
    ) -> None:
        staff = await new_person(gateway_database, role=Role.STAFF)
        headers = bearer((await signed_in(gateway, staff))["access_token"])
        made = await gateway.post(
            "/api/v1/campaigns",
            json={"title": "Masks", "goal": {"amount": "100.00", "currency": "CNY"}},
            headers=headers,
        )
        assert made.status_code == 201, made.text
        listed = await gateway.get("/api/v1/campaigns", headers=headers)
        assert [c["id"] for c in listed.json()["items"]] == [made.json()["id"]]

    async def test_me(self, gateway: httpx.AsyncClient, gateway_database: Database) -> None:
        admin = await new_person(gateway_database, role=Role.ADMIN)
        headers = bearer((await signed_in(gateway, admin))["access_token"])
        me = (await gateway.get("/api/v1/auth/me", headers=headers)).json()
        assert me["email"] == admin.email
        assert me["role"] == "admin"
        assert me["kind"] == "person"
        assert Scope.DONORS_READ in me["scopes"]
        assert me["memberships"] == [
            {"organisation_id": str(admin.organisation_id), "role": "admin", "partner_id": None}
        ]

    async def test_a_partner_person_acts_as_the_partner(
        self, gateway: httpx.AsyncClient, gateway_database: Database, recorder: Recorder
    ) -> None:
        radio = uuid.uuid4()
        member = await new_person(gateway_database, role=Role.PARTNER, partner_id=radio)
        headers = bearer((await signed_in(gateway, member))["access_token"])
        assert (await gateway.get(ECHO, headers=headers)).status_code == 200
        who = TokenVerifier(TEST_SECRET).verify(received(recorder, IDENTITY_HEADER)[0])
        assert who.kind is PrincipalKind.PARTNER
        assert who.partner_id == radio
        assert who.scopes == {Scope.PARTNERS_READ, Scope.PARTNERS_WRITE}

    async def test_the_operator_acts_for_no_foundation(
        self, gateway: httpx.AsyncClient, gateway_database: Database, recorder: Recorder
    ) -> None:
        operator = await new_person(gateway_database, is_operator=True)
        tokens = await signed_in(gateway, operator)
        assert tokens["organisation_id"] == str(OPERATOR_ORGANISATION)
        assert (await gateway.get(ECHO, headers=bearer(tokens["access_token"]))).status_code == 200
        who = TokenVerifier(TEST_SECRET).verify(received(recorder, IDENTITY_HEADER)[0])
        assert who.kind is PrincipalKind.OPERATOR
        assert who.has(Scope.DIRECTORY_ADMIN)

    async def test_someone_in_two_organisations_says_which(
        self, gateway: httpx.AsyncClient, gateway_database: Database
    ) -> None:
        member = await new_person(gateway_database, role=Role.STAFF)
        other = uuid.uuid4()
        async with transaction(gateway_database, write=True) as session:
            await people.add_membership(session, member.person, other, Role.VIEWER)
        unsure = await login(gateway, member)
        assert unsure.status_code == 422
        assert unsure.json()["type"] == "urn:fnet:problem:organisation-required"
        chosen = await login(gateway, member, organisation_id=str(other))
        assert chosen.status_code == 200
        assert chosen.json()["role"] == "viewer"
        # Not a member: said as a wrong password is.
        stranger = await login(gateway, member, organisation_id=str(uuid.uuid4()))
        assert stranger.status_code == 401

    @pytest.mark.parametrize("wrong", ["password", "address"])
    async def test_a_wrong_password_or_address_is_401(
        self, gateway: httpx.AsyncClient, gateway_database: Database, wrong: str
    ) -> None:
        member = await new_person(gateway_database)
        body = {"email": member.email, "password": "not the password at all"}
        if wrong == "address":
            body = {"email": "nobody@example.org", "password": member.password}
        response = await gateway.post("/api/v1/auth/login", json=body)
        assert response.status_code == 401
        assert response.json()["type"] == "urn:fnet:problem:invalid-credentials"
        assert "access_token" not in response.text


class TestRefusedTokens:
    async def test_an_expired_token_is_401(
        self, gateway: httpx.AsyncClient, gateway_database: Database
    ) -> None:
        member = await new_person(gateway_database)
        tokens = await signed_in(gateway, member)
        sid = jwt.decode(tokens["access_token"], options={"verify_signature": False})["sid"]
        old = AccessTokens(derive_key(TEST_SECRET), ttl_seconds=60).issue(
            member.person.id, uuid.UUID(sid), now=time.time() - 3600
        )
        body = assert_unauthorized(await gateway.get(ECHO, headers=bearer(old)))
        assert body["type"] == "urn:fnet:problem:invalid-access-token"
        assert "expired" in body["detail"]

    async def test_a_tampered_token_is_401(
        self, gateway: httpx.AsyncClient, gateway_database: Database
    ) -> None:
        member = await new_person(gateway_database)
        token = (await signed_in(gateway, member))["access_token"]
        header, payload, signature = token.split(".")
        # Another person's id in the claims, the signature kept.
        forged_claims = jwt.decode(token, options={"verify_signature": False})
        forged_claims["sub"] = str(uuid.uuid4())
        forged_payload = jwt.encode(forged_claims, "x" * 32, algorithm="HS256").split(".")[1]
        for forged in (
            f"{header}.{forged_payload}.{signature}",
            f"{header}.{payload}.{signature[:-4]}AAAA",
            jwt.encode(forged_claims, "another secret, long as HS256 asks", algorithm="HS256"),
        ):
            assert_unauthorized(await gateway.get(ECHO, headers=bearer(forged)))

    async def test_a_token_for_another_audience_or_of_another_kind_is_401(
        self, gateway: httpx.AsyncClient, gateway_database: Database
    ) -> None:
        member = await new_person(gateway_database)
        token = (await signed_in(gateway, member))["access_token"]
        real = jwt.decode(token, options={"verify_signature": False})
        key = derive_key(TEST_SECRET)
        for wrong in (
            claims(sub=real["sub"], sid=real["sid"], aud="fnet-services"),
            claims(sub=real["sub"], sid=real["sid"], iss="someone-else"),
            claims(sub=real["sub"], sid=real["sid"], typ="refresh"),
        ):
            assert_unauthorized(
                await gateway.get(ECHO, headers=bearer(jwt.encode(wrong, key, algorithm="HS256")))
            )
        # Nor is the gateway's own identity token for the services an access token.
        identity = TokenSigner(TEST_SECRET).sign(principal())
        assert_unauthorized(await gateway.get(ECHO, headers=bearer(identity)))

    async def test_an_unsigned_token_is_401(self, gateway: httpx.AsyncClient) -> None:
        unsigned = jwt.encode(claims(), "", algorithm="none")
        assert_unauthorized(await gateway.get(ECHO, headers=bearer(unsigned)))


class TestRefresh:
    async def test_refresh_rotates_and_a_reused_token_ends_the_family(
        self, gateway: httpx.AsyncClient, gateway_database: Database
    ) -> None:
        member = await new_person(gateway_database)
        first = await signed_in(gateway, member)

        second = await gateway.post(
            "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
        )
        assert second.status_code == 200, second.text
        rotated = second.json()
        assert rotated["refresh_token"] != first["refresh_token"]
        assert (await gateway.get(ECHO, headers=bearer(rotated["access_token"]))).status_code == 200

        # The first refresh token again: stolen, or a broken client. The family ends...
        reused = await gateway.post(
            "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
        )
        assert reused.status_code == 401
        assert reused.json()["type"] == "urn:fnet:problem:invalid-refresh-token"
        # ...so the newest refresh token fails too, and so do its access tokens, at once.
        after = await gateway.post(
            "/api/v1/auth/refresh", json={"refresh_token": rotated["refresh_token"]}
        )
        assert after.status_code == 401
        for access in (first["access_token"], rotated["access_token"]):
            assert_unauthorized(await gateway.get(ECHO, headers=bearer(access)))
        # Another sign-in starts a new family.
        assert (await login(gateway, member)).status_code == 200

    async def test_an_unknown_refresh_token_is_401(self, gateway: httpx.AsyncClient) -> None:
        response = await gateway.post("/api/v1/auth/refresh", json={"refresh_token": "fnetr_x"})
        assert response.status_code == 401

    async def test_a_removed_member_cannot_refresh(
        self, gateway: httpx.AsyncClient, gateway_database: Database
    ) -> None:
        admin = await new_person(gateway_database)
        staff = await new_person(
            gateway_database, organisation_id=admin.organisation_id, role=Role.STAFF
        )
        tokens = await signed_in(gateway, staff)
        admin_headers = bearer((await signed_in(gateway, admin))["access_token"])
        removed = await gateway.delete(f"/api/v1/members/{staff.person.id}", headers=admin_headers)
        assert removed.status_code == 204, removed.text
        assert_unauthorized(await gateway.get(ECHO, headers=bearer(tokens["access_token"])))
        refreshed = await gateway.post(
            "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        )
        assert refreshed.status_code == 401


class TestRoles:
    async def test_a_new_role_applies_from_the_next_request(
        self, gateway: httpx.AsyncClient, gateway_database: Database, recorder: Recorder
    ) -> None:
        admin = await new_person(gateway_database)
        staff = await new_person(
            gateway_database, organisation_id=admin.organisation_id, role=Role.STAFF
        )
        staff_token = bearer((await signed_in(gateway, staff))["access_token"])
        assert (await gateway.get(ECHO, headers=staff_token)).status_code == 200  # cached
        admin_token = bearer((await signed_in(gateway, admin))["access_token"])
        changed = await gateway.patch(
            f"/api/v1/members/{staff.person.id}", json={"role": "viewer"}, headers=admin_token
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["role"] == "viewer"
        assert (await gateway.get(ECHO, headers=staff_token)).status_code == 200
        who = TokenVerifier(TEST_SECRET).verify(received(recorder, IDENTITY_HEADER)[0])
        assert not who.has(Scope.CAMPAIGNS_WRITE)
        assert who.has(Scope.CAMPAIGNS_READ)
        # Only admins change roles.
        refused = await gateway.patch(
            f"/api/v1/members/{admin.person.id}", json={"role": "viewer"}, headers=staff_token
        )
        assert refused.status_code == 403


class TestLogout:
    async def test_logout_ends_the_access_and_the_refresh_token(
        self, gateway: httpx.AsyncClient, gateway_database: Database
    ) -> None:
        member = await new_person(gateway_database)
        tokens = await signed_in(gateway, member)
        headers = bearer(tokens["access_token"])
        assert (await gateway.get(ECHO, headers=headers)).status_code == 200  # now cached
        assert (await gateway.post("/api/v1/auth/logout", headers=headers)).status_code == 204
        assert_unauthorized(await gateway.get(ECHO, headers=headers))
        refreshed = await gateway.post(
            "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        )
        assert refreshed.status_code == 401

    async def test_an_api_key_cannot_log_out(
        self, gateway: httpx.AsyncClient, gateway_database: Database
    ) -> None:
        key = await new_key(gateway_database)
        response = await gateway.post("/api/v1/auth/logout", headers=key.headers)
        assert response.status_code == 403


class TestPasswordChange:
    async def test_a_new_password_ends_every_other_session(
        self, gateway: httpx.AsyncClient, gateway_database: Database
    ) -> None:
        member = await new_person(gateway_database)
        other = await signed_in(gateway, member)  # say, a stolen phone's
        this = bearer((await signed_in(gateway, member))["access_token"])
        wrong = await gateway.post(
            "/api/v1/auth/password",
            json={"current_password": "not it at all", "new_password": "a brand new password"},
            headers=this,
        )
        assert wrong.status_code == 401
        changed = await gateway.post(
            "/api/v1/auth/password",
            json={"current_password": member.password, "new_password": "a brand new password"},
            headers=this,
        )
        assert changed.status_code == 204, changed.text
        assert (await gateway.get(ECHO, headers=this)).status_code == 200
        assert_unauthorized(await gateway.get(ECHO, headers=bearer(other["access_token"])))
        refreshed = await gateway.post(
            "/api/v1/auth/refresh", json={"refresh_token": other["refresh_token"]}
        )
        assert refreshed.status_code == 401
        assert (await login(gateway, member)).status_code == 401
        assert (await login(gateway, member, password="a brand new password")).status_code == 200


class TestFailedSignIns:
    async def test_they_slow_down_then_lock_for_a_while(
        self, make_gateway: GatewayFactory, gateway_database: Database
    ) -> None:
        member = await new_person(gateway_database)

        async def failed_before(count: int, *, seconds_ago: float) -> None:
            # As if ``count`` sign-ins had failed, the last one ``seconds_ago``: no test
            # waits out real time.
            async with transaction(gateway_database, write=True) as session:
                await session.execute(
                    update(Person)
                    .where(Person.id == member.person.id)
                    .values(
                        failed_logins=count,
                        last_failed_login_at=utcnow() - dt.timedelta(seconds=seconds_ago),
                    )
                )

        async with make_gateway(login_lock_after=10, login_lock_seconds=600) as gateway:
            for _ in range(3):  # free
                assert (await login(gateway, member, password="guess guess 1")).status_code == 401
            # After eight failures the next attempt waits 2^5 = 32 s: one sooner is refused
            # unchecked, even with the right password.
            await failed_before(8, seconds_ago=0)
            soon = await login(gateway, member)
            assert soon.status_code == 429
            assert soon.json()["type"] == "urn:fnet:problem:login-throttled"
            assert 25 <= int(soon.headers["retry-after"]) <= 33

            await failed_before(8, seconds_ago=40)  # waited long enough
            assert (await login(gateway, member, password="guess guess 9")).status_code == 401
            await failed_before(9, seconds_ago=100)
            # The tenth failure in a row locks the account for lock_seconds.
            assert (await login(gateway, member, password="guess guess 10")).status_code == 401
            locked = await login(gateway, member)
            assert locked.status_code == 429
            assert "locked" in locked.json()["detail"]
            assert 550 <= int(locked.headers["retry-after"]) <= 601

            # The lock is time-boxed: once it has passed, the right password works again.
            async with transaction(gateway_database, write=True) as session:
                await session.execute(
                    update(Person)
                    .where(Person.id == member.person.id)
                    .values(locked_until=utcnow() - dt.timedelta(seconds=1))
                )
            assert (await login(gateway, member)).status_code == 200
            # And a success starts the count again: three free failures.
            for _ in range(3):
                assert (await login(gateway, member, password="guess guess 11")).status_code == 401
            await failed_before(3, seconds_ago=5)
            assert (await login(gateway, member)).status_code == 200
