from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from kit.identity import ALL_SCOPES, Principal
from services.network.app import MIGRATIONS, create_app
from services.network.settings import NetworkSettings
from tests.services.network.factories import create_foundation, unique_slug
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


class Members:
    """Foundations registered in the directory, each with a client acting as its key."""

    def __init__(self, app: FastAPI, operator: httpx.AsyncClient) -> None:
        self.app = app
        self.operator = operator
        self._stack = AsyncExitStack()
        self.ids: dict[str, str] = {}
        self.clients: dict[str, httpx.AsyncClient] = {}

    async def add(self, name: str, **extra: Any) -> httpx.AsyncClient:
        foundation = await create_foundation(
            self.operator, slug=unique_slug(name), name=name, **extra
        )
        self.ids[name] = foundation["id"]
        client = await self._stack.enter_async_context(
            client_for(self.app, principal(uuid.UUID(foundation["id"])))
        )
        self.clients[name] = client
        return client

    async def close(self) -> None:
        await self._stack.aclose()


@pytest.fixture
async def members(app: FastAPI, client: httpx.AsyncClient) -> AsyncIterator[Members]:
    """Make foundations with ``await members.add("shekou")``; ``members.ids["shekou"]``."""
    found = Members(app, client)
    try:
        yield found
    finally:
        await found.close()
