"""The partners story end to end through the gateway, the apps running as processes on
the real bus: the three collaborations and the grocery topic group as the demo loads them,
the grant to 妈妈幸福学习园 arriving as the radio's funding, a partner key made with
``fnet keys create --partner`` that sees only its own part, and a grant to another
foundation's partner refused."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from fnet import story_partners
from fnet.demo import load_story
from tests.e2e.conftest import System, _create_key


@pytest.fixture(scope="module")
def loaded(system: System) -> dict[str, Any]:
    with system.client("operator") as operator:
        created = operator.post(
            "/api/v1/foundations", json={"slug": "shekou-partners", "name": "蛇口社区基金会"}
        )
        assert created.status_code == 201, created.text
    foundation = created.json()["id"]
    main_key = _create_key(system.env, foundation)
    treasurer_key = _create_key(system.env, foundation)

    async def load() -> dict[str, Any]:
        async with (
            httpx.AsyncClient(
                base_url=system.gateway, headers={"X-API-Key": main_key}, timeout=60
            ) as api,
            httpx.AsyncClient(
                base_url=system.gateway, headers={"X-API-Key": treasurer_key}, timeout=60
            ) as treasurer,
        ):
            campaigns = await load_story(api, treasurer)
            return {"campaigns": campaigns, **await story_partners.load(api)}

    document = asyncio.run(load())
    radio = document["partners"][story_partners.RADIO_PARTNER]
    partner_key = _create_key(system.env, foundation, "--partner", radio)
    return {"foundation": foundation, "key": main_key, "partner_key": partner_key, **document}


def wait_for(check: Any, what: str, within: float = 30) -> Any:
    deadline = time.monotonic() + within
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_the_story_s_collaborations_topic_group_and_crowdfunding(
    system: System, loaded: dict[str, Any]
) -> None:
    headers = {"X-API-Key": loaded["key"]}
    with httpx.Client(base_url=system.gateway, headers=headers, timeout=30) as api:
        ids = loaded["collaborations"]
        read = {key: api.get(f"/api/v1/collaborations/{cid}").json() for key, cid in ids.items()}

        def funded() -> Any:
            body = api.get(f"/api/v1/collaborations/{ids['radio']}").json()
            return body if body["funding"] else None

        radio = wait_for(funded, "the radio grant as the radio's funding")
        group = loaded["topic_group"]
        outputs = api.get(f"/api/v1/topic-groups/{group}/outputs").json()["items"]
        late = api.get("/api/v1/crowdfundings", params={"late": "true"}).json()["items"]
        document = httpx.get(f"{system.gateway}/openapi.json").json()

    assert {key: c["status"] for key, c in read.items()} == {
        "radio": "active",
        "planting": "active",
        "culture": "completed",
    }
    assert len(read["planting"]["partner_ids"]) == 2
    assert radio["funding"] == [{"amount": "3000.00", "currency": "CNY"}]
    assert {o["metric"]: o["total"] for o in radio["outcomes"]} == {
        "sessions_held": 12,
        "residents_reached": 1500,
    }
    assert [(o["title"], o["status"]) for o in outputs] == [
        (story_partners.GROCERY_GUIDE["title"], "published")
    ]
    assert [c["id"] for c in late] == [loaded["crowdfunding"]]
    for path in ("/api/v1/collaborations", "/api/v1/topic-groups", "/api/v1/crowdfundings"):
        assert path in document["paths"]


def test_the_partner_key_sees_and_reports_on_its_own_part_only(
    system: System, loaded: dict[str, Any]
) -> None:
    ids = loaded["collaborations"]
    partners = loaded["partners"]
    radio = partners[story_partners.RADIO_PARTNER]
    other = partners["踏实玩乐"]
    with system.client("wuhou") as wuhou:
        theirs = wuhou.post("/api/v1/partners", json={"name": "武侯伙伴", "kind": "enterprise"})
        their_collaboration = wuhou.post(
            "/api/v1/collaborations",
            json={
                "title": "t",
                "area": "a",
                "starts_on": "2020-03-01",
                "ends_on": "2020-04-01",
                "partner_ids": [theirs.json()["id"]],
            },
        )
    headers = {"X-API-Key": loaded["partner_key"]}
    with httpx.Client(base_url=system.gateway, headers=headers, timeout=30) as key:
        listed = key.get("/api/v1/collaborations").json()["items"]
        own = key.get(f"/api/v1/collaborations/{ids['radio']}")
        update = key.post(f"/api/v1/collaborations/{ids['radio']}/updates", json={"body": "第五期"})
        outcome = key.post(
            f"/api/v1/collaborations/{ids['radio']}/outcomes",
            json={
                "metric": "sessions_held",
                "value": 1,
                "unit": "sessions",
                "reported_on": "2020-04-07",
            },
        )
        grants = key.get(f"/api/v1/partners/{radio}/grants").json()["items"]
        refused = {
            "another partner's collaboration": key.get(f"/api/v1/collaborations/{ids['culture']}"),
            "the partner list": key.get("/api/v1/partners"),
            "another partner's contacts": key.get(f"/api/v1/partners/{other}/contacts"),
            "another partner's grants": key.get(f"/api/v1/partners/{other}/grants"),
            "another foundation's collaboration": key.get(
                f"/api/v1/collaborations/{their_collaboration.json()['id']}"
            ),
            "another foundation's partner": key.get(f"/api/v1/partners/{theirs.json()['id']}"),
            "the topic groups": key.get("/api/v1/topic-groups"),
        }
    assert [c["id"] for c in listed] == [ids["radio"]]
    assert own.status_code == 200
    assert update.status_code == 201, update.text
    assert outcome.status_code == 201, outcome.text
    assert [g["amount"]["amount"] for g in grants] == ["3000.00"]
    assert {what: r.status_code for what, r in refused.items()} == {
        "another partner's collaboration": 404,
        "the partner list": 403,
        "another partner's contacts": 403,
        "another partner's grants": 404,
        "another foundation's collaboration": 404,
        "another foundation's partner": 404,
        "the topic groups": 403,
    }


def test_a_grant_to_another_foundation_s_partner_is_refused(
    system: System, loaded: dict[str, Any]
) -> None:
    with system.client("wuhou") as wuhou:
        theirs = wuhou.post("/api/v1/partners", json={"name": "武侯另一伙伴", "kind": "enterprise"})
    headers = {"X-API-Key": loaded["key"]}
    with httpx.Client(base_url=system.gateway, headers=headers, timeout=30) as api:
        before = api.get("/api/v1/grants/paid").json()["items"]
        response = api.post(
            "/api/v1/grants/paid",
            json={
                "partner_organisation_id": theirs.json()["id"],
                "purpose": "x",
                "amount": {"amount": "1.00", "currency": "CNY"},
            },
        )
        after = api.get("/api/v1/grants/paid").json()["items"]
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == ["partner_organisation_id"]
    assert after == before
