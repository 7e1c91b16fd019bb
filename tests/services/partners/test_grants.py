"""Grants partner organisations received: recorded from donations.grant.paid events, listed
per organisation."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from contracts.donations import GrantPaidV1
from kit.db import transaction
from kit.events import Consumer, Delivery, Event, new_event
from kit.events.inbox import dead_letters
from kit.identity import Principal
from kit.ids import new_id
from services.partners.app import consumers
from services.partners.grants.models import PartnerGrant
from tests.services.partners.factories import create_partner
from tests.support import client_for, principal


def grant_paid(
    foundation_id: uuid.UUID | None,
    partner_id: uuid.UUID | str,
    *,
    amount: str = "5000.00",
    currency: str = "CNY",
    grant_id: uuid.UUID | None = None,
) -> Event:
    return new_event(
        GrantPaidV1(
            grant_id=grant_id or new_id(),  # time-ordered, as donations makes them
            partner_organisation_id=uuid.UUID(str(partner_id)),
            campaign_id=uuid.uuid4(),
            amount=amount,
            currency=currency,
            purpose="Online community radio, three months",
            paid_at=dt.datetime(2020, 2, 20, 2, 0, tzinfo=dt.UTC),
        ),
        producer="donations",
        foundation_id=foundation_id,
    )


def consumer_of(app: FastAPI) -> Consumer:
    (consumer,) = consumers(app.state.database)
    return consumer


async def grants_of(client: httpx.AsyncClient, partner_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"/api/v1/partners/{partner_id}/grants")
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def count(app: FastAPI, table: Any) -> int:
    async with transaction(app.state.database, write=False) as session:
        return int((await session.scalar(select(func.count()).select_from(table))) or 0)


class TestRecordGrantPaid:
    async def test_a_grant_paid_is_listed_under_its_organisation(
        self, app: FastAPI, client: httpx.AsyncClient, foundation: Principal
    ) -> None:
        partner = await create_partner(client)
        event = grant_paid(foundation.organisation_id, partner["id"], amount="5000.00")
        await consumer_of(app).handle(Delivery(event, 1))

        grants = await grants_of(client, partner["id"])
        payload = event.payload
        assert len(grants) == 1
        assert grants[0]["id"] == payload["grant_id"]
        assert grants[0]["amount"] == {"amount": "5000.00", "currency": "CNY"}
        assert grants[0]["campaign_id"] == payload["campaign_id"]
        assert grants[0]["purpose"] == payload["purpose"]
        assert grants[0]["paid_at"] == "2020-02-20T02:00:00Z"

    async def test_a_redelivered_or_republished_grant_is_recorded_once(
        self, app: FastAPI, client: httpx.AsyncClient, foundation: Principal
    ) -> None:
        partner = await create_partner(client)
        consumer = consumer_of(app)
        event = grant_paid(foundation.organisation_id, partner["id"])
        await consumer.handle(Delivery(event, 1))
        await consumer.handle(Delivery(event, 2))
        # The same grant under another event id (e.g. re-emitted) is still one grant.
        again = grant_paid(
            foundation.organisation_id,
            partner["id"],
            grant_id=uuid.UUID(event.payload["grant_id"]),
        )
        await consumer.handle(Delivery(again, 1))
        assert len(await grants_of(client, partner["id"])) == 1
        assert consumer.duplicates == 1

    async def test_amounts_keep_their_currency_and_minor_units(
        self, app: FastAPI, client: httpx.AsyncClient, foundation: Principal
    ) -> None:
        partner = await create_partner(client)
        consumer = consumer_of(app)
        for amount, currency in (("0.01", "CNY"), ("12345", "JPY"), ("99.90", "HKD")):
            event = grant_paid(
                foundation.organisation_id, partner["id"], amount=amount, currency=currency
            )
            await consumer.handle(Delivery(event, 1))
        amounts = [g["amount"] for g in await grants_of(client, partner["id"])]
        assert amounts == [
            {"amount": "99.90", "currency": "HKD"},
            {"amount": "12345", "currency": "JPY"},
            {"amount": "0.01", "currency": "CNY"},
        ]

    async def test_a_grant_to_an_unknown_organisation_is_kept_but_shown_nowhere(
        self, app: FastAPI, client: httpx.AsyncClient, foundation: Principal
    ) -> None:
        partner = await create_partner(client)
        await consumer_of(app).handle(
            Delivery(grant_paid(foundation.organisation_id, uuid.uuid4()), 1)
        )
        assert await grants_of(client, partner["id"]) == []
        assert await count(app, PartnerGrant.__table__) == 1

    async def test_another_foundations_grants_and_partners_stay_apart(
        self, app: FastAPI, client: httpx.AsyncClient, foundation: Principal
    ) -> None:
        partner = await create_partner(client)
        # Another foundation's grant naming our partner's id is not ours to show.
        await consumer_of(app).handle(Delivery(grant_paid(uuid.uuid4(), partner["id"]), 1))
        assert await grants_of(client, partner["id"]) == []
        async with client_for(app, principal()) as intruder:
            response = await intruder.get(f"/api/v1/partners/{partner['id']}/grants")
        assert response.status_code == 404

    async def test_an_event_without_its_foundation_is_dead_lettered(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        partner = await create_partner(client)
        consumer = consumer_of(app)
        await consumer.handle(Delivery(grant_paid(None, partner["id"]), consumer.max_attempts))
        assert consumer.dead_lettered == 1
        assert await count(app, dead_letters) == 1
        assert await count(app, PartnerGrant.__table__) == 0
