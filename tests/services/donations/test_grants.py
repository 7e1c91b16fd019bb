"""Grants received (restricted to a campaign, or unrestricted) and grants paid to partner
organisations, which the partners service learns of by an event."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from fastapi import FastAPI

from kit.identity import Principal
from tests.services.donations.factories import (
    create_campaign,
    fund_balance,
    funded_campaign,
    held,
    move_to,
    outbox_count,
    outbox_events,
    verified_entries,
)
from tests.services.donations.factories_spending import pay_grant, receive_grant
from tests.support import client_for, principal


class TestReceiveGrant:
    async def test_a_restricted_grant_is_held_by_its_campaign(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        response = await receive_grant(
            client, "30000.00", campaign_id=campaign["id"], received_at="2020-02-03T09:30:00+08:00"
        )
        assert response.status_code == 201, response.text
        grant = response.json()
        assert grant["restricted"] is True
        assert grant["fund_id"] == campaign["id"]
        assert grant["programme"] == "溪流计划专项资金"
        assert grant["received_at"] == "2020-02-03T01:30:00Z"
        assert (await client.get(response.headers["location"])).json() == grant

        read = (await client.get(f"/api/v1/campaigns/{campaign['id']}")).json()
        assert read["held"] == [{"amount": "30000.00", "currency": "CNY"}]
        assert read["raised"]["amount"] == "0.00"  # a grant is not a donation
        entry = (await client.get(f"/api/v1/ledger/entries/{grant['entry_id']}")).json()
        assert entry["kind"] == "grant_received"
        assert [(line["account"], line["fund_id"]) for line in entry["lines"]] == [
            ("cash", campaign["id"]),
            ("grants_received", campaign["id"]),
        ]
        assert await verified_entries(client) == 1

    async def test_an_unrestricted_grant_goes_to_the_foundations_own_fund(
        self, client: httpx.AsyncClient, foundation: Principal
    ) -> None:
        campaign = await create_campaign(client)
        response = await receive_grant(client, "500.00", currency="HKD")
        assert response.status_code == 201, response.text
        grant = response.json()
        assert grant["restricted"] is False
        assert grant["campaign_id"] is None
        assert grant["fund_id"] == str(foundation.organisation_id)
        assert await held(client, campaign["id"]) == {}
        own = await fund_balance(client, str(foundation.organisation_id), "cash")
        assert own == {"HKD": "500.00"}

    async def test_restricted_money_is_spent_only_through_its_campaign(
        self, client: httpx.AsyncClient
    ) -> None:
        restricted = await create_campaign(client)
        other = await funded_campaign(client, "10.00")
        await receive_grant(client, "1000.00", campaign_id=restricted["id"])

        from_unrestricted = await pay_grant(client, "100.00")
        from_other = await pay_grant(client, "100.00", campaign_id=other["id"])
        from_restricted = await pay_grant(client, "100.00", campaign_id=restricted["id"])

        assert from_unrestricted.status_code == from_other.status_code == 409
        assert from_restricted.status_code == 201, from_restricted.text
        assert await held(client, restricted["id"]) == {"CNY": "900.00"}
        assert await held(client, other["id"]) == {"CNY": "10.00"}

    @pytest.mark.parametrize("whose", ["unknown", "another foundation's"])
    async def test_a_campaign_not_of_the_foundation_is_422_naming_it(
        self, app: FastAPI, client: httpx.AsyncClient, whose: str
    ) -> None:
        if whose == "unknown":
            campaign_id = str(uuid.uuid4())
        else:
            async with client_for(app, principal()) as other:
                campaign_id = (await create_campaign(other))["id"]
        response = await receive_grant(client, "10.00", campaign_id=campaign_id)
        assert response.status_code == 422
        assert response.json()["type"] == "urn:fnet:problem:unknown-campaign"
        assert [e["field"] for e in response.json()["errors"]] == ["campaign_id"]
        assert (await client.get("/api/v1/grants/received")).json()["items"] == []
        assert await verified_entries(client) == 0

    async def test_a_settled_campaign_takes_no_grant(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client)
        await move_to(client, campaign["id"], "closed", "settled")
        response = await receive_grant(client, "10.00", campaign_id=campaign["id"])
        assert response.status_code == 409
        assert response.json()["type"] == "urn:fnet:problem:campaign-settled"
        assert await verified_entries(client) == 0

    @pytest.mark.parametrize(
        ("extra", "field"),
        [
            ({"amount": {"amount": "0", "currency": "CNY"}}, "amount.amount"),
            ({"amount": {"amount": 10, "currency": "CNY"}}, "amount.amount"),
            ({"amount": {"amount": "10", "currency": "XYZ"}}, "amount.currency"),
            ({"grantor": ""}, "grantor"),
            ({"received_at": "2999-01-01T00:00:00Z"}, "received_at"),
            ({"received_at": "2020-02-03T09:30:00"}, "received_at"),
            ({"campaign_id": "not-a-uuid"}, "campaign_id"),
        ],
    )
    async def test_bad_input_is_422_naming_the_field_and_stores_nothing(
        self, client: httpx.AsyncClient, extra: dict[str, object], field: str
    ) -> None:
        body = {
            "grantor": "深圳市社会公益基金会",
            "amount": {"amount": "10.00", "currency": "CNY"},
            **extra,
        }
        response = await client.post("/api/v1/grants/received", json=body)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in response.json()["errors"]] == [field]
        assert await verified_entries(client) == 0

    async def test_replay_returns_the_first_answer(self, client: httpx.AsyncClient) -> None:
        first = await receive_grant(client, "10.00", key="g-1")
        again = await receive_grant(client, "10.00", key="g-1")
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json()
        assert await verified_entries(client) == 1

    async def test_list_filters_by_campaign_and_hides_other_foundations(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        restricted = (await receive_grant(client, "1.00", campaign_id=campaign["id"])).json()
        unrestricted = (await receive_grant(client, "2.00")).json()
        every = (await client.get("/api/v1/grants/received")).json()["items"]
        assert [g["id"] for g in every] == [unrestricted["id"], restricted["id"]]
        only = await client.get("/api/v1/grants/received", params={"campaign_id": campaign["id"]})
        assert [g["id"] for g in only.json()["items"]] == [restricted["id"]]
        async with client_for(app, principal()) as intruder:
            assert (await intruder.get("/api/v1/grants/received")).json()["items"] == []
            hidden = await intruder.get(f"/api/v1/grants/received/{restricted['id']}")
        assert hidden.status_code == 404


class TestPayGrant:
    async def test_a_grant_paid_spends_the_campaign_and_emits_the_event(
        self, app: FastAPI, client: httpx.AsyncClient, foundation: Principal
    ) -> None:
        campaign = await funded_campaign(client, "1000.00")
        partner_id = str(uuid.uuid4())
        response = await pay_grant(
            client,
            "400.00",
            campaign_id=campaign["id"],
            partner_organisation_id=partner_id,
            paid_at="2020-02-20T10:00:00+08:00",
        )
        assert response.status_code == 201, response.text
        grant = response.json()
        assert grant["partner_organisation_id"] == partner_id
        assert grant["fund_id"] == campaign["id"]
        assert (await client.get(response.headers["location"])).json() == grant
        assert await held(client, campaign["id"]) == {"CNY": "600.00"}
        entry = (await client.get(f"/api/v1/ledger/entries/{grant['entry_id']}")).json()
        assert entry["kind"] == "grant_paid"
        assert [(line["account"], bool(line["debit"])) for line in entry["lines"]] == [
            ("grants_paid", True),
            ("cash", False),
        ]

        events = await outbox_events(app, "donations.grant.paid")
        assert [(e.payload, e.foundation_id) for e in events] == [
            (
                {
                    "grant_id": grant["id"],
                    "partner_organisation_id": partner_id,
                    "campaign_id": campaign["id"],
                    "amount": "400.00",
                    "currency": "CNY",
                    "purpose": "Online community radio, three months",
                    "paid_at": "2020-02-20T02:00:00Z",
                },
                foundation.organisation_id,
            )
        ]

    async def test_from_the_unrestricted_fund_in_any_currency(
        self, client: httpx.AsyncClient, foundation: Principal
    ) -> None:
        await receive_grant(client, "500.00", currency="HKD")
        response = await pay_grant(client, "200.00", currency="HKD")
        assert response.status_code == 201, response.text
        assert response.json()["fund_id"] == str(foundation.organisation_id)
        own = await fund_balance(client, str(foundation.organisation_id), "cash")
        assert own == {"HKD": "300.00"}

    async def test_more_than_the_fund_holds_is_409_and_changes_nothing(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        campaign = await funded_campaign(client, "100.00")
        events = await outbox_count(app)
        response = await pay_grant(client, "100.01", campaign_id=campaign["id"])
        assert response.status_code == 409
        assert response.json()["type"] == "urn:fnet:problem:insufficient-funds"
        assert await held(client, campaign["id"]) == {"CNY": "100.00"}
        assert await verified_entries(client) == 1
        assert await outbox_count(app) == events
        assert (await client.get("/api/v1/grants/paid")).json()["items"] == []

    async def test_a_spend_in_another_currency_is_422(self, client: httpx.AsyncClient) -> None:
        campaign = await funded_campaign(client, "100.00")
        response = await pay_grant(client, "10.00", currency="HKD", campaign_id=campaign["id"])
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["amount.currency"]
        assert await verified_entries(client) == 1

    async def test_another_foundations_campaign_is_422(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        async with client_for(app, principal()) as other:
            theirs = await funded_campaign(other, "100.00")
        response = await pay_grant(client, "10.00", campaign_id=theirs["id"])
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["campaign_id"]
        assert await verified_entries(client) == 0

    @pytest.mark.parametrize(
        ("extra", "field"),
        [
            ({"partner_organisation_id": "acme"}, "partner_organisation_id"),
            ({"purpose": " "}, "purpose"),
            ({"amount": {"amount": "-1", "currency": "CNY"}}, "amount.amount"),
            ({"paid_at": "2999-01-01T00:00:00Z"}, "paid_at"),
        ],
    )
    async def test_bad_input_is_422_naming_the_field(
        self, client: httpx.AsyncClient, extra: dict[str, object], field: str
    ) -> None:
        campaign = await funded_campaign(client, "100.00")
        body = {
            "partner_organisation_id": str(uuid.uuid4()),
            "campaign_id": campaign["id"],
            "purpose": "radio",
            "amount": {"amount": "10.00", "currency": "CNY"},
            **extra,
        }
        response = await client.post("/api/v1/grants/paid", json=body)
        assert response.status_code == 422, response.text
        assert [e["field"] for e in response.json()["errors"]] == [field]
        assert await held(client, campaign["id"]) == {"CNY": "100.00"}

    async def test_list_filters_by_partner(self, client: httpx.AsyncClient) -> None:
        campaign = await funded_campaign(client, "100.00")
        one, two = str(uuid.uuid4()), str(uuid.uuid4())
        await pay_grant(client, "1.00", campaign_id=campaign["id"], partner_organisation_id=one)
        await pay_grant(client, "2.00", campaign_id=campaign["id"], partner_organisation_id=two)
        listing = await client.get("/api/v1/grants/paid", params={"partner_organisation_id": one})
        assert [g["amount"]["amount"] for g in listing.json()["items"]] == ["1.00"]
        every = await client.get("/api/v1/grants/paid", params={"campaign_id": campaign["id"]})
        assert len(every.json()["items"]) == 2

    async def test_concurrent_grants_never_spend_more_than_the_campaign_holds(
        self, committing_app: FastAPI
    ) -> None:
        async with client_for(committing_app, principal()) as client:
            campaign = await funded_campaign(client, "100.00")
            responses = await asyncio.gather(
                *(
                    pay_grant(client, "10.00", campaign_id=campaign["id"], key=f"g-{i}")
                    for i in range(100)
                )
            )
            assert sorted(r.status_code for r in responses) == [201] * 10 + [409] * 90
            assert await held(client, campaign["id"]) == {"CNY": "0.00"}
            assert await verified_entries(client) == 11
            listing = await client.get("/api/v1/grants/paid", params={"limit": 200})
            assert len(listing.json()["items"]) == 10
