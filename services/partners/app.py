"""The partners service app. Run: ``uvicorn services.partners.app:create_app --factory``."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from kit.app import create_service_app
from kit.db import Database
from kit.events import Bus
from kit.migrations import MigrationSet
from services.partners.foundations.service import consumers as foundation_consumers
from services.partners.organisations.router import router as organisations_router
from services.partners.settings import PartnersSettings

# The consumers of this service; `fnet events replay` builds them too.
CONSUMERS = foundation_consumers
MIGRATIONS = MigrationSet("partners", Path(__file__).parent / "migrations")


def create_app(
    settings: PartnersSettings | None = None,
    *,
    database: Database | None = None,
    bus: Bus | None = None,
) -> FastAPI:
    """The app; ``database`` and ``bus`` are given by tests and by ``fnet up`` (see
    :func:`kit.app.create_service_app`)."""
    return create_service_app(
        name="partners",
        title="Foundation Network: partners",
        description="The partner organisations a foundation works with.",
        settings=settings or PartnersSettings(),  # read from the environment
        migrations=MIGRATIONS,
        routers=[organisations_router],
        consumers=CONSUMERS,
        database=database,
        bus=bus,
    )
