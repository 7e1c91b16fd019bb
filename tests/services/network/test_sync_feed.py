from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from kit.identity import ALL_SCOPES
from services.network.sync.cursor import Cursor, Position
from tests.services.network.conftest import Members
from tests.services.network.factories import (
    create_foundation,
    create_network,
    join,
    pair,
    share,
    unique_slug,
)
from tests.support import client_for, principal

URL = "/api/v1/sync/changes"
RESOURCES = "/api/v1/shared-resources"


# What tests that commit (on the same database) shared in public reaches every full resync;
# the assertions below leave it out. Set by the ``story`` fixture before anything is made.
NOISE: set[str] = set()


class Replica:
    """What a member's copy holds, fed from the feed page by page."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.cursor: str | None = None
        self.items: dict[str, dict[str, Any]] = {}
        self.seen: list[dict[str, Any]] = []

    async def pull(self, *, limit: int = 100) -> list[dict[str, Any]]:
        """Every change until caught up; returns the changes of this pull."""
        pulled: list[dict[str, Any]] = []
        while True:
            params: dict[str, Any] = {"limit": limit}
            if self.cursor:
                params["since"] = self.cursor
            response = await self.client.get(URL, params=params)
            assert response.status_code == 200, response.text
            page = response.json()
            if page["resync"]:
                self.items.clear()
            changes = [c for c in page["changes"] if c["id"] not in NOISE]
            for change in changes:
                if change["op"] == "upsert":
                    self.items[change["id"]] = change["resource"]
                else:
                    self.items.pop(change["id"], None)
            pulled += changes
            self.cursor = page["cursor"]
            if not page["more"]:
                self.seen += pulled
                return pulled


@pytest.fixture
async def story(members: Members) -> dict[str, Any]:
    shekou, wuhou = await members.add("shekou"), await members.add("wuhou")
    futian, outsider = await members.add("futian"), await members.add("outsider")
    NOISE.clear()
    page = (await outsider.get(URL, params={"limit": "1000"})).json()
    while True:
        NOISE.update(c["id"] for c in page["changes"])
        if not page["more"]:
            break
        page = (await outsider.get(URL, params={"limit": "1000", "since": page["cursor"]})).json()
    pairing = await pair(shekou, wuhou, members.ids["wuhou"])
    network = await create_network(shekou)
    await join(network["id"], futian, shekou, members.ids["futian"])
    return {
        "ids": members.ids,
        "shekou": shekou,
        "wuhou": wuhou,
        "futian": futian,
        "outsider": outsider,
        "pairing_id": pairing["id"],
        "network_id": network["id"],
    }


def ops(changes: list[dict[str, Any]]) -> list[tuple[str, str, str | None]]:
    return [(c["id"], c["op"], c["reason"]) for c in changes]


class TestFeed:
    async def test_a_pairing_guide_its_update_and_its_delete(self, story: dict[str, Any]) -> None:
        wuhou, outsider = Replica(story["wuhou"]), Replica(story["outsider"])
        await wuhou.pull()
        await outsider.pull()
        guide = await share(story["shekou"], visibility="pairing", pairing_id=story["pairing_id"])
        gid = guide["id"]

        assert ops(await wuhou.pull()) == [(gid, "upsert", None)]
        assert wuhou.items[gid] == guide

        url = f"{RESOURCES}/{gid}"
        await story["shekou"].patch(url, json={"body": "v2"}, headers={"If-Match": '"1"'})
        assert ops(await wuhou.pull()) == [(gid, "upsert", None)]
        assert wuhou.items[gid]["body"] == "v2"
        assert wuhou.items[gid]["version"] == 2

        await story["shekou"].delete(url, headers={"If-Match": '"2"'})
        assert ops(await wuhou.pull()) == [(gid, "remove", "deleted")]
        assert wuhou.items == {}

        assert await outsider.pull() == []
        assert outsider.seen == []

    async def test_full_resync_has_what_is_visible_and_no_tombstones(
        self, story: dict[str, Any]
    ) -> None:
        shekou = story["shekou"]
        kept = await share(shekou, visibility="pairing", pairing_id=story["pairing_id"])
        gone = await share(shekou, visibility="public")
        await shekou.delete(f"{RESOURCES}/{gone['id']}", headers={"If-Match": '"1"'})
        hidden = await share(shekou, visibility="public")
        await shekou.patch(
            f"{RESOURCES}/{hidden['id']}",
            json={"visibility": "networks", "network_ids": [story["network_id"]]},
            headers={"If-Match": '"1"'},
        )
        later = await share(shekou, visibility="public")
        # Pages of one: the resync's later pages leave out what ended before it began.
        wuhou = Replica(story["wuhou"])
        assert ops(await wuhou.pull(limit=1)) == [
            (kept["id"], "upsert", None),
            (later["id"], "upsert", None),
        ]

    async def test_what_changes_while_a_resync_pages_still_arrives(
        self, story: dict[str, Any]
    ) -> None:
        shekou = story["shekou"]
        first = await share(shekou, visibility="pairing", pairing_id=story["pairing_id"])
        second = await share(shekou, visibility="pairing", pairing_id=story["pairing_id"])
        page = (await story["wuhou"].get(URL, params={"limit": "1"})).json()
        assert page["more"]
        delivered = [c["id"] for c in page["changes"] if c["id"] not in NOISE]
        assert delivered in ([first["id"]], [])
        # During the resync: the first is deleted, the second narrowed away from Wuhou.
        await shekou.delete(f"{RESOURCES}/{first['id']}", headers={"If-Match": '"1"'})
        await shekou.patch(
            f"{RESOURCES}/{second['id']}",
            json={"visibility": "public"},
            headers={"If-Match": '"1"'},
        )
        rest: list[dict[str, Any]] = []
        while page["more"]:
            page = (
                await story["wuhou"].get(URL, params={"limit": "1", "since": page["cursor"]})
            ).json()
            rest += [c for c in page["changes"] if c["id"] not in NOISE]
        assert (first["id"], "remove", "deleted") in ops(rest) or first["id"] not in delivered
        assert (second["id"], "upsert", None) in ops(rest)

    async def test_an_empty_pull_keeps_the_cursor_usable(self, story: dict[str, Any]) -> None:
        wuhou = Replica(story["wuhou"])
        await wuhou.pull()
        assert await wuhou.pull() == []
        made = await share(story["shekou"], visibility="public")
        assert ops(await wuhou.pull()) == [(made["id"], "upsert", None)]


class TestAccessLost:
    async def test_leaving_the_network_removes_and_rejoining_restores(
        self, story: dict[str, Any]
    ) -> None:
        made = await share(
            story["shekou"], visibility="networks", network_ids=[story["network_id"]]
        )
        futian = Replica(story["futian"])
        assert ops(await futian.pull()) == [(made["id"], "upsert", None)]

        fid, nid = story["ids"]["futian"], story["network_id"]
        left = await story["futian"].delete(f"/api/v1/networks/{nid}/members/{fid}")
        assert left.status_code == 204
        assert ops(await futian.pull()) == [(made["id"], "remove", "access_lost")]
        assert futian.items == {}

        await join(nid, story["futian"], story["shekou"], fid)
        assert ops(await futian.pull()) == [(made["id"], "upsert", None)]

    async def test_narrowing_visibility_removes_it_from_those_who_lost_it(
        self, story: dict[str, Any]
    ) -> None:
        made = await share(story["shekou"], visibility="public")
        outsider, wuhou = Replica(story["outsider"]), Replica(story["wuhou"])
        await outsider.pull()
        await wuhou.pull()

        await story["shekou"].patch(
            f"{RESOURCES}/{made['id']}",
            json={"visibility": "pairing", "pairing_id": story["pairing_id"]},
            headers={"If-Match": '"1"'},
        )
        assert ops(await outsider.pull()) == [(made["id"], "remove", "access_lost")]
        assert ops(await wuhou.pull()) == [(made["id"], "upsert", None)]
        assert wuhou.items[made["id"]]["visibility"] == "pairing"

    async def test_ending_the_pairing_removes_it(self, story: dict[str, Any]) -> None:
        made = await share(story["shekou"], visibility="pairing", pairing_id=story["pairing_id"])
        wuhou = Replica(story["wuhou"])
        await wuhou.pull()
        await story["wuhou"].post(f"/api/v1/pairings/{story['pairing_id']}/end")
        assert ops(await wuhou.pull()) == [(made["id"], "remove", "access_lost")]
        owner = Replica(story["shekou"])
        assert ops(await owner.pull()) == [(made["id"], "upsert", None)]

    async def test_outsiders_hear_nothing_of_a_pairing_or_network(
        self, story: dict[str, Any]
    ) -> None:
        outsider = Replica(story["outsider"])
        await outsider.pull()
        made = await share(story["shekou"], visibility="pairing", pairing_id=story["pairing_id"])
        await share(story["shekou"], visibility="networks", network_ids=[story["network_id"]])
        await story["shekou"].patch(
            f"{RESOURCES}/{made['id']}",
            json={"visibility": "networks", "network_ids": [story["network_id"]]},
            headers={"If-Match": '"1"'},
        )
        await story["wuhou"].post(f"/api/v1/pairings/{story['pairing_id']}/end")
        assert await outsider.pull() == []


class TestPaging:
    async def test_one_change_bringing_many_resources_pages_without_loss(
        self, story: dict[str, Any], members: Members
    ) -> None:
        made = {
            (
                await share(
                    story["shekou"], visibility="networks", network_ids=[story["network_id"]]
                )
            )["id"]
            for _ in range(7)
        }
        nanshan = await members.add("nanshan")
        replica = Replica(nanshan)
        await replica.pull()
        await join(story["network_id"], nanshan, story["shekou"], members.ids["nanshan"])
        pulled = await replica.pull(limit=2)
        assert sorted(c["id"] for c in pulled) == sorted(made)
        assert set(replica.items) == made


class TestCursor:
    @pytest.mark.parametrize("cursor", ["garbage", "czE", "x" * 60])
    async def test_unknown_cursor_is_410(self, story: dict[str, Any], cursor: str) -> None:
        response = await story["wuhou"].get(URL, params={"since": cursor})
        assert response.status_code == 410
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == "urn:fnet:problem:resync-required"

    async def test_a_cursor_of_another_epoch_or_ahead_is_410(self, story: dict[str, Any]) -> None:
        page = (await story["wuhou"].get(URL)).json()
        mine = Cursor.decode(page["cursor"])
        other_epoch = Cursor(uuid.uuid4().hex, mine.position).encode()
        ahead = Cursor(mine.epoch, Position(mine.position.seq + 1000)).encode()
        # Past a bigint: no database can compare it, so it was a 503, not a 410.
        huge_seq = Cursor(mine.epoch, Position(2**64 - 1)).encode()
        huge_floor = Cursor(mine.epoch, Position(mine.position.seq, floor=2**63)).encode()
        for cursor in (other_epoch, ahead, huge_seq, huge_floor):
            response = await story["wuhou"].get(URL, params={"since": cursor})
            assert response.status_code == 410

    async def test_wait_and_limit_are_bounded(self, story: dict[str, Any]) -> None:
        assert (await story["wuhou"].get(URL, params={"wait": "31"})).status_code == 422
        assert (await story["wuhou"].get(URL, params={"limit": "0"})).status_code == 422


class TestLongPoll:
    async def test_a_waiting_poll_wakes_on_a_change(self, committing_app: FastAPI) -> None:
        operator = client_for(committing_app, principal(scopes=ALL_SCOPES))
        async with operator:
            a = await create_foundation(operator, slug=unique_slug("lp"), name="A")
            b = await create_foundation(operator, slug=unique_slug("lp"), name="B")
        async with (
            client_for(committing_app, principal(uuid.UUID(a["id"]))) as owner,
            client_for(committing_app, principal(uuid.UUID(b["id"]))) as partner,
        ):
            pairing = await pair(owner, partner, b["id"])
            cursor = (await partner.get(URL)).json()["cursor"]

            started = time.monotonic()
            empty = await partner.get(URL, params={"since": cursor, "wait": "0.3"})
            assert empty.json()["changes"] == []
            assert time.monotonic() - started >= 0.3

            waiter = asyncio.create_task(partner.get(URL, params={"since": cursor, "wait": "10"}))
            await asyncio.sleep(0.2)
            assert not waiter.done()
            started = time.monotonic()
            made = await share(owner, visibility="pairing", pairing_id=pairing["id"])
            response = await asyncio.wait_for(waiter, 5)
            assert time.monotonic() - started < 0.9  # woken, not polled (interval 1 s)
            assert [c["id"] for c in response.json()["changes"]] == [made["id"]]

    async def test_many_waiting_polls_all_wake_with_the_change(
        self, committing_app: FastAPI
    ) -> None:
        operator = client_for(committing_app, principal(scopes=ALL_SCOPES))
        async with operator:
            a = await create_foundation(operator, slug=unique_slug("lp"), name="A")
            b = await create_foundation(operator, slug=unique_slug("lp"), name="B")
        async with (
            client_for(committing_app, principal(uuid.UUID(a["id"]))) as owner,
            client_for(committing_app, principal(uuid.UUID(b["id"]))) as partner,
        ):
            pairing = await pair(owner, partner, b["id"])
            cursor = (await partner.get(URL, params={"limit": "1000"})).json()["cursor"]
            params = {"since": cursor, "wait": "10"}
            waiters = [asyncio.create_task(partner.get(URL, params=params)) for _ in range(20)]
            owners = [asyncio.create_task(owner.get(URL, params=params)) for _ in range(3)]
            await asyncio.sleep(0.3)
            made = await share(owner, visibility="pairing", pairing_id=pairing["id"])
            answers = await asyncio.wait_for(asyncio.gather(*waiters, *owners), 8)
            for response in answers:
                assert response.status_code == 200, response.text
                assert made["id"] in [c["id"] for c in response.json()["changes"]]
