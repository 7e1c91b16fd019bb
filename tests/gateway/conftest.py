from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from gateway.app import MIGRATIONS, create_app
from gateway.settings import GatewaySettings
from kit.db import Database
from kit.events import InMemoryBus
from services.donations.app import MIGRATIONS as DONATIONS_MIGRATIONS
from services.donations.app import create_app as create_donations_app
from services.donations.settings import DonationsSettings
from services.network.app import MIGRATIONS as NETWORK_MIGRATIONS
from services.network.app import create_app as create_network_app
from services.network.settings import NetworkSettings
from services.partners.app import MIGRATIONS as PARTNERS_MIGRATIONS
from services.partners.app import create_app as create_partners_app
from services.partners.settings import PartnersSettings
from tests.gateway.factories import Key, new_key
from tests.gateway.servers import free_port, serving
from tests.gateway.upstreams import Recorder, echo_app
from tests.support import TEST_SECRET, TestDatabases, rolled_back, running


@pytest.fixture(scope="session")
async def donations_url(databases: TestDatabases, backend: str) -> AsyncIterator[str]:
    """The real donations service on a loopback port, committing to its test database
    (each test uses fresh foundations, so what one leaves behind disturbs no other)."""
    url = await databases.url(DONATIONS_MIGRATIONS, backend)
    if backend == "sqlite":  # a file of its own (see TestDatabases.sqlite_copy)
        url = databases.sqlite_copy(url)
    settings = DonationsSettings(
        database_url=url, internal_token_secret=TEST_SECRET, json_logs=False
    )
    bus = InMemoryBus()  # the service's own: nothing here listens to its events
    try:
        async with serving(create_donations_app(settings, bus=bus)) as base_url:
            yield base_url
    finally:
        await bus.close()


@pytest.fixture(scope="session")
async def partners_url(databases: TestDatabases, backend: str) -> AsyncIterator[str]:
    """The real partners service on a loopback port (fresh foundations per test)."""
    url = await databases.url(PARTNERS_MIGRATIONS, backend)
    if backend == "sqlite":  # a file of its own (see TestDatabases.sqlite_copy)
        url = databases.sqlite_copy(url)
    settings = PartnersSettings(
        database_url=url, internal_token_secret=TEST_SECRET, json_logs=False
    )
    bus = InMemoryBus()
    try:
        async with serving(create_partners_app(settings, bus=bus)) as base_url:
            yield base_url
    finally:
        await bus.close()


@pytest.fixture(scope="session")
async def network_url(databases: TestDatabases, backend: str) -> AsyncIterator[str]:
    """The real network service (the directory of foundations) on a loopback port."""
    url = await databases.url(NETWORK_MIGRATIONS, backend)
    if backend == "sqlite":
        url = databases.sqlite_copy(url)
    settings = NetworkSettings(database_url=url, internal_token_secret=TEST_SECRET, json_logs=False)
    bus = InMemoryBus()
    try:
        async with serving(create_network_app(settings, bus=bus)) as base_url:
            yield base_url
    finally:
        await bus.close()


@pytest.fixture(scope="session")
def shared_recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def recorder(shared_recorder: Recorder) -> Recorder:
    """What the echoing stand-in received during this test."""
    shared_recorder.requests.clear()
    return shared_recorder


@pytest.fixture(scope="session")
async def echo_url(shared_recorder: Recorder) -> AsyncIterator[str]:
    """A stand-in for the network service that echoes what it receives."""
    async with serving(echo_app(shared_recorder)) as base_url:
        yield base_url


@pytest.fixture
async def gateway_database_url(databases: TestDatabases, backend: str) -> str:
    url = await databases.url(MIGRATIONS, backend)
    return databases.sqlite_copy(url) if backend == "sqlite" else url


@pytest.fixture
async def gateway_database(gateway_database_url: str) -> AsyncIterator[Database]:
    async with rolled_back(gateway_database_url) as database:
        yield database


def gateway_settings(database_url: str, **overrides: Any) -> GatewaySettings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "internal_token_secret": TEST_SECRET,
        "json_logs": False,
        "donations_url": f"http://127.0.0.1:{free_port()}",
        "partners_url": f"http://127.0.0.1:{free_port()}",
        "network_url": f"http://127.0.0.1:{free_port()}",
        **overrides,
    }
    return GatewaySettings(**values)


AppFactory = Callable[..., FastAPI]
GatewayFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def gateway_app(
    gateway_database: Database, gateway_database_url: str, donations_url: str, echo_url: str
) -> AppFactory:
    """``gateway_app(**settings)``: the gateway on the test's rolled-back database, with the
    real donations service, the echoing stand-in as the network service, and nothing at
    the partners service's address (unless ``settings`` say otherwise)."""

    def build(**overrides: Any) -> FastAPI:
        settings = gateway_settings(
            gateway_database_url,
            **{"donations_url": donations_url, "network_url": echo_url, **overrides},
        )
        return create_app(settings, database=gateway_database)

    return build


@pytest.fixture
def make_gateway(gateway_app: AppFactory) -> GatewayFactory:
    """``async with make_gateway(**settings) as client``: a client of the gateway
    (:func:`gateway_app`), in-process."""

    @asynccontextmanager
    async def make(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        async with (
            running(gateway_app(**overrides)) as app,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app), base_url="http://gateway.test"
            ) as client,
        ):
            yield client

    return make


@pytest.fixture
async def gateway(make_gateway: GatewayFactory) -> AsyncIterator[httpx.AsyncClient]:
    async with make_gateway() as client:
        yield client


@pytest.fixture
async def key(gateway_database: Database) -> Key:
    """A key of a fresh foundation, with the default scopes."""
    return await new_key(gateway_database, organisation_id=uuid.uuid4())
