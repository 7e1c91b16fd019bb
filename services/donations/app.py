"""The donations service app. Run: ``uvicorn services.donations.app:create_app --factory``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from fastapi import FastAPI

from kit.app import create_service_app
from kit.db import Database
from kit.events import Bus, Consumer
from kit.migrations import MigrationSet
from kit.workers import Worker
from services.donations.campaigns.router import router as campaigns_router
from services.donations.disclosures.router import public_router as public_disclosures_router
from services.donations.disclosures.router import router as disclosures_router
from services.donations.distributions.router import router as distributions_router
from services.donations.donations import integration
from services.donations.donations.router import router as donations_router
from services.donations.expenses.router import router as expenses_router
from services.donations.foundations.service import consumers as foundation_consumers
from services.donations.grants.router import router as grants_router
from services.donations.imports.router import router as imports_router
from services.donations.in_kind.router import router as in_kind_router
from services.donations.ledger.conversions.router import router as conversions_router
from services.donations.ledger.router import router as ledger_router
from services.donations.log.router import keys_router as log_keys_router
from services.donations.log.router import router as log_router
from services.donations.log.sequencer import Sequencer
from services.donations.log.signing import HeadSigner, load_signer
from services.donations.partner_copies.service import handle_partner_events
from services.donations.purchases.router import router as purchases_router
from services.donations.refunds.router import router as refunds_router
from services.donations.reports.router import foundation_router as public_campaigns_router
from services.donations.reports.router import router as reports_router
from services.donations.settings import DonationsSettings
from services.donations.supplies.router import router as stock_router


def consumers(database: Database) -> list[Consumer]:
    """The service's one consumer, with the directory's handlers and the partner copies'."""
    found = foundation_consumers(database)
    for consumer in found:
        handle_partner_events(consumer)
    return found


# The consumers of this service; `fnet events replay` builds them too.
CONSUMERS = consumers
MIGRATIONS = MigrationSet("donations", Path(__file__).parent / "migrations")


def workers(
    settings: DonationsSettings, signer: HeadSigner
) -> Callable[[Database], Sequence[Worker]]:
    def build(database: Database) -> Sequence[Worker]:
        return [
            Sequencer(
                database,
                signer,
                steps=integration.STEPS,
                interval=settings.log_interval_seconds,
            )
        ]

    return build


def create_app(
    settings: DonationsSettings | None = None,
    *,
    database: Database | None = None,
    bus: Bus | None = None,
) -> FastAPI:
    """The app; ``database`` and ``bus`` are given by tests and by ``fnet up`` (see
    :func:`kit.app.create_service_app`)."""
    settings = settings or DonationsSettings()  # read from the environment
    # One key for the app's life: the sequencer signs with it, and so does a disclosure
    # that freezes the log's head.
    signer = load_signer(settings.log_signing_key)
    app = create_service_app(
        name="donations",
        title="Foundation Network: donations",
        description=(
            "Campaigns, money and in-kind donations, spending, supplies, grants, the "
            "hash-chained ledger, its transparency log, transparency reports and disclosures."
        ),
        settings=settings,
        migrations=MIGRATIONS,
        routers=[
            campaigns_router,
            # Before the donations: its paths would otherwise be read as a donation's id.
            imports_router,
            donations_router,
            refunds_router,
            ledger_router,
            in_kind_router,
            purchases_router,
            distributions_router,
            stock_router,
            expenses_router,
            grants_router,
            conversions_router,
            disclosures_router,
        ],
        # Answered without the gateway's identity token: what anyone may read.
        public_routers=[
            reports_router,
            public_disclosures_router,
            public_campaigns_router,
            log_router,
            log_keys_router,
        ],
        consumers=CONSUMERS,
        workers=workers(settings, signer),
        database=database,
        bus=bus,
    )
    app.state.log_signer = signer
    return app
