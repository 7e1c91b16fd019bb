"""The reference sync client against the network service: pages, resumes, resyncs, and
ends with exactly what the server shows, however the server changes meanwhile."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import random
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from fnet.sync import SQLiteStore, SyncClient, verify_webhook
from kit.identity import ALL_SCOPES, IDENTITY_HEADER, TokenSigner
from services.network.app import MIGRATIONS, create_app
from services.network.settings import NetworkSettings
from tests.services.network.factories import (
    GROCERY_GUIDE,
    create_foundation,
    create_network,
    join,
    pair,
    unique_slug,
)
from tests.support import TEST_SECRET, client_for, principal, service_fixtures

database_url, app, committing_app = service_fixtures(MIGRATIONS, create_app, NetworkSettings)

RESOURCES = "/api/v1/shared-resources"


async def server_state(client: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    """Every resource the server shows the client, by id."""
    found: dict[str, dict[str, Any]] = {}
    cursor = None
    while True:
        params = {"limit": "200", **({"cursor": cursor} if cursor else {})}
        page = (await client.get(RESOURCES, params=params)).json()
        found.update({r["id"]: r for r in page["items"]})
        cursor = page["next_cursor"]
        if cursor is None:
            return found


def long_lived_client(app: FastAPI, foundation_id: uuid.UUID) -> httpx.AsyncClient:
    """A client whose identity token outlives a long test (the usual one lasts 60 s)."""
    token = TokenSigner(TEST_SECRET, ttl_seconds=900).sign(principal(foundation_id))
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app),
        base_url="http://service.test",
        headers={IDENTITY_HEADER: token},
    )


class World:
    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.ids: dict[str, str] = {}
        self.clients: dict[str, httpx.AsyncClient] = {}
        self.network_id = ""
        self.pairing_id = ""


@pytest.fixture
async def world(committing_app: FastAPI) -> AsyncIterator[World]:
    """Shekou (owner), Wuhou (paired with it) and Futian (in its network), and an outsider;
    committing for real, with names of their own."""
    found = World(committing_app)
    async with client_for(committing_app, principal(scopes=ALL_SCOPES)) as operator:
        for name in ("shekou", "wuhou", "futian", "outsider"):
            made = await create_foundation(operator, slug=unique_slug(name), name=name)
            found.ids[name] = made["id"]
    clients = [client_for(committing_app, principal(uuid.UUID(found.ids[n]))) for n in found.ids]
    for name, client in zip(found.ids, clients, strict=True):
        found.clients[name] = await client.__aenter__()
    try:
        c = found.clients
        found.pairing_id = (await pair(c["shekou"], c["wuhou"], found.ids["wuhou"]))["id"]
        found.network_id = (await create_network(c["shekou"]))["id"]
        await join(found.network_id, c["futian"], c["shekou"], found.ids["futian"])
        await join(found.network_id, c["wuhou"], c["shekou"], found.ids["wuhou"])
        yield found
    finally:
        for client in clients:
            await client.__aexit__(None, None, None)


def sharing(world: World, rng: random.Random, owner: str) -> dict[str, Any]:
    # Futian's membership flaps (membership_churn): it shares publicly only.
    choice = "public" if owner == "futian" else rng.choice(["public", "networks", "pairing"])
    if choice == "networks":
        return {"visibility": "networks", "network_ids": [world.network_id]}
    if choice == "pairing":
        return {"visibility": "pairing", "pairing_id": world.pairing_id}
    return {"visibility": "public"}


async def churn(world: World, owner: str, changes: int, seed: int) -> int:
    """``changes`` random creates, edits, visibility changes and deletes by ``owner``."""
    rng = random.Random(seed)
    client = world.clients[owner]
    live: dict[str, int] = {}
    made = 0
    while made < changes:
        action = rng.random()
        if not live or action < 0.3:
            body = {**GROCERY_GUIDE, "title": f"{owner} {made}", **sharing(world, rng, owner)}
            response = await client.post(RESOURCES, json=body)
            assert response.status_code == 201, response.text
            live[response.json()["id"]] = 1
        else:
            rid = rng.choice(sorted(live))
            headers = {"If-Match": f'"{live[rid]}"'}
            if action < 0.8:
                change: dict[str, Any] = {"body": f"edit {made}"}
                if rng.random() < 0.4:
                    change = sharing(world, rng, owner)
                response = await client.patch(f"{RESOURCES}/{rid}", json=change, headers=headers)
                assert response.status_code == 200, response.text
                live[rid] += 1
            else:
                response = await client.delete(f"{RESOURCES}/{rid}", headers=headers)
                assert response.status_code == 204, response.text
                del live[rid]
        made += 1
    return made


async def membership_churn(world: World, rounds: int) -> int:
    """Futian leaves the network and is taken back, ``rounds`` times."""
    c, fid = world.clients, world.ids["futian"]
    for _ in range(rounds):
        left = await c["futian"].delete(f"/api/v1/networks/{world.network_id}/members/{fid}")
        assert left.status_code == 204, left.text
        await asyncio.sleep(0.01)
        await join(world.network_id, c["futian"], c["shekou"], fid)
    return rounds * 2


class TestPagingWhileOthersWrite:
    async def test_ends_with_exactly_the_servers_visible_state(
        self, world: World, tmp_path: Path
    ) -> None:
        stores = {name: SQLiteStore(tmp_path / f"{name}.sqlite") for name in ("wuhou", "futian")}
        readers = {
            name: SyncClient(world.clients[name], store, limit=7) for name, store in stores.items()
        }
        done = asyncio.Event()

        async def follow(client: SyncClient) -> int:
            pulls = 0
            while not done.is_set():
                await client.pull()
                pulls += 1
                await asyncio.sleep(0.02)
            return pulls

        async def write() -> int:
            try:
                counts = await asyncio.gather(
                    churn(world, "shekou", 490, seed=1),
                    churn(world, "wuhou", 300, seed=2),
                    churn(world, "futian", 190, seed=3),
                    membership_churn(world, 10),
                )
                return sum(counts)
            finally:
                done.set()

        writes, *pulls = await asyncio.gather(write(), *(follow(r) for r in readers.values()))
        assert writes == 1000
        assert all(p > 1 for p in pulls)  # they really paged while the writes went on
        for name, reader in readers.items():
            await reader.pull()
            expected = await server_state(world.clients[name])
            assert stores[name].resources() == expected, name
            assert expected  # not trivially equal
        stores["wuhou"].close()
        stores["futian"].close()


class TestResume:
    async def test_a_new_client_resumes_from_the_checkpoint(
        self, world: World, tmp_path: Path
    ) -> None:
        shekou, wuhou = world.clients["shekou"], world.clients["wuhou"]
        first = await shekou.post(
            RESOURCES,
            json={**GROCERY_GUIDE, "visibility": "pairing", "pairing_id": world.pairing_id},
        )
        path = tmp_path / "copy.sqlite"
        store = SQLiteStore(path)
        result = await SyncClient(wuhou, store).pull()
        assert result.resynced
        assert first.json()["id"] in store.resources()
        store.close()

        second = await shekou.post(RESOURCES, json={**GROCERY_GUIDE, "visibility": "public"})
        store = SQLiteStore(path)
        result = await SyncClient(wuhou, store).pull()
        assert not result.resynced
        assert (result.upserts, result.removals) == (1, 0)
        assert set(store.resources()) >= {first.json()["id"], second.json()["id"]}
        assert store.resources() == await server_state(wuhou)
        store.close()

    async def test_an_expired_cursor_resyncs_and_drops_what_is_gone(
        self, world: World, tmp_path: Path
    ) -> None:
        store = SQLiteStore(tmp_path / "copy.sqlite")
        client = SyncClient(world.clients["outsider"], store)
        await client.pull()
        # A copy from some other feed: a cursor the server never gave, a stale resource.
        store.apply(
            {
                "resync": False,
                "cursor": "czE" + "A" * 50,
                "changes": [
                    {
                        "id": str(uuid.uuid4()),
                        "op": "upsert",
                        "resource": {
                            "id": "stale",
                            "version": 1,
                            "owner_id": "x",
                            "kind": "guide",
                            "title": "old",
                            "updated_at": "2020-01-01T00:00:00Z",
                        },
                    }
                ],
            }
        )
        result = await client.pull()
        assert result.resynced
        assert store.resources() == await server_state(world.clients["outsider"])
        store.close()


class TestWebhookVerification:
    def test_a_signed_delivery_verifies_and_a_tampered_one_does_not(self) -> None:
        secret = "whsec_" + base64.b64encode(b"k" * 24).decode()
        body = b'{"type":"shared_resource.updated","data":{}}'
        now = dt.datetime.now(dt.UTC)
        signature = Webhook(secret).sign("msg_1", now, body.decode())
        headers = {
            "webhook-id": "msg_1",
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signature,
        }
        assert verify_webhook(secret, headers, body)["type"] == "shared_resource.updated"
        with pytest.raises(WebhookVerificationError):
            verify_webhook(secret, headers, body.replace(b"updated", b"deleted"))
