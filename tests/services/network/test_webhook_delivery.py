"""Webhook deliveries to a real HTTP receiver on this machine (so private targets are
allowed here, and retries come fast)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from aiohttp import web
from fastapi import FastAPI

from fnet.sync import verify_webhook
from kit.identity import ALL_SCOPES
from services.network.app import MIGRATIONS, create_app
from services.network.settings import NetworkSettings
from services.network.webhooks.models import Delivery, Endpoint
from services.network.webhooks.sender import Sender
from services.network.webhooks.service import new_secret
from services.network.webhooks.targets import Refused
from tests.services.network.factories import create_foundation, pair, share, unique_slug
from tests.support import client_for, principal, service_fixtures


class QuickWebhooks(NetworkSettings):
    webhook_allow_private_targets: bool = True
    webhook_retry_schedule_seconds: tuple[float, ...] = (0.1, 0.2, 0.2)
    webhook_poll_interval_seconds: float = 0.05


database_url, app, committing_app = service_fixtures(MIGRATIONS, create_app, QuickWebhooks)

URL = "/api/v1/webhook-endpoints"


@dataclass
class Receiver:
    """Answers each request with the next of ``answers`` (then 200), keeping them all."""

    answers: list[int] = field(default_factory=list)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    url: str = ""
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append((dict(request.headers), await request.read()))
        self.arrived.set()
        status = self.answers.pop(0) if self.answers else 200
        return web.Response(status=status, text=f"answered {status} " + "x" * 5000)

    async def wait_for(self, count: int, seconds: float = 30) -> None:
        async with asyncio.timeout(seconds):
            while len(self.received) < count:
                self.arrived.clear()
                await self.arrived.wait()


@pytest.fixture
async def receivers() -> AsyncIterator[list[Receiver]]:
    made: list[Receiver] = []
    runners: list[web.AppRunner] = []

    async def start(answers: list[int]) -> Receiver:
        receiver = Receiver(list(answers))
        server = web.Application()
        server.router.add_post("/hook", receiver.handle)
        runner = web.AppRunner(server)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        receiver.url = f"http://127.0.0.1:{port}/hook"
        runners.append(runner)
        return receiver

    class Factory(list[Receiver]):
        async def start(self, answers: list[int]) -> Receiver:
            found = await start(answers)
            self.append(found)
            return found

    factory = Factory()
    yield factory
    for runner in runners:
        await runner.cleanup()
    del made


@dataclass
class Pair:
    owner: httpx.AsyncClient
    partner: httpx.AsyncClient
    outsider: httpx.AsyncClient
    pairing_id: str


@pytest.fixture
async def paired(committing_app: FastAPI) -> AsyncIterator[Pair]:
    async with client_for(committing_app, principal(scopes=ALL_SCOPES)) as operator:
        ids = [
            (await create_foundation(operator, slug=unique_slug("wh"), name=n))["id"]
            for n in ("Shekou", "Wuhou", "Outsider")
        ]
    clients = [client_for(committing_app, principal(uuid.UUID(i))) for i in ids]
    try:
        owner, partner, outsider = clients
        pairing = await pair(owner, partner, ids[1])
        yield Pair(owner, partner, outsider, pairing["id"])
    finally:
        for client in clients:
            await client.aclose()


async def register(client: httpx.AsyncClient, receiver: Receiver) -> dict[str, Any]:
    response = await client.post(URL, json={"url": receiver.url})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def deliveries(client: httpx.AsyncClient, endpoint_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"{URL}/{endpoint_id}/deliveries")
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


class TestDelivery:
    async def test_fails_twice_then_succeeds_same_id_valid_signatures(
        self, paired: Pair, receivers: Any
    ) -> None:
        receiver = await receivers.start([500, 503])
        endpoint = await register(paired.partner, receiver)
        guide = await share(paired.owner, visibility="pairing", pairing_id=paired.pairing_id)

        await receiver.wait_for(3)
        await asyncio.sleep(0.3)  # nothing more comes
        assert len(receiver.received) == 3
        ids = {headers["webhook-id"] for headers, _ in receiver.received}
        assert len(ids) == 1
        for headers, body in receiver.received:
            payload = verify_webhook(endpoint["secret"], headers, body)
            assert payload["type"] == "shared_resource.created"
            assert payload["data"]["id"] == guide["id"]
        [delivery] = await deliveries(paired.partner, endpoint["id"])
        assert delivery["id"] in ids
        assert delivery["status"] == "delivered"
        detail = (
            await paired.partner.get(f"{URL}/{endpoint['id']}/deliveries/{delivery['id']}")
        ).json()
        assert [a["status_code"] for a in detail["attempt_log"]] == [500, 503, 200]
        assert all(len(a["response"]) <= 1000 for a in detail["attempt_log"])
        assert detail["attempt_log"][0]["response"].startswith("answered 500")

        replayed = await paired.partner.post(
            f"{URL}/{endpoint['id']}/deliveries/{delivery['id']}/replay"
        )
        assert replayed.status_code == 202
        await receiver.wait_for(4)
        assert receiver.received[3][0]["webhook-id"] == delivery["id"]
        verify_webhook(endpoint["secret"], receiver.received[3][0], receiver.received[3][1])

    async def test_an_endpoint_answering_410_is_disabled(
        self, paired: Pair, receivers: Any
    ) -> None:
        gone = await receivers.start([410])
        endpoint = await register(paired.partner, gone)
        await share(paired.owner, visibility="pairing", pairing_id=paired.pairing_id)
        await gone.wait_for(1)
        for _ in range(200):
            if not (await paired.partner.get(f"{URL}/{endpoint['id']}")).json()["enabled"]:
                break
            await asyncio.sleep(0.05)
        read = (await paired.partner.get(f"{URL}/{endpoint['id']}")).json()
        assert "410" in read["disabled_reason"]
        await share(paired.owner, visibility="pairing", pairing_id=paired.pairing_id)
        await asyncio.sleep(0.5)
        assert len(gone.received) == 1

    async def test_only_those_who_may_see_it_hear_of_it(self, paired: Pair, receivers: Any) -> None:
        outsider = await receivers.start([])
        partner = await receivers.start([])
        await register(paired.outsider, outsider)
        await register(paired.partner, partner)
        await share(paired.owner, visibility="pairing", pairing_id=paired.pairing_id)
        await partner.wait_for(1)
        await asyncio.sleep(0.3)
        assert outsider.received == []


class TestTargetsAtEachAttempt:
    async def test_an_attempt_resolves_the_target_and_refuses_a_private_one(
        self, committing_app: FastAPI
    ) -> None:
        strict = committing_app.state.settings.model_copy(
            update={"webhook_allow_private_targets": False}
        )
        sender = Sender(committing_app.state.database, strict)
        try:
            endpoint = Endpoint(url="http://localhost:9/hook", secret=new_secret(), enabled=True)
            delivery = Delivery(id="msg_check", payload={"type": "x"})
            with pytest.raises(Refused, match="private or local"):
                await sender._post(delivery, endpoint)
        finally:
            await sender.stop()
