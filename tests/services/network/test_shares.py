"""What other services publish becomes shared resources of the foundation's networks."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

import httpx
from fastapi import FastAPI

from contracts.donations import DisclosurePublishedV1
from contracts.partners import TopicOutputPublishedV1
from kit.events import new_event
from kit.identity import ALL_SCOPES
from tests.services.network.factories import create_foundation, create_network, join, unique_slug
from tests.support import client_for, principal

UTC = dt.UTC


def disclosure(foundation_id: str, disclosure_id: uuid.UUID) -> Any:
    return new_event(
        DisclosurePublishedV1(
            disclosure_id=disclosure_id,
            campaign_id=uuid.uuid4(),
            kind="final",
            period_start=dt.datetime(2020, 1, 27, tzinfo=UTC),
            period_end=dt.datetime(2020, 2, 29, tzinfo=UTC),
            corrects_id=None,
            report_sha256="ab" * 32,
            ledger_head_hash="cd" * 32,
            published_at=dt.datetime(2020, 3, 20, tzinfo=UTC),
        ),
        producer="donations",
        foundation_id=uuid.UUID(foundation_id),
    )


async def reports(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    page = (await client.get("/api/v1/shared-resources", params={"kind": "report"})).json()
    items: list[dict[str, Any]] = page["items"]
    return items


async def test_a_published_disclosure_is_shared_with_the_foundations_networks(
    committing_app: FastAPI,
) -> None:
    async with client_for(committing_app, principal(scopes=ALL_SCOPES)) as operator:
        ids = [
            (await create_foundation(operator, slug=unique_slug("d"), name=n))["id"]
            for n in ("Shekou", "Futian", "Outsider")
        ]
    clients = [client_for(committing_app, principal(uuid.UUID(i))) for i in ids]
    shekou, futian, outsider = clients
    try:
        network = await create_network(shekou)
        await join(network["id"], futian, shekou, ids[1])
        disclosure_id = uuid.uuid4()
        bus = committing_app.state.events.bus
        await bus.publish(disclosure(ids[0], disclosure_id))
        await bus.publish(disclosure(ids[0], disclosure_id))  # another event, same disclosure

        for _ in range(200):
            if await reports(futian):
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)
        [shared] = await reports(futian)
        assert shared["owner_id"] == ids[0]
        assert shared["visibility"] == "networks"
        assert shared["network_ids"] == [network["id"]]
        assert str(disclosure_id) in shared["body"]
        assert await reports(outsider) == []
        assert [r["id"] for r in await reports(shekou)] == [shared["id"]]
    finally:
        for client in clients:
            await client.aclose()


def topic_output(foundation_id: str, output_id: uuid.UUID) -> Any:
    return new_event(
        TopicOutputPublishedV1(
            output_id=output_id,
            topic_group_id=uuid.uuid4(),
            foundation_id=uuid.UUID(foundation_id),
            title="蛇口买菜攻略",
            body="## 哪里买菜\n\n- 南山市场: 7:00-19:00\n",
            language="zh-CN",
            tags=["groceries"],
            published_at=dt.datetime(2020, 2, 10, tzinfo=UTC),
        ),
        producer="partners",
        foundation_id=uuid.UUID(foundation_id),
    )


async def guides(client: httpx.AsyncClient, owner: str) -> list[dict[str, Any]]:
    """The guides of ``owner`` that the client sees (other tests' public guides aside)."""
    page = (
        await client.get("/api/v1/shared-resources", params={"kind": "guide", "limit": 200})
    ).json()
    return [item for item in page["items"] if item["owner_id"] == owner]


async def test_a_published_topic_group_output_is_shared_with_the_foundations_networks(
    committing_app: FastAPI,
) -> None:
    async with client_for(committing_app, principal(scopes=ALL_SCOPES)) as operator:
        ids = [
            (await create_foundation(operator, slug=unique_slug("t"), name=n))["id"]
            for n in ("Shekou", "Futian", "Outsider", "Alone")
        ]
    clients = [client_for(committing_app, principal(uuid.UUID(i))) for i in ids]
    shekou, futian, outsider, alone = clients
    try:
        network = await create_network(shekou)
        await join(network["id"], futian, shekou, ids[1])
        output_id = uuid.uuid4()
        bus = committing_app.state.events.bus
        await bus.publish(topic_output(ids[0], output_id))
        await bus.publish(topic_output(ids[0], output_id))  # redelivered: shared once
        await bus.publish(topic_output(ids[3], uuid.uuid4()))  # in no network: kept

        for _ in range(200):
            if await guides(futian, ids[0]):
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)
        [shared] = await guides(futian, ids[0])
        assert (shared["owner_id"], shared["title"]) == (ids[0], "蛇口买菜攻略")
        assert shared["visibility"] == "networks"
        assert shared["network_ids"] == [network["id"]]
        assert set(shared["tags"]) == {"groceries", "topic-group"}
        assert await guides(outsider, ids[0]) == []
        assert await guides(alone, ids[3]) == []
    finally:
        for client in clients:
            await client.aclose()
