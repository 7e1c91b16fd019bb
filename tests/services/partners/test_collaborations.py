"""Collaborations: transitions, milestones, outcomes, updates, funding, If-Match."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from fastapi import FastAPI

from contracts.partners import CollaborationStatusChangedV1, MilestoneCompletedV1
from kit.events import Delivery
from kit.identity import Principal
from tests.services.partners.factories import (
    create_collaboration,
    create_partner,
    move,
    outbox_events,
)
from tests.services.partners.test_grants import consumer_of, grant_paid
from tests.support import client_for, principal


async def radio(client: httpx.AsyncClient, **extra: Any) -> dict[str, Any]:
    partner = await create_partner(client, name="妈妈幸福学习园")
    return await create_collaboration(client, [partner["id"]], **extra)


async def events_of(app: FastAPI, event_type: str, foundation: Principal) -> list[Any]:
    return [
        e.parse()
        for e in await outbox_events(app, event_type)
        if e.foundation_id == foundation.organisation_id
    ]


class TestCreate:
    async def test_a_collaboration_starts_proposed_with_its_partners(
        self, client: httpx.AsyncClient
    ) -> None:
        tnc = await create_partner(client, name="大自然保护协会 TNC", kind="foundation")
        puyuan = await create_partner(client, name="朴元生态")
        body = await create_collaboration(
            client, [puyuan["id"], tnc["id"]], title="线上种植课 Online planting courses"
        )
        assert body["status"] == "proposed"
        assert sorted(body["partner_ids"]) == sorted([puyuan["id"], tnc["id"]])
        assert body["funding"] == []
        read = await client.get(f"/api/v1/collaborations/{body['id']}")
        assert read.json() == body
        assert read.headers["etag"].startswith('"1-')

    async def test_another_foundations_partner_is_422_naming_partner_ids(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        async with client_for(app, principal()) as other:
            theirs = await create_partner(other, name="踏实玩乐")
        response = await client.post(
            "/api/v1/collaborations",
            json={
                "title": "线上蛇口文化活动",
                "area": "culture",
                "starts_on": "2020-03-01",
                "ends_on": "2020-05-31",
                "partner_ids": [theirs["id"]],
            },
        )
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in response.json()["errors"]] == ["partner_ids"]
        assert (await client.get("/api/v1/collaborations")).json()["items"] == []

    async def test_a_period_ending_before_it_starts_is_422(self, client: httpx.AsyncClient) -> None:
        partner = await create_partner(client)
        response = await client.post(
            "/api/v1/collaborations",
            json={
                "title": "t",
                "area": "a",
                "starts_on": "2020-03-01",
                "ends_on": "2020-02-01",
                "partner_ids": [partner["id"]],
            },
        )
        assert response.status_code == 422


class TestTransitions:
    async def test_proposed_active_completed_each_emits_an_event(
        self, app: FastAPI, client: httpx.AsyncClient, foundation: Principal
    ) -> None:
        collaboration = await radio(client)
        active = await move(client, collaboration, "active")
        done = await move(client, active.json(), "completed")
        assert active.status_code == 200, active.text
        assert done.status_code == 200, done.text
        assert done.json()["status"] == "completed"
        changes = await events_of(app, "partners.collaboration.status_changed", foundation)
        assert [(c.from_status, c.to_status) for c in changes] == [
            ("proposed", "active"),
            ("active", "completed"),
        ]
        assert isinstance(changes[0], CollaborationStatusChangedV1)

    async def test_completing_a_cancelled_collaboration_is_409_and_changes_nothing(
        self, app: FastAPI, client: httpx.AsyncClient, foundation: Principal
    ) -> None:
        collaboration = await radio(client)
        cancelled = (await move(client, collaboration, "cancelled")).json()
        response = await move(client, cancelled, "completed")

        assert response.status_code == 409
        assert response.json()["type"] == "urn:fnet:problem:invalid-transition"
        after = (await client.get(f"/api/v1/collaborations/{collaboration['id']}")).json()
        assert after == cancelled
        assert len(await events_of(app, "partners.collaboration.status_changed", foundation)) == 1

    async def test_every_disallowed_move_is_409(self, client: httpx.AsyncClient) -> None:
        collaboration = await radio(client)
        assert (await move(client, collaboration, "completed")).status_code == 409
        assert (await move(client, collaboration, "proposed")).status_code == 409
        active = (await move(client, collaboration, "active")).json()
        assert (await move(client, active, "proposed")).status_code == 409
        assert (await move(client, active, "active")).status_code == 409

    async def test_status_needs_if_match(self, client: httpx.AsyncClient) -> None:
        collaboration = await radio(client)
        response = await client.post(
            f"/api/v1/collaborations/{collaboration['id']}/status", json={"status": "active"}
        )
        assert response.status_code == 428


class TestEdits:
    async def test_a_stale_if_match_is_412_and_keeps_the_first_change(
        self, client: httpx.AsyncClient
    ) -> None:
        collaboration = await radio(client)
        path = f"/api/v1/collaborations/{collaboration['id']}"
        first = await client.patch(path, json={"goals": "A"}, headers={"If-Match": '"1"'})
        stale = await client.patch(path, json={"goals": "B"}, headers={"If-Match": '"1"'})
        assert first.status_code == 200
        assert stale.status_code == 412
        assert (await client.get(path)).json()["goals"] == "A"

    async def test_concurrent_edits_with_one_if_match_let_exactly_one_through(
        self, committing_app: FastAPI
    ) -> None:
        async with client_for(committing_app, principal()) as client:
            collaboration = await radio(client)
            path = f"/api/v1/collaborations/{collaboration['id']}"
            etag = (await client.get(path)).headers["etag"]
            responses = await asyncio.gather(
                *(
                    client.patch(path, json={"goals": f"goal {i}"}, headers={"If-Match": etag})
                    for i in range(8)
                )
            )
            final = (await client.get(path)).json()
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200] + [412] * 7, [r.text for r in responses]
        [winner] = [r.json() for r in responses if r.status_code == 200]
        assert final["goals"] == winner["goals"]
        assert final["version"] == 2

    async def test_a_new_period_must_hold_the_milestones(self, client: httpx.AsyncClient) -> None:
        collaboration = await radio(client, starts_on="2020-02-10", ends_on="2020-06-30")
        path = f"/api/v1/collaborations/{collaboration['id']}"
        await client.post(f"{path}/milestones", json={"title": "m", "due_on": "2020-06-01"})
        response = await client.patch(
            path, json={"ends_on": "2020-05-31"}, headers={"If-Match": '"1"'}
        )
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["ends_on"]
        assert (await client.get(path)).json()["ends_on"] == "2020-06-30"


class TestMilestones:
    async def test_a_milestone_outside_the_period_is_422_and_not_stored(
        self, client: httpx.AsyncClient
    ) -> None:
        collaboration = await radio(client, starts_on="2020-02-10", ends_on="2020-06-30")
        path = f"/api/v1/collaborations/{collaboration['id']}/milestones"
        for due in ("2020-02-09", "2020-07-01"):
            response = await client.post(path, json={"title": "late", "due_on": due})
            assert response.status_code == 422
            assert response.json()["type"] == "urn:fnet:problem:outside-period"
            assert [e["field"] for e in response.json()["errors"]] == ["due_on"]
        assert (await client.get(path)).json()["items"] == []

    async def test_completing_a_milestone_of_an_active_collaboration_emits_an_event(
        self, app: FastAPI, client: httpx.AsyncClient, foundation: Principal
    ) -> None:
        collaboration = await radio(client)
        path = f"/api/v1/collaborations/{collaboration['id']}"
        milestone = (
            await client.post(
                f"{path}/milestones", json={"title": "第一期节目", "due_on": "2020-03-01"}
            )
        ).json()
        early = await client.post(f"{path}/milestones/{milestone['id']}/completion", json={})
        assert early.status_code == 409  # still proposed
        await move(client, collaboration, "active")
        done = await client.post(f"{path}/milestones/{milestone['id']}/completion", json={})
        again = await client.post(f"{path}/milestones/{milestone['id']}/completion", json={})
        assert done.status_code == 200, done.text
        assert done.json()["completed_at"] is not None
        assert again.json() == done.json()
        [event] = await events_of(app, "partners.milestone.completed", foundation)
        assert isinstance(event, MilestoneCompletedV1)
        assert str(event.milestone_id) == milestone["id"]
        read = (await client.get(path)).json()
        assert (read["milestones_total"], read["milestones_completed"]) == (1, 1)


class TestOutcomes:
    async def test_figures_in_their_unit_add_up_and_a_wrong_unit_is_422(
        self, client: httpx.AsyncClient
    ) -> None:
        collaboration = await radio(client)
        await move(client, collaboration, "active")
        path = f"/api/v1/collaborations/{collaboration['id']}/outcomes"
        for value in (4, 8):
            ok = await client.post(
                path,
                json={
                    "metric": "sessions_held",
                    "value": value,
                    "unit": "sessions",
                    "reported_on": "2020-03-31",
                },
            )
            assert ok.status_code == 201, ok.text
        wrong = await client.post(
            path,
            json={
                "metric": "residents_reached",
                "value": 300,
                "unit": "sessions",
                "reported_on": "2020-03-31",
            },
        )
        assert wrong.status_code == 422
        assert wrong.json()["type"] == "urn:fnet:problem:wrong-unit"
        assert [e["field"] for e in wrong.json()["errors"]] == ["unit"]
        read = (await client.get(f"/api/v1/collaborations/{collaboration['id']}")).json()
        assert read["outcomes"] == [{"metric": "sessions_held", "unit": "sessions", "total": 12}]
        assert len((await client.get(path)).json()["items"]) == 2


class TestUpdates:
    async def test_the_timeline_is_newest_first(self, client: httpx.AsyncClient) -> None:
        collaboration = await radio(client)
        path = f"/api/v1/collaborations/{collaboration['id']}/updates"
        for text in ("第一期上线", "第二期上线"):
            assert (await client.post(path, json={"body": text})).status_code == 201
        items = (await client.get(path)).json()["items"]
        assert [u["body"] for u in items] == ["第二期上线", "第一期上线"]


class TestFunding:
    async def test_grants_paid_to_its_partners_within_the_period_fund_it(
        self, app: FastAPI, client: httpx.AsyncClient, foundation: Principal
    ) -> None:
        partner = await create_partner(client, name="妈妈幸福学习园")
        collaboration = await create_collaboration(
            client, [partner["id"]], starts_on="2020-02-10", ends_on="2020-06-30"
        )
        # grant_paid is dated 2020-02-20
        await consumer_of(app).handle(
            Delivery(grant_paid(foundation.organisation_id, partner["id"], amount="5000.00"), 1)
        )
        read = (await client.get(f"/api/v1/collaborations/{collaboration['id']}")).json()
        assert read["funding"] == [{"amount": "5000.00", "currency": "CNY"}]
        funding = await client.get(f"/api/v1/collaborations/{collaboration['id']}/funding")
        assert [g["amount"]["amount"] for g in funding.json()["items"]] == ["5000.00"]

        later = await create_collaboration(
            client, [partner["id"]], title="later", starts_on="2020-07-01", ends_on="2020-12-31"
        )
        assert later["funding"] == []


class TestTenancy:
    async def test_another_foundations_collaboration_is_404(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        collaboration = await radio(client)
        async with client_for(app, principal()) as other:
            for path in ("", "/milestones", "/outcomes", "/updates", "/funding"):
                response = await other.get(f"/api/v1/collaborations/{collaboration['id']}{path}")
                assert response.status_code == 404, path
