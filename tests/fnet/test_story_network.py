"""The network part of the demo, loaded into the network service (twice)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from fastapi import FastAPI

from fnet import story_network
from kit.identity import ALL_SCOPES
from services.network.app import MIGRATIONS, create_app
from services.network.settings import NetworkSettings
from tests.services.network.factories import create_foundation, unique_slug
from tests.support import TEST_SECRET, client_for, identity_headers, principal, service_fixtures

database_url, app, committing_app = service_fixtures(MIGRATIONS, create_app, NetworkSettings)


async def titles(app: FastAPI, foundation_id: str) -> set[str]:
    async with client_for(app, principal(uuid.UUID(foundation_id))) as client:
        page = (await client.get("/api/v1/sync/changes", params={"limit": "1000"})).json()
    return {c["resource"]["title"] for c in page["changes"]}


async def test_the_network_the_pairing_and_the_guides(app: FastAPI) -> None:
    operator = identity_headers(principal(scopes=ALL_SCOPES))
    async with client_for(app, principal(scopes=ALL_SCOPES)) as admin:
        ids = {
            slug: (await create_foundation(admin, slug=unique_slug(slug), name=slug))["id"]
            for slug in ("shekou", "wuhou")
        }
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app), base_url="http://service.test", headers=operator
    ) as network:
        first: dict[str, Any] = await story_network.load(
            network, secret=TEST_SECRET, operator=operator, ids=ids
        )
        again = await story_network.load(network, secret=TEST_SECRET, operator=operator, ids=ids)
    assert again == first

    grocery = story_network.GROCERY_GUIDE["title"]
    network_guides = {str(g["title"]) for g in story_network.NETWORK_GUIDES}
    assert grocery in await titles(app, ids["wuhou"])
    assert network_guides.isdisjoint(await titles(app, ids["wuhou"]))
    futian = await titles(app, first["members"]["futian-cf"])
    assert network_guides <= futian
    assert grocery not in futian
    tips = str(story_network.TIPS["title"])
    assert {grocery, tips} | network_guides <= await titles(app, ids["shekou"])
    # Loaded twice, shared once: Shekou's feed holds each title once.
    async with client_for(app, principal(uuid.UUID(ids["shekou"]))) as shekou:
        mine = (
            await shekou.get("/api/v1/shared-resources", params={"owner_id": ids["shekou"]})
        ).json()
    assert len(mine["items"]) == 2 + len(network_guides)
