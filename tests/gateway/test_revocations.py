"""A revocation made through one gateway process reaches every other at once, over the
bus: two gateways share the database and the bus, each caching keys and sessions for
five minutes; a key revoked, or a session ended, through one is refused by the other on
the very next request."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.keys import service
from gateway.people.roles import Role
from gateway.revocations import Revocations
from kit.db import Database, transaction
from kit.events import Bus, InMemoryBus
from tests.gateway.conftest import gateway_settings
from tests.gateway.factories import new_key, new_person
from tests.gateway.test_auth import ECHO, assert_unauthorized
from tests.gateway.test_people import bearer, signed_in
from tests.support import running

NATS_URL = os.environ.get("FNET_TEST_NATS_URL", "nats://127.0.0.1:4222")
CACHED_FOR = 300.0  # longer than any test: only an announcement can end a cached entry

Pair = Callable[..., AbstractAsyncContextManager[tuple[httpx.AsyncClient, httpx.AsyncClient]]]


@pytest.fixture
def two_gateways(gateway_database: Database, gateway_database_url: str, echo_url: str) -> Pair:
    """``async with two_gateways(bus_a, bus_b, **settings) as (a, b)``: two gateway apps on
    the same database, each on the bus it is given (None: ``settings`` say)."""

    @asynccontextmanager
    async def pair(
        bus_a: Bus | None, bus_b: Bus | None, **overrides: Any
    ) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
        settings = gateway_settings(
            gateway_database_url,
            network_url=echo_url,
            key_cache_seconds=CACHED_FOR,
            **overrides,
        )
        a = create_app(settings, database=gateway_database, bus=bus_a)
        b = create_app(settings, database=gateway_database, bus=bus_b)
        async with (
            running(a),
            running(b),
            httpx.AsyncClient(transport=httpx.ASGITransport(a), base_url="http://a.test") as ca,
            httpx.AsyncClient(transport=httpx.ASGITransport(b), base_url="http://b.test") as cb,
        ):
            yield ca, cb

    return pair


async def revoke_through(
    gateway: httpx.AsyncClient, admin_headers: dict[str, str], key_id: uuid.UUID
) -> None:
    response = await gateway.delete(f"/api/v1/api-keys/{key_id}", headers=admin_headers)
    assert response.status_code == 200, response.text


async def check_revocations_reach_the_other(
    a: httpx.AsyncClient, b: httpx.AsyncClient, database: Database
) -> None:
    admin = await new_person(database, role=Role.ADMIN)
    key = await new_key(database, organisation_id=admin.organisation_id)
    admin_a = bearer((await signed_in(a, admin))["access_token"])
    staff = await new_person(database, organisation_id=admin.organisation_id, role=Role.STAFF)
    staff_token = bearer((await signed_in(a, staff))["access_token"])
    # Both gateways have the key and the session cached now.
    for gateway in (a, b):
        assert (await gateway.get(ECHO, headers=key.headers)).status_code == 200
        assert (await gateway.get(ECHO, headers=staff_token)).status_code == 200

    await revoke_through(a, admin_a, key.record.id)
    assert_unauthorized(await b.get(ECHO, headers=key.headers))
    assert_unauthorized(await a.get(ECHO, headers=key.headers))

    assert (await a.post("/api/v1/auth/logout", headers=staff_token)).status_code == 204
    assert_unauthorized(await b.get(ECHO, headers=staff_token))


class TestOverTheBus:
    async def test_in_memory_bus_shared_by_two_gateways(
        self, two_gateways: Pair, gateway_database: Database
    ) -> None:
        bus = InMemoryBus()
        try:
            async with two_gateways(bus, bus) as (a, b):
                await check_revocations_reach_the_other(a, b, gateway_database)
        finally:
            await bus.close()

    async def test_nats_between_two_gateways(
        self, two_gateways: Pair, gateway_database: Database
    ) -> None:
        # Each gateway connects to NATS on its own, as two replicas would; a prefix of
        # this test's own keeps other tests' gateways out.
        prefix = f"t{uuid.uuid4().hex[:12]}"
        async with two_gateways(None, None, bus_url=NATS_URL, bus_subject_prefix=prefix) as (a, b):
            await check_revocations_reach_the_other(a, b, gateway_database)

    async def test_without_a_shared_bus_the_other_keeps_its_cache(
        self, two_gateways: Pair, gateway_database: Database
    ) -> None:
        """The control: the tests above pass because of the bus, not because the two apps
        share a process."""
        bus_a, bus_b = InMemoryBus(), InMemoryBus()
        try:
            async with two_gateways(bus_a, bus_b) as (a, b):
                admin = await new_person(gateway_database, role=Role.ADMIN)
                key = await new_key(gateway_database, organisation_id=admin.organisation_id)
                admin_a = bearer((await signed_in(a, admin))["access_token"])
                assert (await b.get(ECHO, headers=key.headers)).status_code == 200
                await revoke_through(a, admin_a, key.record.id)
                assert_unauthorized(await a.get(ECHO, headers=key.headers))
                assert (await b.get(ECHO, headers=key.headers)).status_code == 200
        finally:
            await bus_a.close()
            await bus_b.close()


class TestFromTheCommandLine:
    async def test_a_one_off_announcer_reaches_the_gateways(
        self, two_gateways: Pair, gateway_database: Database
    ) -> None:
        """What ``fnet keys revoke`` does after writing the database, when
        FNET_GATEWAY_BUS_URL names NATS."""
        prefix = f"t{uuid.uuid4().hex[:12]}"
        async with two_gateways(None, None, bus_url=NATS_URL, bus_subject_prefix=prefix) as (
            a,
            b,
        ):
            key = await new_key(gateway_database)
            for gateway in (a, b):
                assert (await gateway.get(ECHO, headers=key.headers)).status_code == 200
            async with transaction(gateway_database, write=True) as session:
                await service.revoke_key(session, key.record.id)
            announcer = Revocations(lambda _kind, _ident: None)
            await announcer.start(
                bus=None, bus_url=NATS_URL, subject_prefix=prefix, discover_seconds=0.5
            )
            try:
                await announcer.key_changed(key.record.prefix)
            finally:
                await announcer.stop()
            for gateway in (a, b):
                assert_unauthorized(await gateway.get(ECHO, headers=key.headers))
