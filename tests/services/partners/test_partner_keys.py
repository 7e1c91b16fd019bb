"""A partner organisation's key, walked over EVERY route of the partners service.

With its own things a partner's key reads its record, its grants and the collaborations
it is in, and reports there; with another partner's or another foundation's it gets 404;
the foundation's own routes (the partner list, contacts, every change of partners and
collaborations) are 403 whatever the id. A route added without an entry here fails
:func:`test_the_table_covers_every_route`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from kit.events import Delivery
from kit.identity import Principal
from tests.services.partners.factories import (
    create_collaboration,
    create_partner,
    move,
    partner_key,
)
from tests.services.partners.test_grants import consumer_of, grant_paid
from tests.support import client_for, principal

OUTCOME = {"metric": "sessions_held", "value": 1, "unit": "sessions", "reported_on": "2020-03-01"}


@dataclass(frozen=True)
class Case:
    own: int  # with the key's own partner / a collaboration it is in
    other: int  # with another partner's, or another foundation's
    body: dict[str, Any] | None = None


# (method, path template) -> what a partner's key gets.
TABLE: dict[tuple[str, str], Case] = {
    ("POST", "/api/v1/partners"): Case(403, 403, {"name": "新伙伴", "kind": "enterprise"}),
    ("GET", "/api/v1/partners"): Case(403, 403),
    ("GET", "/api/v1/partners/{partner_id}"): Case(200, 404),
    ("PATCH", "/api/v1/partners/{partner_id}"): Case(403, 403, {"description": "x"}),
    ("POST", "/api/v1/partners/{partner_id}/verification"): Case(403, 403, {"evidence": "x"}),
    ("POST", "/api/v1/partners/{partner_id}/archive"): Case(403, 403),
    ("POST", "/api/v1/partners/{partner_id}/contacts"): Case(403, 403, {"name": "陈"}),
    ("GET", "/api/v1/partners/{partner_id}/contacts"): Case(403, 403),
    ("GET", "/api/v1/partners/{partner_id}/grants"): Case(200, 404),
    ("POST", "/api/v1/collaborations"): Case(
        403,
        403,
        {
            "title": "t",
            "area": "a",
            "starts_on": "2020-02-10",
            "ends_on": "2020-06-30",
            "partner_ids": ["{partner_id}"],
        },
    ),
    ("GET", "/api/v1/collaborations"): Case(200, 200),
    ("GET", "/api/v1/collaborations/{collaboration_id}"): Case(200, 404),
    ("PATCH", "/api/v1/collaborations/{collaboration_id}"): Case(403, 403, {"goals": "x"}),
    ("POST", "/api/v1/collaborations/{collaboration_id}/status"): Case(
        403, 403, {"status": "completed"}
    ),
    ("POST", "/api/v1/collaborations/{collaboration_id}/milestones"): Case(
        403, 403, {"title": "m", "due_on": "2020-03-01"}
    ),
    ("GET", "/api/v1/collaborations/{collaboration_id}/milestones"): Case(200, 404),
    (
        "POST",
        "/api/v1/collaborations/{collaboration_id}/milestones/{milestone_id}/completion",
    ): Case(200, 404, {}),
    ("POST", "/api/v1/collaborations/{collaboration_id}/outcomes"): Case(201, 404, OUTCOME),
    ("GET", "/api/v1/collaborations/{collaboration_id}/outcomes"): Case(200, 404),
    ("POST", "/api/v1/collaborations/{collaboration_id}/updates"): Case(
        201, 404, {"body": "本周节目"}
    ),
    ("GET", "/api/v1/collaborations/{collaboration_id}/updates"): Case(200, 404),
    ("GET", "/api/v1/collaborations/{collaboration_id}/funding"): Case(200, 404),
    # Topic groups are the foundation's alone.
    ("POST", "/api/v1/topic-groups"): Case(403, 403, {"topic": "t"}),
    ("GET", "/api/v1/topic-groups"): Case(403, 403),
    ("GET", "/api/v1/topic-groups/{topic_group_id}"): Case(403, 403),
    ("POST", "/api/v1/topic-groups/{topic_group_id}/members"): Case(
        403, 403, {"name": "n", "member_type": "resident"}
    ),
    ("GET", "/api/v1/topic-groups/{topic_group_id}/members"): Case(403, 403),
    ("POST", "/api/v1/topic-groups/{topic_group_id}/activities"): Case(
        403, 403, {"kind": "survey", "title": "t", "held_on": "2020-02-05"}
    ),
    ("GET", "/api/v1/topic-groups/{topic_group_id}/activities"): Case(403, 403),
    ("POST", "/api/v1/topic-groups/{topic_group_id}/outputs"): Case(
        403, 403, {"title": "t", "body": "b"}
    ),
    ("GET", "/api/v1/topic-groups/{topic_group_id}/outputs"): Case(403, 403),
    ("GET", "/api/v1/topic-groups/{topic_group_id}/outputs/{output_id}"): Case(403, 403),
    ("POST", "/api/v1/topic-groups/{topic_group_id}/outputs/{output_id}/publication"): Case(
        403, 403
    ),
    # So is crowdfunding guidance.
    ("POST", "/api/v1/crowdfundings"): Case(
        403,
        403,
        {
            "group_name": "g",
            "purpose": "p",
            "goal": {"amount": "1.00", "currency": "CNY"},
            "starts_on": "2020-02-08",
            "ends_on": "2020-02-22",
        },
    ),
    ("GET", "/api/v1/crowdfundings"): Case(403, 403),
    ("GET", "/api/v1/crowdfundings/{crowdfunding_id}"): Case(403, 403),
    ("POST", "/api/v1/crowdfundings/{crowdfunding_id}/reports"): Case(
        403,
        403,
        {
            "kind": "raised",
            "amount": {"amount": "1.00", "currency": "CNY"},
            "reported_on": "2020-02-10",
        },
    ),
    ("GET", "/api/v1/crowdfundings/{crowdfunding_id}/reports"): Case(403, 403),
    ("PUT", "/api/v1/crowdfundings/{crowdfunding_id}/checklist/{item}"): Case(
        403, 403, {"done": True}
    ),
}


def api_routes(app: FastAPI) -> set[tuple[str, str]]:
    """Every operation the service serves, as its OpenAPI document lists them."""
    return {
        (method.upper(), path)
        for path, item in app.openapi()["paths"].items()
        if path.startswith("/api/v1/")
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }


def test_the_table_covers_every_route(app: FastAPI) -> None:
    assert api_routes(app) == set(TABLE)


async def world(client: httpx.AsyncClient) -> dict[str, str]:
    """A partner, an active collaboration it is in with a milestone, a topic group with an
    output; ids by path name."""
    partner = await create_partner(client, name=f"伙伴 {uuid.uuid4().hex[:8]}")
    collaboration = await create_collaboration(client, [partner["id"]])
    path = f"/api/v1/collaborations/{collaboration['id']}"
    milestone = await client.post(f"{path}/milestones", json={"title": "m", "due_on": "2020-03-01"})
    await move(client, collaboration, "active")
    group = (await client.post("/api/v1/topic-groups", json={"topic": "买菜"})).json()
    output = await client.post(
        f"/api/v1/topic-groups/{group['id']}/outputs", json={"title": "t", "body": "b"}
    )
    crowd = await client.post(
        "/api/v1/crowdfundings",
        json={
            "group_name": "业委会",
            "purpose": "staff",
            "goal": {"amount": "1.00", "currency": "CNY"},
            "starts_on": "2020-02-08",
            "ends_on": "2020-02-22",
        },
    )
    return {
        "partner_id": partner["id"],
        "collaboration_id": collaboration["id"],
        "milestone_id": milestone.json()["id"],
        "topic_group_id": group["id"],
        "output_id": output.json()["id"],
        "crowdfunding_id": crowd.json()["id"],
        "item": "plan_published",
    }


def fill(template: str, ids: dict[str, str]) -> str:
    return template.format(**ids)


def filled_body(body: dict[str, Any] | None, ids: dict[str, str]) -> dict[str, Any] | None:
    if body is None:
        return None
    return {
        k: [fill(v, ids) for v in value] if isinstance(value, list) else value
        for k, value in body.items()
    }


@pytest.fixture
async def setting(app: FastAPI, client: httpx.AsyncClient, foundation: Principal) -> dict[str, Any]:
    own = await world(client)
    other_partner = await world(client)
    async with client_for(app, principal()) as stranger:
        other_foundation = await world(stranger)
    for ids in (own, other_partner):
        event = grant_paid(foundation.organisation_id, ids["partner_id"], amount="100.00")
        await consumer_of(app).handle(Delivery(event, 1))
    return {"own": own, "other_partner": other_partner, "other_foundation": other_foundation}


async def call(
    client: httpx.AsyncClient, method: str, template: str, case: Case, ids: dict[str, str]
) -> httpx.Response:
    return await client.request(
        method,
        fill(template, ids),
        json=filled_body(case.body, ids),
        headers={"If-Match": "*"},
    )


async def test_a_partner_key_gets_only_its_own_on_every_route(
    app: FastAPI, foundation: Principal, setting: dict[str, Any]
) -> None:
    key = partner_key(foundation, setting["own"]["partner_id"])
    failures: list[tuple[object, ...]] = []
    async with client_for(app, key) as partner:
        for (method, template), case in TABLE.items():
            for whose in ("other_partner", "other_foundation"):
                response = await call(partner, method, template, case, setting[whose])
                if response.status_code != case.other:
                    failures.append((method, template, whose, response.status_code))
                elif response.status_code >= 400:
                    assert response.headers["content-type"] == "application/problem+json"
            response = await call(partner, method, template, case, setting["own"])
            if response.status_code != case.own:
                failures.append((method, template, "own", response.status_code, response.text))
    assert failures == []


async def test_lists_and_reads_show_only_its_own(
    app: FastAPI, foundation: Principal, setting: dict[str, Any]
) -> None:
    own = setting["own"]
    key = partner_key(foundation, own["partner_id"])
    async with client_for(app, key) as partner:
        listed = (await partner.get("/api/v1/collaborations")).json()["items"]
        filtered = await partner.get(
            "/api/v1/collaborations", params={"partner_id": setting["other_partner"]["partner_id"]}
        )
        grants = (await partner.get(f"/api/v1/partners/{own['partner_id']}/grants")).json()
        funding = (
            await partner.get(f"/api/v1/collaborations/{own['collaboration_id']}/funding")
        ).json()
    assert [c["id"] for c in listed] == [own["collaboration_id"]]
    assert filtered.json()["items"] == []
    assert [g["partner_organisation_id"] for g in grants["items"]] == [own["partner_id"]]
    assert [g["partner_organisation_id"] for g in funding["items"]] == [own["partner_id"]]
