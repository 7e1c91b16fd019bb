"""The first real flow between services: the network's directory announces foundations,
donations and partners keep read copies. The three apps run on fresh databases of their
own, committing for real, on the in-memory bus and on the real NATS JetStream server (on
a stream of the test's own), and through an outage of a NATS server of the test's own."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import secrets
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from contracts.network import FoundationUpdatedV1
from kit.db import transaction
from kit.events import Consumer, Delivery, Event, InMemoryBus, JetStreamBus, export_schemas
from kit.events.bus import Bus
from kit.events.inbox import inbox
from kit.events.outbox import outbox, row_to_event
from kit.events.runtime import BusNotShared
from kit.identity import ALL_SCOPES
from kit.migrations import MigrationSet, upgrade
from services.donations.app import MIGRATIONS as DONATIONS_MIGRATIONS
from services.donations.app import create_app as donations_app
from services.donations.foundations.models import FoundationCopy as DonationsCopy
from services.donations.settings import DonationsSettings
from services.network.app import MIGRATIONS as NETWORK_MIGRATIONS
from services.network.app import create_app as network_app
from services.network.settings import NetworkSettings
from services.partners.app import MIGRATIONS as PARTNERS_MIGRATIONS
from services.partners.app import create_app as partners_app
from services.partners.foundations.models import FoundationCopy as PartnersCopy
from services.partners.settings import PartnersSettings
from tests.e2e.processes import free_port
from tests.kit.events.conftest import NATS_URL, eventually
from tests.support import (
    TEST_SECRET,
    client_for,
    create_postgres_database,
    drop_postgres_databases,
    principal,
    running,
)

MIGRATIONS: dict[str, MigrationSet] = {
    "network": NETWORK_MIGRATIONS,
    "donations": DONATIONS_MIGRATIONS,
    "partners": PARTNERS_MIGRATIONS,
}
COPIES: dict[str, type[DonationsCopy] | type[PartnersCopy]] = {
    "donations": DonationsCopy,
    "partners": PartnersCopy,
}
OPERATOR = principal(scopes=ALL_SCOPES)


@pytest.fixture
async def urls(backend: str, tmp_path: Path) -> AsyncIterator[dict[str, str]]:
    """A fresh, migrated database per service: outboxes and inboxes of their own."""
    made: dict[str, str] = {}
    for name, migrations in MIGRATIONS.items():
        if backend == "sqlite":
            made[name] = f"sqlite+aiosqlite:///{tmp_path / f'{name}.db'}"
        else:
            made[name] = await create_postgres_database(f"fnet_test_flow_{name}")
        await asyncio.to_thread(upgrade, migrations, made[name])
    yield made
    if backend != "sqlite":
        await drop_postgres_databases(list(made.values()))


@dataclass
class Flow:
    apps: dict[str, FastAPI]

    def network(self) -> httpx.AsyncClient:
        return client_for(self.apps["network"], OPERATOR)

    def consumer(self, name: str) -> Consumer:
        consumer: Consumer = self.apps[name].state.events.consumers[0]
        return consumer

    async def copy(self, service: str, foundation_id: str) -> Any:
        model = COPIES[service]
        async with transaction(self.apps[service].state.database, write=False) as session:
            return await session.get(model, uuid.UUID(foundation_id))

    async def copies(self, service: str) -> dict[str, str]:
        model = COPIES[service]
        async with transaction(self.apps[service].state.database, write=False) as session:
            rows = (await session.execute(select(model.foundation_id, model.name))).all()
        return {str(foundation_id): name for foundation_id, name in rows}

    async def inbox_count(self, service: str) -> int:
        async with transaction(self.apps[service].state.database, write=False) as session:
            return (await session.scalar(select(func.count()).select_from(inbox))) or 0

    async def outbox(self, service: str) -> list[Any]:
        async with transaction(self.apps[service].state.database, write=False) as session:
            return list((await session.execute(select(outbox).order_by(outbox.c.seq))).all())


def _settings(name: str, url: str, **bus: str) -> Any:
    classes: dict[str, Any] = {
        "network": NetworkSettings,
        "donations": DonationsSettings,
        "partners": PartnersSettings,
    }
    return classes[name](
        database_url=url, internal_token_secret=TEST_SECRET, json_logs=False, **bus
    )


FACTORIES: dict[str, Any] = {
    "network": network_app,
    "donations": donations_app,
    "partners": partners_app,
}


@contextlib.asynccontextmanager
async def flow(
    urls: dict[str, str], *, bus: Bus | None = None, bus_settings: dict[str, str] | None = None
) -> AsyncIterator[Flow]:
    """The three services on their databases: sharing ``bus``, or each connecting to the
    bus its settings name."""
    async with contextlib.AsyncExitStack() as stack:
        apps = {}
        for name, url in urls.items():
            app = FACTORIES[name](_settings(name, url, **(bus_settings or {})), bus=bus)
            apps[name] = await stack.enter_async_context(running(app))
        yield Flow(apps)


@dataclass
class NatsStream:
    url: str
    stream: str
    prefix: str

    @property
    def settings(self) -> dict[str, str]:
        return {"bus_url": self.url, "bus_stream": self.stream, "bus_subject_prefix": self.prefix}


@contextlib.asynccontextmanager
async def private_stream(url: str) -> AsyncIterator[NatsStream]:
    suffix = secrets.token_hex(4)
    found = NatsStream(url, f"FNET_TEST_{suffix}", f"fnettest{suffix}")
    try:
        yield found
    finally:
        with contextlib.suppress(Exception):
            cleaner = await JetStreamBus.connect(url, stream=found.stream, prefix=found.prefix)
            try:
                await cleaner.js.delete_stream(found.stream)
            finally:
                await cleaner.close()


FlowMaker = Callable[[dict[str, str]], contextlib.AbstractAsyncContextManager[Flow]]


@pytest.fixture(params=["memory", "jetstream"])
def make_flow(request: pytest.FixtureRequest) -> FlowMaker:
    @contextlib.asynccontextmanager
    async def make(urls: dict[str, str]) -> AsyncIterator[Flow]:
        if request.param == "memory":
            bus = InMemoryBus()
            try:
                async with flow(urls, bus=bus) as running_flow:
                    yield running_flow
            finally:
                await bus.close()
        else:
            async with (
                private_stream(NATS_URL) as stream,
                flow(urls, bus_settings=stream.settings) as running_flow,
            ):
                yield running_flow

    return make


async def copies_hold(f: Flow, expected: dict[str, str]) -> bool:
    for service in COPIES:
        copies = await f.copies(service)
        if any(copies.get(i) != name for i, name in expected.items()):
            return False
    return True


class TestFoundationCopies:
    async def test_a_created_and_renamed_foundation_reaches_both_copies(
        self, urls: dict[str, str], make_flow: FlowMaker
    ) -> None:
        async with make_flow(urls) as f, f.network() as network:
            created = await network.post(
                "/api/v1/foundations", json={"slug": "shekou", "name": "蛇口社区基金会"}
            )
            assert created.status_code == 201, created.text
            foundation_id = created.json()["id"]
            await eventually(
                lambda: copies_hold(f, {foundation_id: "蛇口社区基金会"}), what="the copies"
            )

            renamed = await network.patch(
                f"/api/v1/foundations/{foundation_id}", json={"name": "蛇口社区公益基金会"}
            )
            assert renamed.status_code == 200, renamed.text
            await eventually(
                lambda: copies_hold(f, {foundation_id: "蛇口社区公益基金会"}),
                what="the renamed copies",
            )

            for service in COPIES:
                copy = await f.copy(service, foundation_id)
                assert copy.slug == "shekou"
                assert copy.updated_at == dt.datetime.fromisoformat(renamed.json()["updated_at"])
                assert await f.inbox_count(service) == 2
                assert f.consumer(service).consumed == 2

    async def test_every_published_event_validates_against_its_contract(
        self, urls: dict[str, str], make_flow: FlowMaker
    ) -> None:
        async with make_flow(urls) as f, f.network() as network:
            ids = []
            for i in range(5):
                response = await network.post(
                    "/api/v1/foundations",
                    json={"slug": f"cf-{i}", "name": f"基金会 {i}", "name_en": f"CF {i}"},
                )
                ids.append(response.json()["id"])
                await network.patch(f"/api/v1/foundations/{ids[-1]}", json={"name_en": None})
            await eventually(lambda: _all_published(f), what="the relay")
            schemas = export_schemas()
            seen = 0
            for service in MIGRATIONS:
                for row in await f.outbox(service):
                    event = row_to_event(row)
                    jsonschema.validate(event.payload, schemas[f"{event.type}.v{event.version}"])
                    Event.model_validate_json(event.to_json()).parse()
                    seen += 1
            assert seen == 10

    async def test_an_older_update_never_overwrites_a_newer_copy(
        self, urls: dict[str, str]
    ) -> None:
        bus = InMemoryBus()
        try:
            async with flow(urls, bus=bus) as f:
                foundation_id = uuid.uuid4()
                now = dt.datetime.now(dt.UTC)

                def update(name: str, at: dt.datetime) -> Delivery:
                    payload = FoundationUpdatedV1(
                        foundation_id=foundation_id, slug="wuhou", name=name, updated_at=at
                    )
                    return Delivery(
                        Event(
                            type="network.foundation.updated",
                            version=1,
                            producer="network",
                            foundation_id=foundation_id,
                            payload=payload.model_dump(mode="json"),
                        ),
                        1,
                    )

                newer = update("newer", now)
                older = update("older", now - dt.timedelta(seconds=1))
                consumer = f.consumer("donations")
                await consumer.handle(newer)
                await consumer.handle(older)
                await consumer.handle(newer)  # redelivered: no second effect

                copy = await f.copy("donations", str(foundation_id))
                assert copy.name == "newer"
                assert consumer.consumed == 2
                assert consumer.duplicates == 1
        finally:
            await bus.close()


async def _all_published(f: Flow) -> bool:
    rows = await f.outbox("network")
    return bool(rows) and all(row.published_at is not None for row in rows)


class TestWiring:
    async def test_a_service_on_the_in_memory_bus_alone_refuses_to_start(
        self, urls: dict[str, str]
    ) -> None:
        app = network_app(_settings("network", urls["network"]))
        with pytest.raises(BusNotShared, match="FNET_NETWORK_BUS_URL=nats://"):
            async with running(app):
                pass

    async def test_readyz_reports_the_bus_and_metrics_the_events(
        self, urls: dict[str, str], make_flow: FlowMaker
    ) -> None:
        async with make_flow(urls) as f, f.network() as network:
            await network.post("/api/v1/foundations", json={"slug": "shekou", "name": "蛇口"})
            await eventually(lambda: _all_published(f), what="the relay")
            await eventually(lambda: _consumed(f, "donations", 1), what="the consumer")

            async with client_for(f.apps["network"], None) as anonymous:
                ready = await anonymous.get("/readyz")
                metrics = (await anonymous.get("/metrics")).text
            async with client_for(f.apps["donations"], None) as anonymous:
                donations_metrics = (await anonymous.get("/metrics")).text

        assert ready.json() == {"status": "ok", "checks": {"database": "ok", "bus": "ok"}}
        assert 'fnet_events_outbox_backlog{app="network"} 0.0' in metrics
        assert 'fnet_events_published_total{app="network"} 1.0' in metrics
        assert 'fnet_events_consumed_total{app="donations",consumer="donations"} 1.0' in (
            donations_metrics
        )
        for name in ("fnet_events_retries_total", "fnet_events_dead_lettered_total"):
            assert name in donations_metrics
        assert 'fnet_events_dead_letters{app="donations"} 0.0' in donations_metrics

    async def test_readyz_is_503_while_nats_is_away(
        self, urls: dict[str, str], tmp_path: Path
    ) -> None:
        with nats_server(tmp_path) as server:
            async with (
                private_stream(server.url) as stream,
                flow(urls, bus_settings=stream.settings) as f,
                client_for(f.apps["network"], None) as anonymous,
            ):
                assert (await anonymous.get("/readyz")).status_code == 200
                server.stop()
                await asyncio.sleep(0.5)
                away = await anonymous.get("/readyz")
                server.start()
                await eventually(lambda: _ready(anonymous), what="readiness")
        assert away.status_code == 503
        assert away.json()["checks"]["bus"].startswith("unavailable")


async def _consumed(f: Flow, service: str, n: int) -> bool:
    return f.consumer(service).consumed >= n


async def _ready(client: httpx.AsyncClient) -> bool:
    return (await client.get("/readyz")).status_code == 200


class NatsServer:
    """A NATS server with JetStream of the test's own, to stop and start at will (the
    shared one at 127.0.0.1:4222 is never touched)."""

    def __init__(self, store: Path) -> None:
        self.port = free_port()
        self.store = store
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        # Debian's package installs it in /usr/sbin, not on every user's PATH.
        binary = shutil.which("nats-server") or shutil.which("nats-server", path="/usr/sbin")
        assert binary, "nats-server is not installed (see the README's test requirements)"
        self.process = subprocess.Popen(
            [binary, "-js", "-a", "127.0.0.1", "-p", str(self.port), "-sd", str(self.store)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port)):
                return
            time.sleep(0.05)
        raise TimeoutError("nats-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


@contextlib.contextmanager
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    server = NatsServer(tmp_path / "nats")
    server.start()
    try:
        yield server
    finally:
        server.stop()


class TestNatsOutage:
    async def test_no_event_is_lost_while_nats_is_down(
        self, urls: dict[str, str], tmp_path: Path
    ) -> None:
        with nats_server(tmp_path) as server:
            async with (
                private_stream(server.url) as stream,
                flow(urls, bus_settings=stream.settings) as f,
            ):
                server.stop()
                expected: dict[str, str] = {}
                async with f.network() as network:
                    for i in range(200):
                        response = await network.post(
                            "/api/v1/foundations", json={"slug": f"cf-{i}", "name": f"基金会{i}"}
                        )
                        assert response.status_code == 201, response.text
                        expected[response.json()["id"]] = f"基金会{i}"
                assert not await _all_published(f)
                server.start()

                await eventually(lambda: copies_hold(f, expected), within=120, what="catch-up")

                assert await _all_published(f)
                for service in COPIES:
                    assert len(await f.copies(service)) == 200
                    assert await f.inbox_count(service) == 200
                    # Each event applied exactly once, whatever was redelivered.
                    assert f.consumer(service).consumed == 200
