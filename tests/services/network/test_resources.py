from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.services.network.conftest import Members
from tests.services.network.factories import GROCERY_GUIDE, create_network, join, pair, share

URL = "/api/v1/shared-resources"


# What tests that commit (on the same database) shared in public: every foundation sees
# it, so the lists below leave it out. Set by the ``story`` fixture before anything is made.
NOISE: set[str] = set()


async def visible(client: httpx.AsyncClient) -> list[str]:
    response = await client.get(URL, params={"limit": "200"})
    assert response.status_code == 200, response.text
    return [r["id"] for r in response.json()["items"] if r["id"] not in NOISE]


async def everything_public(client: httpx.AsyncClient) -> set[str]:
    found: set[str] = set()
    cursor = None
    while True:
        params = {"limit": "200", **({"cursor": cursor} if cursor else {})}
        page = (await client.get(URL, params=params)).json()
        found |= {r["id"] for r in page["items"]}
        cursor = page["next_cursor"]
        if cursor is None:
            return found


@pytest.fixture
async def story(members: Members) -> dict[str, Any]:
    """Shekou and Wuhou paired; Shekou and Futian in the PRD network; an outsider."""
    shekou, wuhou = await members.add("shekou"), await members.add("wuhou")
    futian, outsider = await members.add("futian"), await members.add("outsider")
    NOISE.clear()
    NOISE.update(await everything_public(outsider))
    pairing = await pair(shekou, wuhou, members.ids["wuhou"])
    network = await create_network(shekou)
    await join(network["id"], futian, shekou, members.ids["futian"])
    return {
        "shekou": shekou,
        "wuhou": wuhou,
        "futian": futian,
        "outsider": outsider,
        "pairing_id": pairing["id"],
        "network_id": network["id"],
    }


class TestShare:
    async def test_shared_with_a_pairing_only_its_two_see_it(self, story: dict[str, Any]) -> None:
        created = await share(story["shekou"], visibility="pairing", pairing_id=story["pairing_id"])

        assert created["version"] == 1
        assert created["pairing_id"] == story["pairing_id"]
        assert created["network_ids"] == []
        assert created["attachments"] == GROCERY_GUIDE["attachments"]
        for who in ("shekou", "wuhou"):
            assert await visible(story[who]) == [created["id"]]
            read = await story[who].get(f"{URL}/{created['id']}")
            assert read.json() == created
            assert read.headers["etag"] == '"1"'
        for who in ("futian", "outsider"):
            assert await visible(story[who]) == []
            hidden = await story[who].get(f"{URL}/{created['id']}")
            assert hidden.status_code == 404
            assert hidden.headers["content-type"] == "application/problem+json"

    async def test_shared_with_a_network_its_members_see_it(self, story: dict[str, Any]) -> None:
        created = await share(
            story["shekou"], visibility="networks", network_ids=[story["network_id"]]
        )
        assert await visible(story["futian"]) == [created["id"]]
        assert await visible(story["wuhou"]) == []

    async def test_public_is_seen_by_all(self, story: dict[str, Any]) -> None:
        created = await share(story["shekou"], visibility="public")
        assert await visible(story["outsider"]) == [created["id"]]

    async def test_a_network_the_owner_is_not_in_is_422_and_stores_nothing(
        self, story: dict[str, Any], members: Members
    ) -> None:
        other = await create_network(story["outsider"], name="Another network")
        response = await story["shekou"].post(
            URL, json={**GROCERY_GUIDE, "visibility": "networks", "network_ids": [other["id"]]}
        )
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == "urn:fnet:problem:not-in-network"
        assert [e["field"] for e in response.json()["errors"]] == ["network_ids"]
        assert await visible(story["shekou"]) == []

    async def test_a_pairing_of_others_is_422(self, story: dict[str, Any]) -> None:
        response = await story["futian"].post(
            URL, json={**GROCERY_GUIDE, "visibility": "pairing", "pairing_id": story["pairing_id"]}
        )
        assert response.status_code == 422
        assert response.json()["type"] == "urn:fnet:problem:pairing-not-usable"

    @pytest.mark.parametrize(
        "change",
        [
            {"kind": "poem"},
            {"title": ""},
            {"language": "chinese!"},
            {"visibility": "networks"},
            {"visibility": "public", "pairing_id": str(uuid.uuid4())},
            {"attachments": [{"name": "a", "url": "https://x.org/a", "sha256": "xyz"}]},
        ],
    )
    async def test_bad_input_is_422(self, story: dict[str, Any], change: dict[str, Any]) -> None:
        body = {**GROCERY_GUIDE, "visibility": "public", **change}
        response = await story["shekou"].post(URL, json=body)
        assert response.status_code == 422, response.text
        assert await visible(story["shekou"]) == []


class TestChange:
    async def test_if_match_is_required_and_checked(self, story: dict[str, Any]) -> None:
        shekou = story["shekou"]
        created = await share(shekou, visibility="pairing", pairing_id=story["pairing_id"])
        url = f"{URL}/{created['id']}"

        missing = await shekou.patch(url, json={"title": "新"})
        assert missing.status_code == 428
        assert missing.headers["content-type"] == "application/problem+json"
        stale = await shekou.patch(url, json={"title": "新"}, headers={"If-Match": '"7"'})
        assert stale.status_code == 412
        assert stale.json()["type"] == "urn:fnet:problem:shared-resource-changed"
        assert (await shekou.get(url)).json() == created

        changed = await shekou.patch(url, json={"title": "新"}, headers={"If-Match": '"1"'})
        assert changed.status_code == 200, changed.text
        assert changed.json()["title"] == "新"
        assert changed.json()["version"] == 2
        assert changed.headers["etag"] == '"2"'
        again = await shekou.patch(url, json={"title": "再"}, headers={"If-Match": '"1"'})
        assert again.status_code == 412

    async def test_if_none_match_answers_304(self, story: dict[str, Any]) -> None:
        created = await share(story["shekou"], visibility="public")
        response = await story["wuhou"].get(
            f"{URL}/{created['id']}", headers={"If-None-Match": '"1"'}
        )
        assert response.status_code == 304

    async def test_only_the_owner_changes_it(self, story: dict[str, Any]) -> None:
        created = await share(story["shekou"], visibility="pairing", pairing_id=story["pairing_id"])
        url = f"{URL}/{created['id']}"
        by_partner = await story["wuhou"].patch(
            url, json={"title": "x"}, headers={"If-Match": '"1"'}
        )
        assert by_partner.status_code == 403
        by_outsider = await story["outsider"].delete(url, headers={"If-Match": '"1"'})
        assert by_outsider.status_code == 404

    async def test_narrowing_visibility_hides_it(self, story: dict[str, Any]) -> None:
        created = await share(story["shekou"], visibility="public")
        response = await story["shekou"].patch(
            f"{URL}/{created['id']}",
            json={"visibility": "pairing", "pairing_id": story["pairing_id"]},
            headers={"If-Match": '"1"'},
        )
        assert response.status_code == 200, response.text
        assert await visible(story["outsider"]) == []
        assert await visible(story["wuhou"]) == [created["id"]]

    async def test_delete_needs_if_match_and_hides_it(self, story: dict[str, Any]) -> None:
        created = await share(story["shekou"], visibility="public")
        url = f"{URL}/{created['id']}"
        assert (await story["shekou"].delete(url)).status_code == 428
        assert (await story["shekou"].delete(url, headers={"If-Match": '"3"'})).status_code == 412
        assert (await story["shekou"].delete(url, headers={"If-Match": '"1"'})).status_code == 204
        assert (await story["wuhou"].get(url)).status_code == 404
        assert await visible(story["shekou"]) == []
