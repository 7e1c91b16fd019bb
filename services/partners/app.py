"""The partners service app. Run: ``uvicorn services.partners.app:create_app --factory``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fastapi import FastAPI

from kit.app import create_service_app
from kit.db import Database
from kit.events import Bus, Consumer
from kit.migrations import MigrationSet
from services.partners.collaborations.router import router as collaborations_router
from services.partners.crowdfundings.router import router as crowdfundings_router
from services.partners.foundations.service import consumers as foundation_consumers
from services.partners.grants.router import router as grants_router
from services.partners.grants.service import handle_grant_events
from services.partners.organisations.router import router as organisations_router
from services.partners.settings import PartnersSettings
from services.partners.topic_groups.router import router as topic_groups_router


def consumers(database: Database) -> Sequence[Consumer]:
    """The service's one consumer ("partners", its durable subscription), with the
    directory's handlers and the grants' on it."""
    found = list(foundation_consumers(database))
    for consumer in found:
        handle_grant_events(consumer)
    return found


# The consumers of this service; `fnet events replay` builds them too.
CONSUMERS = consumers
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
        description="The partner organisations a foundation works with, and what they do together.",
        settings=settings or PartnersSettings(),  # read from the environment
        migrations=MIGRATIONS,
        routers=[
            organisations_router,
            grants_router,
            collaborations_router,
            topic_groups_router,
            crowdfundings_router,
        ],
        consumers=CONSUMERS,
        database=database,
        bus=bus,
    )
