"""The network service app. Run: ``uvicorn services.network.app:create_app --factory``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from kit.app import create_service_app
from kit.db import Database
from kit.events import Bus, Consumer
from kit.migrations import MigrationSet
from services.network.foundations import router as foundations
from services.network.networks import router as networks
from services.network.offers import router as offers
from services.network.pairings import router as pairings
from services.network.resources import router as resources
from services.network.settings import NetworkSettings
from services.network.shares import service as shares_service
from services.network.sync import router as sync
from services.network.sync.notify import HeadWatcher
from services.network.webhooks import router as webhooks
from services.network.webhooks import service as webhook_service
from services.network.webhooks.sender import Sender

MIGRATIONS = MigrationSet("network", Path(__file__).parent / "migrations")


def consumers(database: Database) -> list[Consumer]:
    """The service's consumers, on its database (called by the app's lifespan)."""
    fan_out = Consumer("network-webhooks", database)
    fan_out.on("network.shared_resource.changed")(webhook_service.fan_out)
    shares = Consumer("network-shares", database)
    shares.on("donations.disclosure.published")(shares_service.share_disclosure)
    shares.on("partners.topic_output.published")(shares_service.share_topic_output)
    return [fan_out, shares]


def create_app(
    settings: NetworkSettings | None = None,
    *,
    database: Database | None = None,
    bus: Bus | None = None,
) -> FastAPI:
    """The app; ``database`` and ``bus`` are given by tests and by ``fnet up`` (see
    :func:`kit.app.create_service_app`). The webhook sender and the sync feed's head
    watcher run wherever the event relay does (not on a test's rolled-back connection)."""
    settings = settings or NetworkSettings()  # read from the environment
    app = create_service_app(
        name="network",
        title="Foundation Network: network",
        description="The directory of foundations; networks, pairings and the resources "
        "they share; the sync feed members keep their copies with; webhooks.",
        settings=settings,
        migrations=MIGRATIONS,
        routers=[
            foundations.router,
            networks.router,
            pairings.router,
            resources.router,
            offers.router,
            sync.router,
            webhooks.router,
        ],
        public_routers=[foundations.public_router],
        consumers=consumers,
        database=database,
        bus=bus,
    )
    service_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with service_lifespan(app):
            sender = watcher = None
            if app.state.events is not None:
                sender = Sender(app.state.database, settings)
                await sender.start()
                watcher = HeadWatcher(app.state.database, settings.sync_poll_interval_seconds)
                await watcher.start()
            app.state.webhook_sender = sender
            try:
                yield
            finally:
                if watcher is not None:
                    await watcher.stop()
                if sender is not None:
                    await sender.stop()

    app.router.lifespan_context = lifespan
    return app
