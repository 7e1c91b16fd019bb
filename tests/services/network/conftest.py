from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from kit.identity import ALL_SCOPES, Principal
from services.network.app import MIGRATIONS, create_app
from services.network.settings import NetworkSettings
from tests.support import client_for, principal, service_fixtures

database_url, app, committing_app = service_fixtures(MIGRATIONS, create_app, NetworkSettings)


@pytest.fixture
def operator() -> Principal:
    """The network's operator: the only one who registers foundations."""
    return principal(scopes=ALL_SCOPES)


@pytest.fixture
def member() -> Principal:
    """A member foundation's key, with the default scopes."""
    return principal()


@pytest.fixture
def foundation(operator: Principal) -> Principal:
    """Directory tests act as the operator unless they say otherwise."""
    return operator


@pytest.fixture
async def member_client(app: FastAPI, member: Principal) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app, member) as client:
        yield client
