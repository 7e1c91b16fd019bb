from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from kit.identity import Principal
from services.partners.app import MIGRATIONS, create_app
from services.partners.settings import PartnersSettings
from tests.support import TEST_SECRET, TestDatabases, client_for, principal, rolled_back, running


@pytest.fixture
async def database_url(databases: TestDatabases, backend: str) -> str:
    return await databases.url(MIGRATIONS, backend)


def settings(url: str) -> PartnersSettings:
    return PartnersSettings(database_url=url, internal_token_secret=TEST_SECRET, json_logs=False)


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
    Each test uses fresh foundations, so what it leaves behind cannot disturb another."""
    async with running(create_app(settings(database_url))) as app:
        yield app


@pytest.fixture
def foundation() -> Principal:
    return principal()


@pytest.fixture
async def client(app: FastAPI, foundation: Principal) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app, foundation) as client:
        yield client
