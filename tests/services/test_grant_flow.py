"""Over the bus: the donations service learns of a partner from the partners service, pays
it a grant, and the grant reaches the partners service's record of the organisation
exactly once and funds its collaboration."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from kit.events import InMemoryBus
from kit.migrations import upgrade
from services.donations.app import MIGRATIONS as DONATIONS_MIGRATIONS
from services.donations.app import create_app as donations_app
from services.donations.settings import DonationsSettings
from services.partners.app import MIGRATIONS as PARTNERS_MIGRATIONS
from services.partners.app import create_app as partners_app
from services.partners.settings import PartnersSettings
from tests.kit.events.conftest import eventually
from tests.services.donations.factories import funded_campaign
from tests.services.donations.factories_spending import pay_grant
from tests.services.partners.factories import create_collaboration, create_partner
from tests.support import (
    TEST_SECRET,
    client_for,
    create_postgres_database,
    drop_postgres_databases,
    principal,
    running,
)


@pytest.fixture
async def apps(backend: str, tmp_path: Path) -> AsyncIterator[dict[str, FastAPI]]:
    """donations and partners on fresh databases of their own, committing, on one bus."""
    urls: dict[str, str] = {}
    for name, migrations in (
        ("donations", DONATIONS_MIGRATIONS),
        ("partners", PARTNERS_MIGRATIONS),
    ):
        if backend == "sqlite":
            urls[name] = f"sqlite+aiosqlite:///{tmp_path / f'{name}.db'}"
        else:
            urls[name] = await create_postgres_database(f"fnet_test_grants_{name}")
        await asyncio.to_thread(upgrade, migrations, urls[name])
    common: dict[str, Any] = {"internal_token_secret": TEST_SECRET, "json_logs": False}
    bus = InMemoryBus()
    try:
        async with contextlib.AsyncExitStack() as stack:
            donations = donations_app(
                DonationsSettings(database_url=urls["donations"], **common), bus=bus
            )
            partners = partners_app(
                PartnersSettings(database_url=urls["partners"], **common), bus=bus
            )
            yield {
                "donations": await stack.enter_async_context(running(donations)),
                "partners": await stack.enter_async_context(running(partners)),
            }
    finally:
        await bus.close()
        if backend != "sqlite":
            await drop_postgres_databases(list(urls.values()))


async def test_a_grant_paid_reaches_the_partners_record_of_the_organisation(
    apps: dict[str, FastAPI],
) -> None:
    foundation = principal()
    async with (
        client_for(apps["donations"], foundation) as donations,
        client_for(apps["partners"], foundation) as partners,
    ):
        partner = await create_partner(partners, name="妈妈幸福学习园")
        collaboration = await create_collaboration(partners, [partner["id"]])
        campaign = await funded_campaign(donations, "20670.18")

        # The donations service learns of the partner from partners.partner.created.
        async def known() -> bool:
            refused = await pay_grant(
                donations,
                "5000.00",
                campaign_id=campaign["id"],
                partner_organisation_id=partner["id"],
                key="grant-radio",
                announce=False,
                paid_at="2020-02-20T10:00:00+08:00",
            )
            assert refused.status_code in (201, 422), refused.text
            return refused.status_code == 201

        await eventually(known, what="the partner in the donations service")
        paid = await pay_grant(
            donations,
            "5000.00",
            campaign_id=campaign["id"],
            partner_organisation_id=partner["id"],
            key="grant-radio",
            announce=False,
            paid_at="2020-02-20T10:00:00+08:00",
        )
        assert paid.status_code == 201, paid.text
        replayed = await pay_grant(
            donations,
            "5000.00",
            campaign_id=campaign["id"],
            partner_organisation_id=partner["id"],
            key="grant-radio",
            announce=False,
            paid_at="2020-02-20T10:00:00+08:00",
        )
        assert replayed.json() == paid.json()

        async def arrived() -> bool:
            response = await partners.get(f"/api/v1/partners/{partner['id']}/grants")
            return bool(response.json()["items"])

        await eventually(arrived, what="the grant in the partners service")
        grants = (await partners.get(f"/api/v1/partners/{partner['id']}/grants")).json()["items"]
        funded = await partners.get(f"/api/v1/collaborations/{collaboration['id']}")
        consumer = apps["partners"].state.events.consumers[0]

    assert [(g["id"], g["amount"], g["campaign_id"]) for g in grants] == [
        (paid.json()["id"], {"amount": "5000.00", "currency": "CNY"}, campaign["id"])
    ]
    assert consumer.consumed == 1
    # The radio collaboration (2020-02-10 to 2020-06-30) is funded by the grant.
    assert funded.json()["funding"] == [{"amount": "5000.00", "currency": "CNY"}]
