"""Topic groups (议题小组): members with private contacts, activities, outputs published as
events for the network service."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from contracts.partners import TopicOutputPublishedV1
from kit.identity import DEFAULT_SCOPES, Principal, Scope
from tests.services.partners.factories import create_partner, outbox_events
from tests.support import client_for, principal

GUIDE = {
    "title": "蛇口买菜攻略",
    "body": "## 菜市场\n\n- 蛇口市场 7:00-19:00",
    "language": "zh",
    "tags": ["买菜", "防疫"],
}


async def grocery_group(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/topic-groups", json={"topic": "蛇口买菜", "district": "蛇口"}
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


class TestMembers:
    async def test_members_of_every_type_with_contacts_for_the_scope_only(
        self, app: FastAPI, client: httpx.AsyncClient, foundation: Principal
    ) -> None:
        group = await grocery_group(client)
        partner = await create_partner(client, name="踏实玩乐")
        path = f"/api/v1/topic-groups/{group['id']}/members"
        for member in (
            {"name": "王阿姨", "member_type": "resident", "contact": "13900000000"},
            {"name": "李社工", "member_type": "staff", "role": "convenor"},
            {"name": "踏实玩乐", "member_type": "partner", "partner_id": partner["id"]},
        ):
            response = await client.post(path, json=member)
            assert response.status_code == 201, response.text
            assert response.json()["contact"] is None

        plain = (await client.get(path)).json()["items"]
        assert {m["member_type"] for m in plain} == {"resident", "staff", "partner"}
        assert all(m["contact"] is None for m in plain)
        scoped = Principal(
            "staff", foundation.organisation_id, DEFAULT_SCOPES | {Scope.PARTNER_CONTACTS_READ}
        )
        async with client_for(app, scoped) as staff:
            contacts = {m["name"]: m["contact"] for m in (await staff.get(path)).json()["items"]}
        assert contacts["王阿姨"] == "13900000000"

    async def test_a_partner_member_names_a_current_partner_of_the_foundation(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        group = await grocery_group(client)
        async with client_for(app, principal()) as other:
            theirs = await create_partner(other, name="别家")
        path = f"/api/v1/topic-groups/{group['id']}/members"
        missing = await client.post(path, json={"name": "x", "member_type": "partner"})
        foreign = await client.post(
            path, json={"name": "x", "member_type": "partner", "partner_id": theirs["id"]}
        )
        assert missing.status_code == 422
        assert foreign.status_code == 422
        assert [e["field"] for e in foreign.json()["errors"]] == ["partner_id"]
        assert (await client.get(path)).json()["items"] == []


class TestActivitiesAndOutputs:
    async def test_a_survey_then_a_guide_published_once_as_an_event(
        self, app: FastAPI, client: httpx.AsyncClient, foundation: Principal
    ) -> None:
        group = await grocery_group(client)
        base = f"/api/v1/topic-groups/{group['id']}"
        survey = await client.post(
            f"{base}/activities",
            json={
                "kind": "survey",
                "title": "买菜问卷",
                "held_on": "2020-02-05",
                "participants": 212,
            },
        )
        assert survey.status_code == 201, survey.text
        draft = await client.post(f"{base}/outputs", json=GUIDE)
        assert draft.status_code == 201, draft.text
        assert draft.json()["status"] == "draft"
        assert not [
            e
            for e in await outbox_events(app, "partners.topic_output.published")
            if e.foundation_id == foundation.organisation_id
        ]

        publish = f"{base}/outputs/{draft.json()['id']}/publication"
        published = await client.post(publish)
        again = await client.post(publish)
        assert published.status_code == 200, published.text
        assert published.json()["status"] == "published"
        assert again.json() == published.json()

        events = [
            e
            for e in await outbox_events(app, "partners.topic_output.published")
            if e.foundation_id == foundation.organisation_id
        ]
        assert len(events) == 1
        payload = events[0].parse()
        assert isinstance(payload, TopicOutputPublishedV1)
        assert payload.model_dump(mode="json") == {
            "output_id": draft.json()["id"],
            "topic_group_id": group["id"],
            "foundation_id": str(foundation.organisation_id),
            "title": GUIDE["title"],
            "body": GUIDE["body"],
            "language": "zh",
            "tags": ["买菜", "防疫"],
            "published_at": published.json()["published_at"].replace("+00:00", "Z"),
        }

    async def test_another_foundations_group_is_404_everywhere(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        group = await grocery_group(client)
        output = (
            await client.post(f"/api/v1/topic-groups/{group['id']}/outputs", json=GUIDE)
        ).json()
        async with client_for(app, principal()) as other:
            base = f"/api/v1/topic-groups/{group['id']}"
            for path in ("", "/members", "/activities", "/outputs", f"/outputs/{output['id']}"):
                assert (await other.get(base + path)).status_code == 404, path
            published = await other.post(f"{base}/outputs/{output['id']}/publication")
            assert published.status_code == 404
