from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from kit.identity import Principal
from tests.support import client_for, principal


@pytest.fixture
def foundation() -> Principal:
    return principal()


@pytest.fixture
async def client(app: FastAPI, foundation: Principal) -> AsyncIterator[httpx.AsyncClient]:
    """The service's ``app`` as ``foundation`` calls it through the gateway."""
    async with client_for(app, foundation) as client:
        yield client
