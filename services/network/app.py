"""The network service app. Run: ``uvicorn services.network.app:create_app --factory``."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from kit.app import create_service_app
from kit.db import Database
from kit.events import Bus
from kit.migrations import MigrationSet
from services.network.foundations import router as foundations
from services.network.networks import router as networks
from services.network.offers import router as offers
from services.network.pairings import router as pairings
from services.network.resources import router as resources
from services.network.settings import NetworkSettings
from services.network.sync import router as sync

MIGRATIONS = MigrationSet("network", Path(__file__).parent / "migrations")


def create_app(
    settings: NetworkSettings | None = None,
    *,
    database: Database | None = None,
    bus: Bus | None = None,
) -> FastAPI:
    """The app; ``database`` and ``bus`` are given by tests and by ``fnet up`` (see
    :func:`kit.app.create_service_app`)."""
    return create_service_app(
        name="network",
        title="Foundation Network: network",
        description="The directory of foundations, shared by every foundation in the network.",
        settings=settings or NetworkSettings(),  # read from the environment
        migrations=MIGRATIONS,
        routers=[
            foundations.router,
            networks.router,
            pairings.router,
            resources.router,
            offers.router,
            sync.router,
        ],
        public_routers=[foundations.public_router],
        database=database,
        bus=bus,
    )
