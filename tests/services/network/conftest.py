from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from kit.identity import ALL_SCOPES, Principal
from services.network.app import MIGRATIONS, create_app
from services.network.settings import NetworkSettings
from tests.support import TEST_SECRET, TestDatabases, client_for, principal, rolled_back, running


@pytest.fixture
async def database_url(databases: TestDatabases, backend: str) -> str:
    return await databases.url(MIGRATIONS, backend)


def settings(url: str) -> NetworkSettings:
    return NetworkSettings(database_url=url, internal_token_secret=TEST_SECRET, json_logs=False)


@pytest.fixture
async def app(database_url: str) -> AsyncIterator[FastAPI]:
    """The app on one rolled-back transaction."""
    async with (
        rolled_back(database_url) as database,
        running(create_app(settings(database_url), database=database)) as app,
    ):
        yield app


@pytest.fixture
async def committing_app(database_url: str) -> AsyncIterator[FastAPI]:
    """The app on its own connection pool, committing for real: for concurrency tests.
    The directory is shared by everyone, so such tests use slugs of their own (see
    ``unique_slug``) and other tests never assume the directory is empty."""
    async with running(create_app(settings(database_url))) as app:
        yield app


@pytest.fixture
def operator() -> Principal:
    """The network's operator: the only one who registers foundations."""
    return principal(scopes=ALL_SCOPES)


@pytest.fixture
def member() -> Principal:
    """A member foundation's key, with the default scopes."""
    return principal()


@pytest.fixture
async def client(app: FastAPI, operator: Principal) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app, operator) as client:
        yield client


@pytest.fixture
async def member_client(app: FastAPI, member: Principal) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app, member) as client:
        yield client
