"""The network through the gateway, as members' systems use it: the Pearl River Delta
network, the Shekou-Wuhou pairing, a guide shared with the pairing and synced by Wuhou's
sync client (then its update, then its deletion), and a foundation outside the pairing
that never sees it."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from fnet.story_network import GROCERY_GUIDE, PRD_NETWORK
from fnet.sync import SQLiteStore, SyncClient
from tests.e2e.conftest import System, _create_key

pytestmark = pytest.mark.e2e


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture(scope="module")
def futian(system: System) -> str:
    """A delta foundation in the network but not in the pairing."""
    with system.client("operator") as operator:
        made = _ok(
            operator.post(
                "/api/v1/foundations",
                json={"slug": "futian-e2e", "name": "福田社区基金会", "city": "Shenzhen"},
            ),
            201,
        )
    system.foundations["futian"] = made["id"]
    system.keys["futian"] = _create_key(system.env, made["id"])
    return str(made["id"])


@pytest.fixture(scope="module")
def shared(system: System, futian: str) -> dict[str, str]:
    with (
        system.client("shekou") as shekou,
        system.client("wuhou") as wuhou,
        system.client("futian") as member,
    ):
        network = _ok(shekou.post("/api/v1/networks", json=PRD_NETWORK), 201)
        _ok(member.post(f"/api/v1/networks/{network['id']}/join-requests"), 201)
        _ok(shekou.post(f"/api/v1/networks/{network['id']}/members/{futian}/accept"))
        proposed = _ok(
            shekou.post("/api/v1/pairings", json={"partner_id": system.foundations["wuhou"]}), 201
        )
        pairing = _ok(wuhou.post(f"/api/v1/pairings/{proposed['id']}/accept"))
        guide = _ok(
            shekou.post(
                "/api/v1/shared-resources",
                json={**GROCERY_GUIDE, "visibility": "pairing", "pairing_id": pairing["id"]},
            ),
            201,
        )
    return {"network": network["id"], "pairing": pairing["id"], "guide": guide["id"]}


def _pull(system: System, who: str, db: Path) -> tuple[dict[str, dict[str, Any]], Any]:
    async def pull() -> tuple[dict[str, dict[str, Any]], Any]:
        store = SQLiteStore(db)
        try:
            async with httpx.AsyncClient(
                base_url=system.gateway, headers={"X-API-Key": system.keys[who]}, timeout=60
            ) as http:
                result = await SyncClient(http, store, limit=50).pull()
            return store.resources(), result
        finally:
            store.close()

    return asyncio.run(pull())


class TestSharingThroughTheGateway:
    def test_wuhou_syncs_the_guide_its_update_and_its_deletion(
        self, system: System, shared: dict[str, str], tmp_path: Path
    ) -> None:
        wuhou_db, futian_db = tmp_path / "wuhou.sqlite", tmp_path / "futian.sqlite"
        held, first = _pull(system, "wuhou", wuhou_db)
        assert first.resynced
        assert held[shared["guide"]]["title"] == GROCERY_GUIDE["title"]
        assert _pull(system, "futian", futian_db)[0] == {}

        url = f"/api/v1/shared-resources/{shared['guide']}"
        with system.client("shekou") as shekou:
            read = shekou.get(url)
            changed = shekou.patch(
                url,
                json={"body": "Updated: two more markets open"},
                headers={"If-Match": read.headers["etag"]},
            )
            assert changed.status_code == 200, changed.text
        held, second = _pull(system, "wuhou", wuhou_db)
        assert not second.resynced
        assert second.upserts == 1
        assert held[shared["guide"]]["body"] == "Updated: two more markets open"
        assert held[shared["guide"]]["version"] == 2

        with system.client("shekou") as shekou:
            stale = shekou.delete(url, headers={"If-Match": '"1"'})
            missing = shekou.delete(url)
            assert (stale.status_code, missing.status_code) == (412, 428)
            assert stale.headers["content-type"] == "application/problem+json"
            assert shekou.delete(url, headers={"If-Match": '"2"'}).status_code == 204
        held, third = _pull(system, "wuhou", wuhou_db)
        assert shared["guide"] not in held
        assert third.removals == 1

        held, last = _pull(system, "futian", futian_db)
        assert held == {}
        assert last.upserts == last.removals == 0

    def test_outside_the_pairing_it_is_nowhere(
        self, system: System, shared: dict[str, str]
    ) -> None:
        with system.client("futian") as futian:
            assert futian.get(f"/api/v1/shared-resources/{shared['guide']}").status_code == 404
            assert shared["guide"] not in str(futian.get("/api/v1/shared-resources").json())
            assert shared["guide"] not in str(futian.get("/api/v1/sync/changes").json())
            assert futian.get(f"/api/v1/pairings/{shared['pairing']}").status_code == 404

    def test_refusals_are_problems_and_change_nothing(
        self, system: System, shared: dict[str, str]
    ) -> None:
        with system.client("wuhou") as wuhou, system.client("shekou") as shekou:
            foreign = wuhou.post(
                "/api/v1/shared-resources",
                json={
                    **GROCERY_GUIDE,
                    "visibility": "networks",
                    "network_ids": [shared["network"]],
                },
            )
            itself = shekou.post(
                "/api/v1/pairings", json={"partner_id": system.foundations["shekou"]}
            )
            private = wuhou.post("/api/v1/webhook-endpoints", json={"url": "http://10.0.0.7/hook"})
            for response in (foreign, itself, private):
                assert response.status_code == 422, response.text
                assert response.headers["content-type"] == "application/problem+json"
            assert wuhou.get("/api/v1/webhook-endpoints").json()["items"] == []

    def test_a_long_poll_outlasts_the_usual_upstream_timeout(
        self, system: System, shared: dict[str, str]
    ) -> None:
        # The e2e gateway's upstream timeout is 3 s; the feed's long poll gets the long one.
        with system.client("wuhou") as wuhou:
            cursor = wuhou.get("/api/v1/sync/changes").json()["cursor"]
        answer: dict[str, Any] = {}

        def wait() -> None:
            with httpx.Client(
                base_url=system.gateway, headers={"X-API-Key": system.keys["wuhou"]}, timeout=30
            ) as client:
                answer["response"] = client.get(
                    "/api/v1/sync/changes", params={"since": cursor, "wait": "8"}
                )

        waiter = threading.Thread(target=wait)
        started = time.monotonic()
        waiter.start()
        time.sleep(4)
        with system.client("shekou") as shekou:
            made = _ok(
                shekou.post(
                    "/api/v1/shared-resources",
                    json={
                        **GROCERY_GUIDE,
                        "visibility": "pairing",
                        "pairing_id": shared["pairing"],
                    },
                ),
                201,
            )
        waiter.join(20)
        response = answer["response"]
        assert response.status_code == 200, response.text
        assert time.monotonic() - started > 3.5
        assert [c["id"] for c in response.json()["changes"]] == [made["id"]]

    def test_the_directory_is_public_and_the_api_documented(self, system: System) -> None:
        with system.client(None) as anonymous:
            found = anonymous.get("/api/v1/foundations", params={"name": "福田"})
            assert found.status_code == 200, found.text
            assert [f["slug"] for f in found.json()["items"]] == ["futian-e2e"]
            assert anonymous.get("/api/v1/networks").status_code == 401
            paths = anonymous.get("/openapi.json").json()["paths"]
        for path in (
            "/api/v1/networks",
            "/api/v1/pairings",
            "/api/v1/shared-resources/{resource_id}",
            "/api/v1/sync/changes",
            "/api/v1/webhook-endpoints",
            "/api/v1/offers/{offer_id}/claims",
        ):
            assert path in paths, path
