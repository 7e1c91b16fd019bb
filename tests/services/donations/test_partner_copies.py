"""Grants go to real partners: the donations service's copy of each foundation's partner
organisations, kept by partner events, and the 422 for a grant paid to anyone else."""

from __future__ import annotations

import uuid

import httpx
from fastapi import FastAPI

from kit.identity import Principal
from tests.services.donations.factories import funded_campaign, held, outbox_events
from tests.services.donations.factories_partners import announce_partner
from tests.services.donations.factories_spending import pay_grant
from tests.support import principal


async def refused(client: httpx.AsyncClient, app: FastAPI, partner_id: str) -> None:
    """Paying ``partner_id`` is a 422 naming the field, and changes nothing."""
    campaign = await funded_campaign(client, "1000.00")
    before = len(await outbox_events(app, "donations.grant.paid"))
    response = await pay_grant(
        client,
        "100.00",
        campaign_id=campaign["id"],
        partner_organisation_id=partner_id,
        announce=False,
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "urn:fnet:problem:not-a-partner"
    assert [e["field"] for e in problem["errors"]] == ["partner_organisation_id"]
    assert await held(client, campaign["id"]) == {"CNY": "1000.00"}
    assert len(await outbox_events(app, "donations.grant.paid")) == before
    listed = await client.get("/api/v1/grants/paid", params={"campaign_id": campaign["id"]})
    assert listed.json()["items"] == []


class TestGrantsGoToRealPartners:
    async def test_a_grant_to_a_current_partner_is_paid(
        self, app: FastAPI, client: httpx.AsyncClient, foundation: Principal
    ) -> None:
        partner = await announce_partner(app, foundation.organisation_id)
        campaign = await funded_campaign(client, "1000.00")
        response = await pay_grant(
            client,
            "100.00",
            campaign_id=campaign["id"],
            partner_organisation_id=partner,
            announce=False,
        )
        assert response.status_code == 201, response.text

    async def test_an_organisation_nobody_announced_is_422(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        await refused(client, app, str(uuid.uuid4()))

    async def test_another_foundations_partner_is_422(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        theirs = await announce_partner(app, principal().organisation_id)
        await refused(client, app, theirs)

    async def test_an_archived_partner_is_422(
        self, app: FastAPI, client: httpx.AsyncClient, foundation: Principal
    ) -> None:
        partner = await announce_partner(app, foundation.organisation_id)
        await announce_partner(app, foundation.organisation_id, partner, archived=True, version=2)
        await refused(client, app, partner)

    async def test_an_older_event_never_overwrites_a_newer_copy(
        self, app: FastAPI, client: httpx.AsyncClient, foundation: Principal
    ) -> None:
        partner = await announce_partner(app, foundation.organisation_id, archived=True, version=3)
        await announce_partner(app, foundation.organisation_id, partner, version=1)
        await refused(client, app, partner)
